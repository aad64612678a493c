/* vhdx_ops.h: whole-disk operations of libvhdx (the work of PowerShell's
 * Resize-VHD and Optimize-VHD, and of qemu-img compare / measure).
 *
 *   vhdx_resize()   grow or shrink the virtual disk in place, through the log
 *   vhdx_compact()  unallocate all-zero blocks, move payload down, truncate
 *   vhdx_compare()  first virtual offset where two disks differ
 *   vhdx_measure()  file size an image of a given size and content needs
 *
 * Mutating calls open the file with vhdx_open_rw() (an exclusive flock, the
 * log, DataWriteGuid changed once) and report what they changed. The
 * *_rw() forms work on an open handle (crash tests, callers with their own
 * hv_io).
 */
#ifndef HVK_VHDX_OPS_H
#define HVK_VHDX_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "vhdx.h"
#include "vhdx_write.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ resize */

struct vhdx_resize_report {
    uint64_t old_size, new_size;           /* virtual sizes */
    uint64_t old_file_size, new_file_size; /* bytes of the file before and after */
    uint64_t blocks_added;                 /* fixed: payload blocks allocated */
    uint64_t blocks_released;              /* shrink: allocated blocks dropped */
    int bat_moved;                         /* the BAT region was relocated to grow */
    uint64_t bat_offset, bat_length;       /* the BAT region afterwards */
};

/*! vhdx_resize() :
 *  Sets the virtual size of fixed or dynamic `path` to `new_size` (a
 *  multiple of the logical sector size, at most 64 TiB). Growing: fixed
 *  images get their new blocks allocated (fallocate), dynamic images new
 *  NOT_PRESENT entries; when the BAT region is too small, a larger copy is
 *  written at the end of the file and the region tables are switched to it
 *  in the same logged transaction as the new size. Shrinking: refused
 *  (HV_USAGE, file unchanged) when any allocated byte beyond the new end is
 *  not zero; released blocks at the end of the file are truncated away.
 *  The new size becomes visible in one logged transaction: a crash leaves
 *  the old or the new disk. Differencing images are refused
 *  (HV_UNSUPPORTED): their size must equal their parent's.
 *  @return 0, or -1 with `err`. */
HVK_API int vhdx_resize(const char *path, uint64_t new_size, struct vhdx_resize_report *rep,
                        struct hv_err *err);

/*! vhdx_resize_rw() : the same on an open handle (not closed). */
HVK_API int vhdx_resize_rw(vhdx_rw *w, uint64_t new_size, struct vhdx_resize_report *rep,
                           struct hv_err *err);

/* ------------------------------------------------------------------ compact */

struct vhdx_compact_report {
    uint64_t old_file_size, new_file_size;
    uint64_t blocks_unallocated; /* all-zero blocks given back */
    uint64_t blocks_moved;       /* payload or bitmap blocks moved down */
};

/*! vhdx_compact() :
 *  Optimize-VHD for dynamic and differencing `path`: FULLY_PRESENT blocks
 *  reading all zeros become NOT_PRESENT (dynamic) or ZERO (differencing),
 *  the remaining blocks move down into the holes, and the file is truncated
 *  after its last used byte. The virtual disk and DataWriteGuid do not
 *  change (children stay valid). Every step is logged; after a crash the
 *  image reads the same and running compact again completes the job.
 *  Fixed images are refused (HV_UNSUPPORTED, file unchanged).
 *  @return 0 and *rep, or -1 with `err`. */
HVK_API int vhdx_compact(const char *path, struct vhdx_compact_report *rep, struct hv_err *err);

/*! vhdx_compact_rw() : the same on an open handle (not closed). */
HVK_API int vhdx_compact_rw(vhdx_rw *w, struct vhdx_compact_report *rep, struct hv_err *err);

/* ------------------------------------------------------------------ merge */

struct vhdx_merge_step {
    char child[4096], parent[4096];
    uint64_t bytes;                /* virtual bytes the child holds */
};

struct vhdx_merge_plan {
    struct vhdx_merge_step *steps; /* top first */
    size_t n;
    size_t done;                   /* steps completed */
};

/*! vhdx_merge_into() :
 *  Merge-VHD -DestinationPath: folds differencing `child` and every layer
 *  between it and `ancestor` (a file of its chain) into `ancestor`, one
 *  vhdx_merge() per layer from the top down; merged layers are deleted
 *  unless `keep`. Each step is crash-safe and resumable, and the remaining
 *  chain is complete between steps: after a crash run it again (from the
 *  layer that is now on top). With `dry_run` only the plan is filled.
 *  @return 0 and *plan (free it with vhdx_merge_plan_free()), or -1 with
 *          `err` (HV_USAGE: `ancestor` is not below `child`). */
HVK_API int vhdx_merge_into(const char *child, const char *ancestor,
                            const struct vhdx_open_opts *opts, int dry_run, int keep,
                            struct vhdx_merge_plan *plan, struct hv_err *err);
HVK_API void vhdx_merge_plan_free(struct vhdx_merge_plan *plan); /* accepts NULL */

/* ------------------------------------------------------------------ set */

struct vhdx_set_params {
    uint32_t physical_sector_size; /* 512 or 4096; 0: keep */
    int reset_disk_id;             /* a new random Virtual Disk ID */
    int new_data_write_guid;       /* a new DataWriteGuid (children stop opening) */
    const char *parent;            /* differencing: relink to this parent; NULL: keep */
    const char *parent_win_path;   /* with parent: as in vhdx_relink() */
    unsigned relink_flags;         /* VHDX_RELINK_* */
};

struct vhdx_set_report {
    struct hv_guid old_disk_id, new_disk_id;
    struct hv_guid old_data_write_guid, new_data_write_guid;
    uint32_t old_physical_sector_size, new_physical_sector_size;
};

/*! vhdx_set() : Set-VHD: changes what `p` asks for in place, through the log
 *  (the parent through vhdx_relink() first). The virtual disk's bytes do not
 *  change. @return 0 and *rep, or -1 with `err`. */
HVK_API int vhdx_set(const char *path, const struct vhdx_set_params *p, struct vhdx_set_report *rep,
                     struct hv_err *err);

/* ------------------------------------------------------------------ convert --parent */

struct vhdx_convert_diff_report {
    uint64_t blocks;         /* payload blocks of the child */
    uint64_t blocks_stored;  /* FULLY_PRESENT: the disk differs from the parent */
    uint64_t blocks_zero;    /* ZERO: the disk reads zeros over parent data */
};

/*! vhdx_convert_diff() :
 *  Writes `out`, a new differencing child of VHDX `parent` (its chain is
 *  resolved) whose virtual disk equals `in` (raw or VHDX chain, the same
 *  size as the parent) and which holds only the blocks where `in` and the
 *  parent differ. `win_path` as in vhdx_parent_info_from(); `block_size` 0:
 *  2 MiB. @return 0 and *rep, or -1 with `err` (HV_MISMATCH sizes differ). */
HVK_API int vhdx_convert_diff(const char *in, const char *out, const char *parent,
                              const char *win_path, uint32_t block_size,
                              struct vhdx_convert_diff_report *rep, struct hv_err *err);

/*! vhdx_convert_vhd() : a VHD (v1) fixed, dynamic or differencing chain
 *  `in` into a new VHDX (`p->type`, `p->block_size`) or raw file `out`
 *  (`p->out_format`); all-zero MiBs are not stored.
 *  @return 0, or -1 with `err` (HV_FORMAT: `in` is not a VHD). */
HVK_API int vhdx_convert_vhd(const char *in, const char *out, const struct vhdx_convert_params *p,
                             struct hv_err *err);

/* ------------------------------------------------------------------ compare */

struct vhdx_compare_result {
    int differ;              /* 1 when the disks differ (content, or size if strict) */
    int size_mismatch;       /* the virtual sizes differ */
    uint64_t size_a, size_b;
    uint64_t first_byte;     /* first differing byte (valid when differ by content) */
};

/*! vhdx_compare() :
 *  Compares the virtual disks `a` and `b` (each a VHDX chain, or a raw image
 *  when it has no VHDX identifier), as qemu-img compare does: bytes beyond
 *  the shorter disk must read zeros; with `strict` sizes must be equal.
 *  @return 0 and *r, or -1 with `err` (either file cannot be opened). */
HVK_API int vhdx_compare(const char *a, const char *b, const struct vhdx_open_opts *opts,
                         int strict, struct vhdx_compare_result *r, struct hv_err *err);

/* ------------------------------------------------------------------ measure */

struct vhdx_measure {
    uint64_t virtual_size;
    uint32_t block_size;
    uint64_t data_blocks;      /* payload blocks of the geometry */
    uint64_t used_blocks;      /* blocks holding a non-zero byte (input given) */
    uint64_t bat_bytes;        /* the BAT region */
    uint64_t overhead;         /* header area, log, metadata, BAT */
    uint64_t required;         /* overhead + used blocks (dynamic image of the input) */
    uint64_t fully_allocated;  /* overhead + every block (fixed image) */
};

/*! vhdx_measure() :
 *  The file sizes a VHDX written by hvkit (create, convert) takes: for the
 *  disk `in` (VHDX chain or raw; NULL: an empty disk of `size` bytes), with
 *  payload blocks of `block_size` (0: 32 MiB) and logical sectors of `lss`
 *  (0: the input's, or 512).
 *  @return 0 and *m, or -1 with `err`. */
HVK_API int vhdx_measure(const char *in, const struct vhdx_open_opts *opts, uint64_t size,
                         uint32_t block_size, uint32_t lss, struct vhdx_measure *m,
                         struct hv_err *err);

#ifdef __cplusplus
}
#endif

#endif
