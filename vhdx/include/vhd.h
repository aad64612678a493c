/* vhd.h: read-only access to VHD (version 1) images and their differencing
 * chains (Virtual Hard Disk Image Format Specification, Microsoft 2006):
 * fixed, dynamic and differencing disks, parents found through the W2ru /
 * W2ku locators or the parent's name beside the child. Used by `vhdx
 * convert`, `compare` and `measure` to accept .vhd/.avhd inputs.
 */
#ifndef HVK_VHD_H
#define HVK_VHD_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vhd vhd;

#define VHD_OPEN_NO_PARENT 0x1 /* do not open a differencing disk's parent (reads zeros there) */

/*! vhdx_vhd_probe_file() : @return 1 when `path` ends with (or, for dynamic
 *  disks, starts with) a VHD footer cookie, 0 otherwise or when unreadable. */
HVK_API int vhdx_vhd_probe_file(const char *path);

/*! vhdx_vhd_open() : maps `path`, validates footer, dynamic header and BAT
 *  bounds, and opens the parent chain of a differencing disk (its Unique Id
 *  must equal the child's Parent Unique Id).
 *  @return 0 and *out, or -1 with `err` (HV_FORMAT not a VHD, HV_CORRUPT,
 *          HV_NOTFOUND parent missing, HV_MISMATCH parent identity). */
HVK_API int vhdx_vhd_open(const char *path, unsigned flags, vhd **out, struct hv_err *err);
HVK_API void vhdx_vhd_close(vhd *v); /* accepts NULL */

/*! vhdx_vhd_read() : virtual bytes [off, off+len) through the chain.
 *  @return 0, or -1 with `err` (HV_USAGE beyond the size, HV_CORRUPT a block
 *          outside the file). */
HVK_API int vhdx_vhd_read(vhd *v, void *buf, size_t len, uint64_t off, struct hv_err *err);

struct vhd_info {
    uint32_t type;              /* 2 fixed, 3 dynamic, 4 differencing */
    uint64_t virtual_size;      /* footer Current Size */
    uint32_t block_size;        /* dynamic/differencing; 0 for fixed */
    uint64_t blocks, allocated_blocks;
    char creator[5];
    uint16_t cylinders;
    uint8_t heads, sectors;
    const char *parent_path;    /* the opened parent, or NULL */
};
HVK_API void vhdx_vhd_get_info(const vhd *v, struct vhd_info *out);

/*! vhdx_vhd_block_used() : @return 1 when block `b` of this layer or a parent
 *  is allocated (fixed disks: always), 0 when it reads zeros everywhere. */
HVK_API int vhdx_vhd_block_used(const vhd *v, uint64_t b);

#ifdef __cplusplus
}
#endif

#endif
