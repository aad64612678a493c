/* vhd_footer.c: VHD hard disk footer and dynamic disk header (Virtual Hard
 * Disk Image Format Specification, "Hard Disk Footer Format" and "Dynamic
 * Disk Header Format"); layouts in vhd_layout.h. */
#include <string.h>

#include "vhd_layout.h"

uint32_t vhdx_vhd_checksum(const uint8_t *p, size_t len, size_t skip)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        if (i < skip || i >= skip + 4)
            sum += p[i];
    return ~sum;
}

int vhdx_vhd_footer_parse(struct hv_span s, struct vhd_footer *f, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, VF_SIZE);
    if (!p)
        return hv_fail(e, HV_FORMAT, "VHD footer", s.off, "file too short for a VHD footer");
    if (memcmp(p + VF_OFF_COOKIE, "conectix", 8) != 0)
        return hv_fail(e, HV_FORMAT, "VHD footer", s.off, "no 'conectix' cookie");
    memset(f, 0, sizeof *f);
    f->checksum = vhd_be32(p + VF_OFF_CHECKSUM);
    if (f->checksum != vhdx_vhd_checksum(p, VF_SIZE, VF_OFF_CHECKSUM))
        return hv_fail(e, HV_CORRUPT, "VHD footer", s.off + VF_OFF_CHECKSUM,
                       "checksum 0x%08x, computed 0x%08x", f->checksum,
                       vhdx_vhd_checksum(p, VF_SIZE, VF_OFF_CHECKSUM));
    f->features = vhd_be32(p + VF_OFF_FEATURES);
    f->version = vhd_be32(p + VF_OFF_VERSION);
    f->data_offset = vhd_be64(p + VF_OFF_DATA_OFFSET);
    f->timestamp = vhd_be32(p + VF_OFF_TIMESTAMP);
    memcpy(f->creator_app, p + VF_OFF_CREATOR_APP, 4);
    f->original_size = vhd_be64(p + VF_OFF_ORIGINAL_SIZE);
    f->current_size = vhd_be64(p + VF_OFF_CURRENT_SIZE);
    f->cylinders = (uint16_t)(p[VF_OFF_GEOMETRY] << 8 | p[VF_OFF_GEOMETRY + 1]);
    f->heads = p[VF_OFF_GEOMETRY + 2];
    f->sectors = p[VF_OFF_GEOMETRY + 3];
    f->disk_type = vhd_be32(p + VF_OFF_DISK_TYPE);
    memcpy(f->unique_id, p + VF_OFF_UNIQUE_ID, 16);
    if (f->version >> 16 != 1)
        return hv_fail(e, HV_UNSUPPORTED, "VHD footer", s.off + VF_OFF_VERSION,
                       "format version 0x%08x", f->version);
    if (f->disk_type != VHD_TYPE_FIXED && f->disk_type != VHD_TYPE_DYNAMIC &&
        f->disk_type != VHD_TYPE_DIFFERENCING)
        return hv_fail(e, HV_CORRUPT, "VHD footer", s.off + VF_OFF_DISK_TYPE, "disk type %u",
                       f->disk_type);
    if (f->current_size % VHD_SECTOR || f->current_size > VHD_MAX_SIZE)
        return hv_fail(e, HV_CORRUPT, "VHD footer", s.off + VF_OFF_CURRENT_SIZE,
                       "current size %llu is not a multiple of 512 up to 2040 GiB",
                       (unsigned long long)f->current_size);
    return 0;
}

int vhdx_vhd_dyn_header_parse(struct hv_span s, struct vhd_dyn_header *h, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, VH_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "VHD dynamic header", s.off, "beyond the end of the file");
    if (memcmp(p + VH_OFF_COOKIE, "cxsparse", 8) != 0)
        return hv_fail(e, HV_CORRUPT, "VHD dynamic header", s.off, "no 'cxsparse' cookie");
    memset(h, 0, sizeof *h);
    h->checksum = vhd_be32(p + VH_OFF_CHECKSUM);
    if (h->checksum != vhdx_vhd_checksum(p, VH_SIZE, VH_OFF_CHECKSUM))
        return hv_fail(e, HV_CORRUPT, "VHD dynamic header", s.off + VH_OFF_CHECKSUM,
                       "checksum 0x%08x, computed 0x%08x", h->checksum,
                       vhdx_vhd_checksum(p, VH_SIZE, VH_OFF_CHECKSUM));
    if (vhd_be32(p + VH_OFF_VERSION) >> 16 != 1)
        return hv_fail(e, HV_UNSUPPORTED, "VHD dynamic header", s.off + VH_OFF_VERSION,
                       "header version 0x%08x", vhd_be32(p + VH_OFF_VERSION));
    h->table_offset = vhd_be64(p + VH_OFF_TABLE_OFFSET);
    h->max_entries = vhd_be32(p + VH_OFF_MAX_ENTRIES);
    h->block_size = vhd_be32(p + VH_OFF_BLOCK_SIZE);
    if (!hv_is_pow2(h->block_size) || h->block_size < VHD_SECTOR || h->block_size > (256u << 20))
        return hv_fail(e, HV_CORRUPT, "VHD dynamic header", s.off + VH_OFF_BLOCK_SIZE,
                       "block size %u is not a power of 2 from 512 B to 256 MiB", h->block_size);
    memcpy(h->parent_id, p + VH_OFF_PARENT_ID, 16);
    memcpy(h->parent_name, p + VH_OFF_PARENT_NAME, sizeof h->parent_name);
    for (int i = 0; i < 8; i++) {
        const uint8_t *l = p + VH_OFF_LOCATORS + i * VPL_SIZE;
        h->loc[i] = (struct vhd_locator){ vhd_be32(l + VPL_OFF_CODE), vhd_be32(l + VPL_OFF_SPACE),
                                          vhd_be32(l + VPL_OFF_LENGTH), vhd_be64(l + VPL_OFF_OFFSET) };
    }
    return 0;
}
