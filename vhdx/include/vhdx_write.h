/* vhdx_write.h: the public WRITE API of libvhdx: build new images
 * sequentially, create fixed/dynamic/differencing images, convert, and change
 * existing images in place through the VHDX log ([MS-VHDX] 2.3, docs/vhdx-format.md
 * §4.4, §10, §11).
 *
 *   vhdx_builder_begin() --> put_block()/put_zero()... --> vhdx_builder_finish()
 *   vhdx_create()          one call: an empty fixed, dynamic or differencing image
 *   vhdx_convert()         raw or any VHDX chain --> raw or VHDX
 *   vhdx_open_rw() --> vhdx_write()/vhdx_discard()/vhdx_flush() --> vhdx_close_rw()
 *   vhdx_replay()          apply a pending log in place
 *   vhdx_relink()          point a differencing child at a new parent path
 *   vhdx_merge()           fold a child into its immediate parent
 *
 * New files are written under a temporary name in the target directory,
 * flushed, renamed over nothing (an existing target is refused with HV_EXISTS)
 * and the directory is flushed: a crash leaves no file or a complete one.
 * Every write goes through a struct hv_io, so tests substitute a recorder.
 */
#ifndef HVK_VHDX_WRITE_H
#define HVK_VHDX_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_guid.h"
#include "hv_io.h"
#include "vhdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ builder */

/* The parent of a differencing image being built: what the locator and the
 * copied IsVirtualDisk items say. vhdx_parent_info_from() fills it from an
 * open parent. Strings are copied by vhdx_builder_begin(). */
struct vhdx_parent_info {
    struct hv_guid linkage;        /* the parent's current DataWriteGuid */
    struct hv_guid linkage2;       /* merge only ([MS-VHDX] note <12>); zero: absent */
    struct hv_guid disk_id;        /* the parent's Virtual Disk ID (copied) */
    uint64_t virtual_size;
    uint32_t logical_sector_size, physical_sector_size;
    const char *relative_path;     /* "..\\base.vhdx" (\ separators) or NULL */
    const char *absolute_win32_path; /* "\\\\?\\D:\\VMs\\base.vhdx" or NULL */
    const char *volume_path;       /* "\\\\?\\Volume{...}\\..." or NULL */
};

struct vhdx_build_params {
    enum vhdx_type type;           /* FIXED, DYNAMIC or DIFFERENCING */
    uint64_t virtual_size;         /* ignored for DIFFERENCING (copied from parent) */
    uint32_t block_size;           /* 0: 32 MiB (2 MiB for differencing) */
    uint32_t logical_sector_size;  /* 0: 512; ignored for DIFFERENCING */
    uint32_t physical_sector_size; /* 0: 4096; ignored for DIFFERENCING */
    const struct vhdx_parent_info *parent; /* DIFFERENCING only */
    const char *creator;           /* ASCII; NULL: "hvkit <version>" */
};

typedef struct vhdx_builder vhdx_builder;

/*! vhdx_builder_begin() :
 *  Starts a new image at `path`, written under a temporary name in the same
 *  directory. Payload blocks are appended in put order; the BAT, sector
 *  bitmaps, metadata, region tables and headers are written by finish().
 *  @return 0 and *out, or -1 with `err` (HV_EXISTS target exists, HV_USAGE bad
 *          parameters, HV_IO). */
HVK_API int vhdx_builder_begin(const char *path, const struct vhdx_build_params *p,
                               vhdx_builder **out, struct hv_err *err);

/*! vhdx_builder_begin_io() : the same into an empty `io` the caller owns
 *  (no temporary name, no rename); finish() flushes but does not close `io`. */
HVK_API int vhdx_builder_begin_io(struct hv_io *io,
                                  const struct vhdx_build_params *p, vhdx_builder **out,
                                  struct hv_err *err);

/*! vhdx_builder_put_block() :
 *  Stores payload block `index` (virtual bytes [index*BS, (index+1)*BS) clipped
 *  to the virtual size). `data` holds that many bytes. With `bitmap` NULL the
 *  block becomes FULLY_PRESENT. With a bitmap (one bit per logical sector of
 *  the block, LSB first, 1 = stored here) it becomes PARTIALLY_PRESENT:
 *  differencing images only; bytes of sectors whose bit is 0 are ignored.
 *  Each block may be put once.
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_builder_put_block(vhdx_builder *b, uint64_t index, const void *data,
                                   const uint8_t *bitmap, struct hv_err *err);

/*! vhdx_builder_alloc_block() :
 *  Zero-copy put_block(): allocates payload block `index` (state and bitmap
 *  as for put_block()) and sets *file_off to where its bytes go, for a caller
 *  that writes them itself through the io given to vhdx_builder_begin_io(),
 *  only where it has data: bytes it never writes read as zeros. *file_off is
 *  0 when nothing is stored (a bitmap with no bit set: NOT_PRESENT).
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_builder_alloc_block(vhdx_builder *b, uint64_t index, const uint8_t *bitmap,
                                     uint64_t *file_off, struct hv_err *err);

/*! vhdx_builder_write() :
 *  Streams virtual bytes [off, off+len) into FULLY_PRESENT blocks, allocating
 *  each block on its first write; bytes never written read as zeros. For
 *  sources read in small pieces (convert, restore): blocks that only ever
 *  receive zeros need not be written at all. A block written this way cannot
 *  also be put with put_block()/put_zero().
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_builder_write(vhdx_builder *b, const void *data, size_t len, uint64_t off,
                               struct hv_err *err);

/*! vhdx_builder_put_zero() : marks block `index` ZERO (reads as zeros, also in
 *  a differencing image where NOT_PRESENT would read the parent).
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_builder_put_zero(vhdx_builder *b, uint64_t index, struct hv_err *err);

/*! vhdx_builder_finish() : writes the remaining structures, flushes, renames
 *  into place, flushes the directory, frees `b`.
 *  @return 0, or -1 with `err` (the temporary file is removed). */
HVK_API int vhdx_builder_finish(vhdx_builder *b, struct hv_err *err);

/*! vhdx_builder_abort() : removes the temporary file and frees `b`. Accepts NULL. */
HVK_API void vhdx_builder_abort(vhdx_builder *b);

/*! Geometry of the image being built. */
HVK_API uint64_t vhdx_builder_blocks(const vhdx_builder *b);
HVK_API uint32_t vhdx_builder_block_size(const vhdx_builder *b);

/* ------------------------------------------------------------------ create */

/*! vhdx_parent_info_from() :
 *  Fills *pi from an open parent for a child to be written at `child_path`:
 *  linkage, disk ID, sizes, and relative_path computed from the child's
 *  directory. `win_path` (e.g. "D:\\VMs\\base.vhdx", may be NULL) becomes
 *  absolute_win32_path "\\\\?\\D:\\..." (or volume_path when it names a
 *  \\?\Volume{...} path). Strings live in `store` (>= 3 * 4096 bytes).
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_parent_info_from(const vhdx *parent, const char *child_path,
                                  const char *win_path, struct vhdx_parent_info *pi,
                                  char *store, size_t store_len, struct hv_err *err);

/*! vhdx_create() : an empty image at `path` (all blocks NOT_PRESENT; fixed
 *  images get every block allocated and zero). For DIFFERENCING, `p->parent`
 *  must be set (see vhdx_parent_info_from()).
 *  @return 0, or -1 with `err` (HV_EXISTS, HV_USAGE, HV_IO). */
HVK_API int vhdx_create(const char *path, const struct vhdx_build_params *p, struct hv_err *err);

/* ------------------------------------------------------------------ convert */

enum vhdx_convert_format { VHDX_CONVERT_RAW = 0, VHDX_CONVERT_VHDX = 1 };

struct vhdx_convert_params {
    enum vhdx_convert_format out_format;
    enum vhdx_type type;           /* FIXED or DYNAMIC (VHDX output) */
    uint32_t block_size;           /* 0: 32 MiB */
    uint32_t logical_sector_size;  /* raw input only; 0: 512 */
    const struct vhdx_open_opts *open_opts; /* for VHDX input chains; may be NULL */
    void (*progress)(uint64_t done, uint64_t total, void *ctx);
    void *progress_ctx;
};

/*! vhdx_convert() : reads `in` (a VHDX chain, flattened, or a raw image when it
 *  carries no VHDX identifier) and writes `out` under a temporary name. All-zero
 *  blocks are not stored (VHDX) or left as holes (raw).
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_convert(const char *in, const char *out, const struct vhdx_convert_params *p,
                         struct hv_err *err);

/* ------------------------------------------------------------------ in place */

typedef struct vhdx_rw vhdx_rw;

/*! vhdx_open_rw() :
 *  Opens `path` for writing ([MS-VHDX] 2.2.2.1 and docs/vhdx-format.md §11). First
 *  the reader's complete validation runs (headers, log, region table,
 *  metadata, extents, BAT; a pending log replayed in memory): a file it
 *  refuses is refused here, byte-identical. Then: header update with a
 *  fresh FileWriteGuid (twice, flushed), the replayed log written out, a
 *  new LogGuid and an initialisation entry before any log space is reused.
 *  Writes are whole logical sectors, so a differencing image's parent is
 *  never read; `opts` is reserved (pass NULL).
 *  @return 0 and *out, or -1 with `err` (HV_IO for a read-only file). */
HVK_API int vhdx_open_rw(const char *path, const struct vhdx_open_opts *opts, vhdx_rw **out,
                         struct hv_err *err);

/*! vhdx_open_rw_io() : the same over a caller-owned `io` (crash tests, other
 *  storage); `path` names it in messages. close_rw() does not close `io`. */
HVK_API int vhdx_open_rw_io(struct hv_io *io, const char *path, const struct vhdx_open_opts *opts,
                            vhdx_rw **out, struct hv_err *err);

/*! vhdx_open_rw_fd() : the same over a descriptor the caller opened
 *  read-write (e.g. with O_NOFOLLOW relative to a directory it walked to), so
 *  the file written is the file the caller checked; `fd` stays the caller's.
 *  @return as vhdx_open_rw(). */
HVK_API int vhdx_open_rw_fd(int fd, const char *path, const struct vhdx_open_opts *opts, vhdx_rw **out,
                            struct hv_err *err);

/*! vhdx_write() : writes virtual bytes [off, off+len); off and len must be
 *  multiples of the logical sector size. The first call of a session changes
 *  DataWriteGuid. Payload is flushed before the BAT or bitmap points at it.
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_write(vhdx_rw *w, const void *buf, size_t len, uint64_t off, struct hv_err *err);

/*! vhdx_discard() : whole blocks inside [off, off+len) become ZERO (base
 *  files) or ZERO in a child too (never exposing parent data); partial blocks
 *  at the edges are written with zeros. @return 0, or -1 with `err`. */
HVK_API int vhdx_discard(vhdx_rw *w, uint64_t off, uint64_t len, struct hv_err *err);


/*! vhdx_flush() : makes every completed write durable. @return 0 or -1. */
HVK_API int vhdx_flush(vhdx_rw *w, struct hv_err *err);

/*! vhdx_close_rw() : flushes, clears LogGuid (clean close), closes.
 *  @return 0, or -1 with `err` (the handle is freed either way). Accepts NULL. */
HVK_API int vhdx_close_rw(vhdx_rw *w, struct hv_err *err);

HVK_API uint64_t vhdx_rw_virtual_size(const vhdx_rw *w);

/* ------------------------------------------------------------------ log tools */

struct vhdx_replay_report {
    int pending;               /* a sequence was (or would be) replayed */
    uint32_t entries;
    uint32_t data_sectors;     /* 4 KiB sectors written */
    uint64_t zero_bytes;
    uint64_t grow_to;          /* file extended to this size (0: no growth) */
};

/*! vhdx_replay() : applies a pending log to `path` in place (idempotent) and
 *  clears LogGuid; with `dry_run` only fills *rep.
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_replay(const char *path, int dry_run, struct vhdx_replay_report *rep,
                        struct hv_err *err);

#define VHDX_RELINK_IGNORE_ID_MISMATCH 0x1

/*! vhdx_relink() : rewrites the parent locator of differencing `child` to name
 *  `new_parent` (relative path from the child's directory; `win_path` as in
 *  vhdx_parent_info_from()), through the log. The new parent's DataWriteGuid
 *  must equal the child's linkage and its size and sector size must match,
 *  unless VHDX_RELINK_IGNORE_ID_MISMATCH (then the linkage is updated too).
 *  @return 0, or -1 with `err` (HV_MISMATCH). */
HVK_API int vhdx_relink(const char *child, const char *new_parent, const char *win_path,
                        unsigned flags, struct hv_err *err);

/*! vhdx_relink_fd() : the same on descriptors: `child_fd` open read-write,
 *  `parent_fd` readable; every check and the write use them, so nothing is
 *  resolved by path twice. `child` and `new_parent` name them in messages and
 *  give the relative path written to the locator. @return as vhdx_relink(). */
HVK_API int vhdx_relink_fd(int child_fd, const char *child, int parent_fd, const char *new_parent,
                           const char *win_path, unsigned flags, struct hv_err *err);

/*! vhdx_merge() : copies every sector differencing `child` holds into its
 *  immediate parent through the parent's write path, after recording the
 *  parent's next DataWriteGuid as the child's parent_linkage2 (crash-safe
 *  order of [MS-VHDX] note <12>). Re-running after a crash resumes. Without
 *  `keep_child` the child is deleted at the end.
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_merge(const char *child, int keep_child, struct hv_err *err);

#ifdef __cplusplus
}
#endif

#endif
