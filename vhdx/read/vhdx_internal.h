/* vhdx_internal.h: the handle behind the opaque `vhdx *` and what its files
 * (vhdx.c open/read/map, chain.c parents, check.c) share.
 *
 *   struct vhdx
 *   +-- map/file ...... read-only mapping of the real file
 *   +-- hdr[2], cur ... both headers and the current one ([MS-VHDX] 2.2.2)
 *   +-- ov, log ....... in-memory replay of a pending log (every metadata read
 *   |                   below goes through it)
 *   +-- rt, regions ... region table copy in use
 *   +-- mt, mv, loc ... metadata table, known values, parent locator
 *   +-- g, bat ........ BAT geometry and a view of the entries
 *   +-- sbc ........... replayed copies of sector-bitmap blocks the log touched
 *   +-- parent, link .. the next layer and how it was found
 *   +-- probs ......... warnings/errors found while opening (for check)
 *
 * A writer will update hdr/rt/mt/bat through the log and the overlay; keeping
 * the parsed state here (not re-derived per call) is what makes that possible.
 */
#ifndef HVK_VHDX_INTERNAL_H
#define HVK_VHDX_INTERNAL_H

#include <sys/types.h>

#include "hv_io.h"
#include "layout.h"
#include "vhdx.h"

struct vhdx_note {
    const char *what;
    uint64_t offset;
    enum hv_code code;
    int severity;
    char msg[300];
};

struct sb_copy {
    uint64_t chunk;
    uint8_t *buf;
};

struct vhdx {
    char *path;
    unsigned flags;
    struct hv_map map;
    uint8_t *io_copy;    /* the bytes of a non-file io, read whole (map points here) */
    struct hv_span file; /* the real bytes */
    uint64_t logical_size;
    dev_t dev;
    ino_t ino;

    struct vhdx_fti fti;
    struct vhdx_header hdr[2];
    int hdr_valid[2];
    int cur;

    struct vhdx_overlay ov;
    struct vhdx_log_scan log;
    struct vhdx_log_info loginfo;

    struct vhdx_region_table rt;
    int rt_copy;
    struct vhdx_region bat_region, meta_region;

    uint8_t *meta_owned;
    struct hv_span meta;
    struct vhdx_meta_table mt;
    struct vhdx_meta_values mv;
    struct vhdx_locator loc;
    int has_loc;
    uint64_t loc_file_off;
    struct hv_guid linkage, linkage2;

    struct vhdx_geom g;
    enum vhdx_type type;
    uint8_t *bat_owned;
    struct hv_span bat; /* g.total_entries * 8 bytes, or fewer: the rest reads 0 */

    struct sb_copy *sbc;
    size_t nsbc;

    struct vhdx *parent;
    struct vhdx_parent_link link;
    struct vhdx_parent_try *tries;
    size_t ntries;
    char *link_strings[3];

    struct vhdx_note *notes;
    size_t nnotes, capnotes;
};

/* Records a warning or error found while opening (kept for vhdx_check). */
void vhdx_note(struct vhdx *img, int severity, enum hv_code code, const char *what, uint64_t off,
               const char *fmt, ...) HV_PRINTF(6, 7);
void vhdx_note_err(struct vhdx *img, int severity, const struct hv_err *e);
/* The canonical structure name an error message starts with. */
const char *vhdx_canon_what(const char *what);

/* Opens one layer (never its parent). */
int vhdx_open_layer(const char *path, unsigned flags, struct vhdx **out, struct hv_err *e);
int vhdx_open_layer_fd(int fd, const char *path, unsigned flags, struct vhdx **out, struct hv_err *e);
/* The same over the bytes behind `io` (mapped when it is a file): the
 * writable open's validation (rwopen.c). `path` names it in messages. */
int vhdx_open_layer_io(struct hv_io *io, const char *path, unsigned flags, struct vhdx **out,
                       struct hv_err *e);
void vhdx_free_layer(struct vhdx *img);

/* BAT entry i of this layer. */
static inline uint64_t vhdx_bat(const struct vhdx *img, uint64_t i)
{
    /* The view may end early where only zeros (NOT_PRESENT) follow. */
    return i < img->bat.len / 8 ? le64(img->bat.p + i * 8) : 0;
}

/* check.c: validates every BAT entry; fn gets each problem (severity, code,
 * structure, offset, message). Returns the number of errors, -1 out of memory. */
typedef void (*vhdx_scan_fn)(void *ctx, int severity, enum hv_code code, const char *what,
                             uint64_t off, const char *msg);
int vhdx_bat_scan(const struct vhdx *img, vhdx_scan_fn fn, void *ctx);
/* Opening in check mode keeps BAT problems as notes instead of failing. */
#define VHDX_OPEN_INTERNAL_CHECK 0x80000000u

/* chain.c: resolves, opens and attaches img's parents (recursively). */
struct chain_seen;
int vhdx_chain_attach(struct vhdx *img, const struct vhdx_open_opts *opts, struct hv_err *e);

#endif
