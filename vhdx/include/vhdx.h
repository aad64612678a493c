/* vhdx.h: the public API of libvhdx, the VHDX engine of hvkit ([MS-VHDX]).
 *
 *   vhdx_open() --> vhdx * --+--> vhdx_read()        virtual bytes, whole chain
 *                            +--> vhdx_map()         allocation runs
 *                            +--> vhdx_get_info()    headers, metadata, log, BAT counts
 *                            +--> vhdx_parent()      next layer of the chain
 *                            +--> vhdx_close()
 *   vhdx_check()  opens on its own and reports every problem through a callback.
 *
 * All calls are re-entrant: state lives in the handle, errors in a caller-owned
 * struct hv_err. A handle may be used by one thread at a time. The file is opened
 * read-only and mapped PROT_READ: a pending log is replayed in memory only.
 * Error messages name the file, the structure ("header", "region table",
 * "metadata table", "metadata item", "parent locator", "BAT", "sector bitmap",
 * "log", "log entry", "parent chain") and the file offset of the bad field.
 */
#ifndef HVK_VHDX_H
#define HVK_VHDX_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_guid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An open image (one layer plus, unless VHDX_OPEN_NO_PARENT, its parents). */
typedef struct vhdx vhdx;

/* A Windows path prefix and the local prefix that replaces it. Matching is
 * case-insensitive, and '\' and '/' are equivalent, e.g. {"D:\\VMs\\", "/srv/vms/"}. */
struct vhdx_path_map {
    const char *from;
    const char *to;
};

struct vhdx_open_opts {
    unsigned flags;                   /* VHDX_OPEN_* */
    const char *const *search_paths;  /* directories searched by parent basename */
    size_t n_search_paths;
    const struct vhdx_path_map *maps; /* applied to every locator path */
    size_t n_maps;
};

#define VHDX_OPEN_NO_PARENT 0x1          /* do not resolve the parent chain (inspect one layer) */
#define VHDX_OPEN_IGNORE_ID_MISMATCH 0x2 /* accept a parent whose DataWriteGuid or geometry differs */

#define VHDX_MAX_CHAIN_DEPTH 64

/*! vhdx_open() :
 *  Maps `path`, checks the file identifier, picks the current header, replays
 *  a pending log in memory, parses region table, metadata and BAT geometry and,
 *  for a differencing file, resolves and opens its parents (see
 *  vhdx_parent_link() for how each was found).
 *  @return 0 and sets *out, or -1 with `err` naming file, structure and offset
 *          (HV_FORMAT not a VHDX, HV_CORRUPT damaged, HV_UNSUPPORTED unknown
 *          required region/item, HV_NOTFOUND parent not found, HV_MISMATCH
 *          parent identity or geometry differs, HV_IO/HV_NOMEM). */
HVK_API int vhdx_open(const char *path, const struct vhdx_open_opts *opts, vhdx **out,
                      struct hv_err *err);

/*! vhdx_open_fd() :
 *  The same over an open descriptor (read access is enough; it is not
 *  closed): what is validated is exactly the file the caller holds. `path`
 *  names it in messages and is where a parent's relative path starts from.
 *  @return as vhdx_open(). */
HVK_API int vhdx_open_fd(int fd, const char *path, const struct vhdx_open_opts *opts, vhdx **out,
                         struct hv_err *err);

/*! vhdx_openat() :
 *  Opens `name` in directory `dirfd` without following a link (O_NOFOLLOW),
 *  then as vhdx_open_fd(); `path` names it. @return as vhdx_open(). */
HVK_API int vhdx_openat(int dirfd, const char *name, const char *path, const struct vhdx_open_opts *opts,
                        vhdx **out, struct hv_err *err);

/*! vhdx_close() : releases the handle and every parent layer. Accepts NULL. */
HVK_API void vhdx_close(vhdx *img);

/*! vhdx_read() :
 *  Reads virtual bytes [off, off+len) through the whole chain: present data
 *  from the layer that holds it, zeros for ZERO/UNMAPPED/UNDEFINED blocks and
 *  for NOT_PRESENT blocks of a base layer (or of a child opened with
 *  VHDX_OPEN_NO_PARENT).
 *  @return 0, or -1 with `err` (HV_USAGE when off+len exceeds the virtual
 *          size, HV_CORRUPT for a bad BAT entry or sector bitmap). */
HVK_API int vhdx_read(vhdx *img, void *buf, size_t len, uint64_t off, struct hv_err *err);

/*! Geometry of the top layer. @return the value from the metadata region. */
HVK_API uint64_t vhdx_virtual_size(const vhdx *img);
HVK_API uint32_t vhdx_logical_sector_size(const vhdx *img);
HVK_API uint32_t vhdx_physical_sector_size(const vhdx *img);
HVK_API uint32_t vhdx_block_size(const vhdx *img);

/*! vhdx_parent() : @return the next layer of the chain, or NULL (base layer,
 *  or opened with VHDX_OPEN_NO_PARENT). */
HVK_API const vhdx *vhdx_parent(const vhdx *img);

/*! vhdx_path() : @return the path this layer was opened from. */
HVK_API const char *vhdx_path(const vhdx *img);

/* ------------------------------------------------------------------ info */

enum vhdx_type { VHDX_TYPE_FIXED = 0, VHDX_TYPE_DYNAMIC = 1, VHDX_TYPE_DIFFERENCING = 2 };

/* Payload block states ([MS-VHDX] 2.5.1.1); 5 is the pre-release UNMAPPED. */
enum vhdx_block_state {
    VHDX_BLOCK_NOT_PRESENT = 0,
    VHDX_BLOCK_UNDEFINED = 1,
    VHDX_BLOCK_ZERO = 2,
    VHDX_BLOCK_UNMAPPED = 3,
    VHDX_BLOCK_RESERVED4 = 4,
    VHDX_BLOCK_UNMAPPED_V095 = 5,
    VHDX_BLOCK_FULLY_PRESENT = 6,
    VHDX_BLOCK_PARTIALLY_PRESENT = 7,
};
/* @return "NOT_PRESENT", "ZERO", ... for a state 0..7. */
HVK_API const char *vhdx_block_state_name(int state);

/* What a pending log would change if replayed (it is replayed in memory). */
struct vhdx_log_info {
    int guid_set;             /* header LogGuid is non-zero */
    int pending;              /* an active sequence exists: replay needed */
    int no_valid_sequence;    /* LogGuid set but no valid sequence: treated as clean */
    uint64_t log_offset;
    uint32_t log_length;
    uint32_t entries;         /* entries in the active sequence */
    uint32_t stale_entries;   /* well-formed entries carrying another LogGuid */
    uint64_t seq_first, seq_last;
    uint32_t data_descriptors, zero_descriptors;
    uint64_t zero_bytes;      /* bytes zeroed by zero descriptors */
    uint64_t sectors_changed; /* 4 KiB file sectors whose bytes the replay changes */
    uint64_t bat_entries_changed;
    uint64_t flushed_file_offset, last_file_offset;
    uint64_t file_growth;     /* bytes the file would grow (LastFileOffset - size) */
};

#define VHDX_CREATOR_MAX 800 /* 256 UTF-16 units as UTF-8, NUL included */

struct vhdx_info {
    enum vhdx_type type;
    uint64_t virtual_size;
    uint32_t block_size, logical_sector_size, physical_sector_size;
    uint32_t chunk_ratio;
    uint64_t data_blocks, sb_blocks, bat_entries; /* [MS-VHDX] 2.5 counts */
    struct hv_guid file_write_guid, data_write_guid, log_guid, virtual_disk_id;
    char creator[VHDX_CREATOR_MAX];               /* file identifier creator, UTF-8 */
    uint64_t header_seq[2];
    int header_valid[2];
    int current_header;                           /* 0 = header 1, 1 = header 2 */
    int region_copy;                              /* 0 = copy 1 used, 1 = copy 2 */
    uint64_t file_size;                           /* real size of the file */
    uint64_t logical_file_size;                   /* max(size, LastFileOffset) */
    struct vhdx_log_info log;
    uint64_t payload_states[8];                   /* BAT payload entries per state */
    uint64_t sb_states[8];                        /* BAT sector-bitmap entries per state */
    uint64_t allocated_bytes;                     /* payload + bitmap blocks in the file */
    uint64_t present_sectors;                     /* virtual sectors this layer holds */
    int has_parent;
    struct hv_guid parent_linkage, parent_linkage2; /* zero when absent */
    size_t locator_entries;
};

/*! vhdx_get_info() : fills *out for this layer only.
 *  @return 0 (cannot fail on an open handle; -1 only for NULL arguments). */
HVK_API int vhdx_get_info(const vhdx *img, struct vhdx_info *out);

/*! vhdx_locator_entry() : key/value `i` (0-based, file order) of the parent
 *  locator as UTF-8 strings owned by the handle.
 *  @return 0, or -1 if `i` is out of range or the layer has no locator. */
HVK_API int vhdx_locator_entry(const vhdx *img, size_t i, const char **key, const char **value);

/* ------------------------------------------------------------------ chain */

enum vhdx_try_result {
    VHDX_TRY_OK = 0,       /* opened and accepted */
    VHDX_TRY_MISSING,      /* no such file */
    VHDX_TRY_OPEN_FAILED,  /* exists but could not be opened (see code/msg) */
    VHDX_TRY_MISMATCH,     /* DataWriteGuid or geometry differ */
    VHDX_TRY_CYCLE,        /* already in the chain */
};

/* One candidate path tried while looking for a parent. */
struct vhdx_parent_try {
    const char *path;      /* local path tried */
    const char *key;       /* locator key it came from: "relative_path", ... */
    const char *via;       /* "locator", "map D:\\VMs\\=/srv/vms/", "search-path DIR" */
    enum vhdx_try_result result;
    char msg[256];         /* why it was refused, "" if accepted or missing */
};

/* How this layer's parent was found. */
struct vhdx_parent_link {
    const char *path;                 /* the accepted parent's path */
    const char *key;                  /* locator key used */
    const char *via;                  /* how the locator value became `path` */
    int linkage;                      /* 1 parent_linkage, 2 parent_linkage2,
                                         0 identity mismatch ignored */
    size_t n_tries;
    const struct vhdx_parent_try *tries; /* every candidate, in order, incl. the accepted one */
};

/*! vhdx_parent_link() : @return how the parent of `img` was found, or NULL if
 *  `img` has no opened parent. Owned by the handle. */
HVK_API const struct vhdx_parent_link *vhdx_parent_link(const vhdx *img);

/* ------------------------------------------------------------------ map */

#define VHDX_LAYER_ZERO (-1)      /* served as zeros */
#define VHDX_LAYER_NO_PARENT (-2) /* belongs to a parent that was not opened (zeros) */

/* A run of virtual bytes served the same way. */
struct vhdx_run {
    uint64_t voff, len;
    int state;          /* vhdx_block_state of the block in the layer that decided */
    int layer;          /* 0 = top file, 1 = its parent, ...; VHDX_LAYER_* */
    uint64_t file_off;  /* offset in that layer's file (valid when layer >= 0) */
};

/*! vhdx_map() : calls cb for consecutive runs covering the whole virtual disk,
 *  through the chain; adjacent runs with equal (state, layer, contiguous file
 *  offset) are merged. A non-zero return from cb stops the walk.
 *  @return 0, cb's non-zero value, or -1 with `err`. */
HVK_API int vhdx_map(const vhdx *img, int (*cb)(const struct vhdx_run *run, void *ctx), void *ctx,
                     struct hv_err *err);

/*! vhdx_run_data() : zero-copy access to the bytes of a run with layer >= 0,
 *  as mapped from that layer's file.
 *  @return a pointer to run->len bytes, or NULL when they are not all inside the
 *          real file or a pending log rewrites some of them (use vhdx_read() then). */
HVK_API const void *vhdx_run_data(const vhdx *img, const struct vhdx_run *run);

/*! vhdx_advise_sequential() : tells the kernel the mappings of every layer
 *  will be read front to back (madvise MADV_SEQUENTIAL), as `vhdx cat` does. */
HVK_API void vhdx_advise_sequential(const vhdx *img);

/* ------------------------------------------------------------------ check */

enum vhdx_severity { VHDX_WARNING = 0, VHDX_ERROR = 1 };

struct vhdx_problem {
    const char *what;   /* canonical structure name */
    uint64_t offset;    /* file offset of the bad field */
    enum hv_code code;
    const char *msg;
    int severity;       /* enum vhdx_severity */
    const char *file;   /* which layer's file */
};

/*! vhdx_check() : validates headers, both region tables, metadata, every BAT
 *  entry (range, alignment, overlaps), sector bitmaps, the log and the chain,
 *  calling cb for every problem rather than stopping at the first.
 *  @return the number of errors (warnings not counted), or -1 with `err` when
 *          the file could not be checked at all (cannot open or map it). */
HVK_API int vhdx_check(const char *path, const struct vhdx_open_opts *opts,
                       void (*cb)(const struct vhdx_problem *p, void *ctx), void *ctx,
                       struct hv_err *err);

/* ------------------------------------------------------------------ probe */

/*! vhdx_probe() : libarchive-style bid on the first bytes of a file.
 *  @return 100 for a VHDX file identifier, 0 otherwise. */
HVK_API int vhdx_probe(const void *bytes, size_t len);

#ifdef __cplusplus
}
#endif

#endif
