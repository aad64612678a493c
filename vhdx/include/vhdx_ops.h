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

#ifdef __cplusplus
}
#endif

#endif
