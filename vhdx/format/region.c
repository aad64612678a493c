/* region.c: [MS-VHDX] 2.2.3 region table (two 64 KiB copies at 192 and 256 KiB).
 *
 *   0    4    8     12   16                                            64K
 *   +----+----+-----+----+--------------------------------------------+
 *   |regi|crc |count|rsvd| entry 0 | entry 1 | ... (<= 2047) | reserved|
 *   +----+----+-----+----+--------------------------------------------+
 *   entry: Guid(16) FileOffset(8) Length(4) Required(4)
 *
 * CRC-32C covers the full 64 KiB. The BAT and metadata regions are recognised
 * whatever their Required bit says, because qemu writes Required = 0.
 */
#include <string.h>

#include "hv_crc.h"
#include "layout.h"

/* 2DC27766-F623-4200-9D64-115E9BFD4A08 and 8B7CA206-4790-4B9A-B8FE-575F050F886E */
const struct hv_guid VHDX_REGION_BAT = { { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42, 0x9D,
                                            0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 } };
const struct hv_guid VHDX_REGION_METADATA = { { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
                                                 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E } };

static const uint8_t RT_SIG[4] = { 'r', 'e', 'g', 'i' };

int vhdx_region_parse(struct hv_span s, struct vhdx_region_table *rt, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, RT_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "region table", s.off, "truncated: %zu of %d bytes", s.len,
                       RT_SIZE);
    if (memcmp(p + RT_OFF_SIGNATURE, RT_SIG, sizeof RT_SIG))
        return hv_fail(e, HV_CORRUPT, "region table", s.off, "bad signature (not 'regi')");
    uint32_t want = le32(p + RT_OFF_CHECKSUM);
    uint32_t crc = hv_crc32c_skip(p, RT_SIZE, RT_OFF_CHECKSUM);
    if (crc != want)
        return hv_fail(e, HV_CORRUPT, "region table", s.off + RT_OFF_CHECKSUM,
                       "checksum 0x%08x does not match computed 0x%08x", want, crc);
    rt->count = le32(p + RT_OFF_ENTRY_COUNT);
    if (rt->count > RT_MAX_ENTRIES)
        return hv_fail(e, HV_CORRUPT, "region table", s.off + RT_OFF_ENTRY_COUNT,
                       "entry count %u above %u", rt->count, RT_MAX_ENTRIES);
    for (uint32_t i = 0; i < rt->count; i++) {
        const uint8_t *q = p + RT_HEADER_SIZE + (size_t)i * RTE_SIZE;
        uint64_t at = s.off + RT_HEADER_SIZE + (uint64_t)i * RTE_SIZE;
        struct vhdx_region *r = &rt->e[i];
        memcpy(r->guid.b, q + RTE_OFF_GUID, 16);
        r->file_offset = le64(q + RTE_OFF_FILE_OFFSET);
        r->length = le32(q + RTE_OFF_LENGTH);
        r->required = le32(q + RTE_OFF_REQUIRED);
        if (r->file_offset % MiB || r->file_offset < MiB)
            return hv_fail(e, HV_CORRUPT, "region table", at + RTE_OFF_FILE_OFFSET,
                           "entry %u offset 0x%llx is not 1 MiB aligned after the header section", i,
                           (unsigned long long)r->file_offset);
        if (r->length % MiB || r->length == 0)
            return hv_fail(e, HV_CORRUPT, "region table", at + RTE_OFF_LENGTH,
                           "entry %u length %u is not a non-zero multiple of 1 MiB", i, r->length);
        if (r->file_offset > UINT64_MAX - r->length)
            return hv_fail(e, HV_CORRUPT, "region table", at + RTE_OFF_FILE_OFFSET,
                           "entry %u ends beyond 2^64", i);
        int known = hv_guid_eq(&r->guid, &VHDX_REGION_BAT) ||
                    hv_guid_eq(&r->guid, &VHDX_REGION_METADATA);
        if (!known && (r->required & 1)) {
            char g[40];
            return hv_fail(e, HV_UNSUPPORTED, "region table", at,
                           "unknown required region %s", hv_guid_format(&r->guid, 1, g));
        }
        /* Entry counts are at most 2047: pairwise checks cost < 2.1M steps. */
        for (uint32_t j = 0; j < i; j++) {
            const struct vhdx_region *o = &rt->e[j];
            if (hv_guid_eq(&o->guid, &r->guid))
                return hv_fail(e, HV_CORRUPT, "region table", at, "entry %u repeats entry %u's GUID",
                               i, j);
            if (r->file_offset < o->file_offset + o->length &&
                o->file_offset < r->file_offset + r->length)
                return hv_fail(e, HV_CORRUPT, "region table", at + RTE_OFF_FILE_OFFSET,
                               "entry %u overlaps entry %u", i, j);
        }
    }
    return 0;
}

void vhdx_region_encode(const struct vhdx_region_table *rt, uint8_t *buf)
{
    memset(buf, 0, RT_SIZE);
    memcpy(buf + RT_OFF_SIGNATURE, RT_SIG, sizeof RT_SIG);
    uint32_t n = rt->count > RT_MAX_ENTRIES ? RT_MAX_ENTRIES : rt->count;
    put_le32(buf + RT_OFF_ENTRY_COUNT, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *q = buf + RT_HEADER_SIZE + (size_t)i * RTE_SIZE;
        memcpy(q + RTE_OFF_GUID, rt->e[i].guid.b, 16);
        put_le64(q + RTE_OFF_FILE_OFFSET, rt->e[i].file_offset);
        put_le32(q + RTE_OFF_LENGTH, rt->e[i].length);
        put_le32(q + RTE_OFF_REQUIRED, rt->e[i].required);
    }
    put_le32(buf + RT_OFF_CHECKSUM, hv_crc32c_skip(buf, RT_SIZE, RT_OFF_CHECKSUM));
}
