/* bat.c: [MS-VHDX] 2.5 block allocation table geometry and entries.
 *
 *   BAT (u64 LE entries), chunk ratio R = 2^23 * LogicalSectorSize / BlockSize:
 *   +----+----+-----+------+----+----+-----+--------+-----+
 *   | P0 | P1 | ... | PR-1 | S0 | PR | ... | P2R-1  | S1  | ...
 *   +----+----+-----+------+----+----+-----+--------+-----+
 *   entry: bits 0-2 state, 3-19 reserved, 20-63 FileOffsetMB
 *
 * Counts (spec images missing; qemu, VirtualBox and OpenVMM agree):
 *   fixed/dynamic: DataBlocks + (DataBlocks - 1) / R   (no trailing SB entry)
 *   differencing:  SBBlocks * (R + 1)
 */
#include "layout.h"

int vhdx_bat_geometry(uint64_t virtual_size, uint32_t block_size, uint32_t lss, int differencing,
                 struct vhdx_geom *g, struct hv_err *e)
{
    if (!hv_is_pow2(block_size) || block_size < MiB || block_size > 256 * MiB)
        return hv_fail(e, HV_CORRUPT, "metadata item", 0,
                       "block size %u is not a power of 2 from 1 to 256 MiB", block_size);
    if (lss != 512 && lss != 4096)
        return hv_fail(e, HV_CORRUPT, "metadata item", 0, "logical sector size %u is not 512 or 4096",
                       lss);
    if (virtual_size == 0 || virtual_size % lss || virtual_size > 64 * TiB)
        return hv_fail(e, HV_CORRUPT, "metadata item", 0,
                       "virtual disk size %llu is not a non-zero multiple of %u up to 64 TiB",
                       (unsigned long long)virtual_size, lss);
    g->virtual_size = virtual_size;
    g->block_size = block_size;
    g->lss = lss;
    g->differencing = differencing;
    g->chunk_ratio = (uint32_t)(((UINT64_C(1) << 23) * lss) / block_size);
    g->data_blocks = (virtual_size + block_size - 1) / block_size;
    g->sb_blocks = (g->data_blocks + g->chunk_ratio - 1) / g->chunk_ratio;
    if (differencing)
        g->total_entries = g->sb_blocks * ((uint64_t)g->chunk_ratio + 1);
    else
        g->total_entries = g->data_blocks + (g->data_blocks - 1) / g->chunk_ratio;
    return 0;
}

int vhdx_bat_entry_parse(struct hv_span bat, uint64_t index, uint64_t *out, struct hv_err *e)
{
    if (index > UINT64_MAX / 8)
        return hv_fail(e, HV_CORRUPT, "BAT", bat.off, "entry %llu out of range",
                       (unsigned long long)index);
    const uint8_t *p = span_at(bat, index * 8, 8);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "BAT", bat.off, "entry %llu beyond the %zu-byte BAT",
                       (unsigned long long)index, bat.len);
    *out = le64(p);
    return 0;
}

void vhdx_bat_entry_encode(uint64_t v, uint8_t *buf)
{
    put_le64(buf, v);
}

uint64_t vhdx_bat_zero_run(struct hv_span bat, uint64_t index, uint64_t end)
{
    if (end > bat.len / 8 || index >= end)
        return 0;
    /* 64 entries per zero check: a cache line's worth of calls per 512 bytes */
    return hv_zero_run(bat.p + index * 8, (size_t)((end - index) * 8), 512, 1) / 8;
}
