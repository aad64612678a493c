/* vhd_layout.h: the VHD (version 1) on-disk structures of the Virtual Hard
 * Disk Image Format Specification (Microsoft, 2006): hard disk footer,
 * dynamic disk header, BAT, block bitmaps. All fields are big-endian.
 *
 *   fixed:        | data (Current Size bytes) ............ | footer 512 |
 *   dynamic/diff: | footer copy | dyn header 1024 | BAT | blocks ... | footer 512 |
 *   block:        | bitmap (1 bit per sector, MSB first, whole sectors) | data |
 *
 * Pure: parsers take a struct hv_span and fill plain structs, no I/O.
 */
#ifndef HVK_VHD_LAYOUT_H
#define HVK_VHD_LAYOUT_H

#include <stdint.h>

#include "hv_bytes.h"
#include "hv_err.h"

#define VHD_SECTOR 512

/* ---- hard disk footer ---- */
#define VF_SIZE 512
#define VF_OFF_COOKIE 0        /* "conectix" */
#define VF_OFF_FEATURES 8
#define VF_OFF_VERSION 12      /* 0x00010000 */
#define VF_OFF_DATA_OFFSET 16  /* dynamic header; all ones for fixed */
#define VF_OFF_TIMESTAMP 24
#define VF_OFF_CREATOR_APP 28
#define VF_OFF_CREATOR_VER 32
#define VF_OFF_CREATOR_OS 36
#define VF_OFF_ORIGINAL_SIZE 40
#define VF_OFF_CURRENT_SIZE 48
#define VF_OFF_GEOMETRY 56
#define VF_OFF_DISK_TYPE 60
#define VF_OFF_CHECKSUM 64
#define VF_OFF_UNIQUE_ID 68
#define VF_OFF_SAVED_STATE 84
#define VF_OFF_RESERVED 85
_Static_assert(VF_OFF_RESERVED + 427 == VF_SIZE, "VHD footer size");

#define VHD_TYPE_FIXED 2
#define VHD_TYPE_DYNAMIC 3
#define VHD_TYPE_DIFFERENCING 4
#define VHD_MAX_SIZE (UINT64_C(2040) << 30) /* the format's 2040 GiB limit */

struct vhd_footer {
    uint32_t features, version;
    uint64_t data_offset;
    uint32_t timestamp;
    char creator_app[5];
    uint64_t original_size, current_size;
    uint16_t cylinders;
    uint8_t heads, sectors;
    uint32_t disk_type, checksum;
    uint8_t unique_id[16];
};

/* Checks cookie, checksum, version, type and size. */
int vhdx_vhd_footer_parse(struct hv_span s, struct vhd_footer *out, struct hv_err *e);

/* ---- dynamic disk header ---- */
#define VH_SIZE 1024
#define VH_OFF_COOKIE 0        /* "cxsparse" */
#define VH_OFF_DATA_OFFSET 8
#define VH_OFF_TABLE_OFFSET 16
#define VH_OFF_VERSION 24
#define VH_OFF_MAX_ENTRIES 28
#define VH_OFF_BLOCK_SIZE 32
#define VH_OFF_CHECKSUM 36
#define VH_OFF_PARENT_ID 40
#define VH_OFF_PARENT_TIME 56
#define VH_OFF_RESERVED1 60
#define VH_OFF_PARENT_NAME 64  /* UTF-16BE, 512 bytes */
#define VH_OFF_LOCATORS 576    /* 8 entries of 24 bytes */
#define VH_OFF_RESERVED2 768
_Static_assert(VH_OFF_RESERVED2 + 256 == VH_SIZE, "VHD dynamic header size");
#define VPL_SIZE 24
#define VPL_OFF_CODE 0
#define VPL_OFF_SPACE 4
#define VPL_OFF_LENGTH 8
#define VPL_OFF_RESERVED 12
#define VPL_OFF_OFFSET 16
_Static_assert(VPL_OFF_OFFSET + 8 == VPL_SIZE, "VHD parent locator entry size");
_Static_assert(VH_OFF_LOCATORS + 8 * VPL_SIZE == VH_OFF_RESERVED2, "VHD locator table");
#define VPL_W2RU 0x57327275u   /* "W2ru": relative Windows path, UTF-16LE */
#define VPL_W2KU 0x57326b75u   /* "W2ku": absolute Windows path, UTF-16LE */
#define VHD_BAT_UNUSED 0xFFFFFFFFu

struct vhd_locator {
    uint32_t code, space, length;
    uint64_t offset;
};

struct vhd_dyn_header {
    uint64_t table_offset;
    uint32_t max_entries, block_size, checksum;
    uint8_t parent_id[16];
    uint8_t parent_name[512]; /* UTF-16BE as stored */
    struct vhd_locator loc[8];
};

/* Checks cookie, checksum, version, block size (power of 2, 512 B-256 MiB). */
int vhdx_vhd_dyn_header_parse(struct hv_span s, struct vhd_dyn_header *out, struct hv_err *e);

/* Ones' complement of the byte sum of `len` bytes, skipping the 4 at `skip`. */
uint32_t vhdx_vhd_checksum(const uint8_t *p, size_t len, size_t skip);

static inline uint32_t vhd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t vhd_be64(const uint8_t *p)
{
    return (uint64_t)vhd_be32(p) << 32 | vhd_be32(p + 4);
}

#endif
