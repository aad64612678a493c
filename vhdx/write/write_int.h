/* write_int.h: internals shared by the write side of libvhdx (builder,
 * create, in-place writer, relink, merge). Not installed. On-disk layouts come
 * from layout.h (the reader's parsers and encoders); this header only adds
 * what writers assemble from them. */
#ifndef HVK_WRITE_INT_H
#define HVK_WRITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_io.h"
#include "hv_publish.h"
#include "layout.h"
#include "vhdx_write.h"

/* Where new files put their regions (openvmm/qemu shape, docs/vhdx-format.md §2):
 * log at 1 MiB (1 MiB long), metadata at 2 MiB (1 MiB), BAT at 3 MiB. */
#define NEW_LOG_OFFSET (1 * MiB)
#define NEW_LOG_LENGTH (1 * MiB)
#define NEW_META_OFFSET (2 * MiB)
#define NEW_META_LENGTH (1 * MiB)
#define NEW_BAT_OFFSET (3 * MiB)

static inline uint64_t round_up(uint64_t v, uint64_t unit)
{
    return (v + unit - 1) / unit * unit;
}

/* One metadata item to lay out: its table entry and its bytes. */
struct meta_item {
    struct hv_guid id;
    uint32_t flags;
    const uint8_t *data;
    uint32_t len;
};

/* Lays out a whole metadata region (table + items packed from 64 KiB) into
 * region[0..region_len), zero-filling the rest. Returns 0 or -1 (too big). */
int vhdx_metabuild(const struct meta_item *items, size_t n, uint8_t *region, size_t region_len,
              struct hv_err *e);

/* Encodes the VHDX parent locator of `pi` into buf (cap bytes); *len = size. */
int vhdx_locator_build(const struct vhdx_parent_info *pi, uint8_t *buf, size_t cap, size_t *len,
                  struct hv_err *e);

/* Relative path from the directory of `from_file` to `to_file`, with `\`
 * separators (both made absolute first). Returns 0 or -1. */
int vhdx_win_relative_path(const char *from_file, const char *to_file, char *out, size_t cap,
                      struct hv_err *e);


/* ---- the log writer (logwrite.c) ---- */

/* One 4 KiB sector to change through the log; data NULL writes zeros. */
struct lw_page {
    uint64_t off;
    const uint8_t *data;
};

struct logw {
    struct hv_io *io;
    uint64_t log_off;
    uint32_t log_len;
    struct hv_guid guid;
    uint64_t seq;      /* last sequence number written */
    uint64_t head;     /* ring position of the next entry */
    uint64_t prev_pos, prev_len; /* the newest entry: never overwritten by the next */
    uint64_t *file_size, *durable_size; /* the handle's sizes */
};

/* Writes the initialisation entry (sequence 1, tail = itself) at ring 0 and
 * flushes; the header must already carry lw->guid. */
int vhdx_logw_start(struct logw *lw, struct hv_err *e);
/* One transaction: entry -> flush -> apply -> flush. Pages whose bytes equal
 * `current` (the caller's view before the change, may be NULL) are skipped
 * by the caller, not here. */
int vhdx_logw_commit(struct logw *lw, const struct lw_page *pages, size_t n, struct hv_err *e);

/* ---- the writable handle (rwopen.c, write.c) ---- */

struct sb_cache {
    uint64_t chunk;
    uint8_t *buf; /* 1 MiB, as on disk */
};

struct vhdx_rw {
    struct hv_io *io;
    int own_io;
    char path[4096];
    struct vhdx_header hdr[2];
    int cur;
    struct vhdx_region_table *rt;
    int rt_copy;
    struct vhdx_region bat_r, meta_r;
    uint8_t *meta;               /* the whole metadata region */
    struct vhdx_meta_table *mt;
    struct vhdx_meta_values mv;
    struct vhdx_geom g;
    enum vhdx_type type;
    uint8_t *bat;                /* the whole BAT region as replayed: bat_len bytes */
    uint64_t bat_len;            /* the BAT region's length */
    uint64_t alloc_floor;        /* new blocks start at or after this (every region's end) */
    struct sb_cache *sbc;
    size_t nsbc;
    struct logw log;
    uint64_t file_size, durable_size;
    int data_guid_done;          /* DataWriteGuid already changed this session */
    int have_next_data_guid;     /* merge: the DataWriteGuid to install */
    struct hv_guid next_data_guid;
    int dirty;                   /* payload written since the last flush */
    int broken;                  /* a logged change failed: memory and disk may differ */
};

/* Header update ([MS-VHDX] 2.2.2.1): `want` (seq ignored) written to the
 * non-current slot and flushed, twice, so both slots hold it. */
int vhdx_rw_header_update(struct vhdx_rw *w, const struct vhdx_header *want, struct hv_err *e);
/* Changes DataWriteGuid once per session, before the first visible change. */
int vhdx_rw_touch_data(struct vhdx_rw *w, struct hv_err *e);
/* Logs the 4 KiB sectors of region bytes `now` (file offset `off`, len a
 * multiple of 4096) that differ from `before`; one transaction. */
int vhdx_rw_log_changes(struct vhdx_rw *w, uint64_t off, const uint8_t *before, const uint8_t *now,
                   size_t len, struct hv_err *e);

/* relink.c: replaces the parent locator item of an open differencing image
 * with the one of `pi` (the metadata region rewrite is one logged change). */
int vhdx_rw_set_locator(struct vhdx_rw *w, const struct vhdx_parent_info *pi, struct hv_err *e);

/* merge.c: copies every sector `child_layer` (opened without its parent)
 * holds into `pw` (its parent, open for writing with the agreed next
 * DataWriteGuid); the child's ZERO-state blocks become zeros. */
int vhdx_merge_copy(vhdx *child_layer, vhdx_rw *pw, struct hv_err *e);

/* replay.c: writes the final content of a replayed log (the reader's
 * overlay) through `io`; no flush, no resize. */
int vhdx_apply_overlay(struct hv_io *io, const struct vhdx_overlay *ov, struct hv_err *e);

#endif
