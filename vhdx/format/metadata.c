/* metadata.c: [MS-VHDX] 2.6 metadata region: the table and the known items.
 *
 *   region start                        +64K
 *   +-----------------------------------+-----------------------------+
 *   | "metadata" rsvd count rsvd2 (32)  | items, unordered, unaligned |
 *   | entry 0 .. entry n-1 (32 each)    | (offset >= 64 KiB)          |
 *   +-----------------------------------+-----------------------------+
 *   entry: ItemId(16) Offset(4) Length(4) Flags(4) Reserved(4)
 *
 * No checksum protects any of this, so every offset and length is checked
 * against the region before an item is decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define G(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) \
    { { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p } }
const struct hv_guid VHDX_META_FILE_PARAMETERS = G(0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
                                                   0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B);
const struct hv_guid VHDX_META_VIRTUAL_DISK_SIZE = G(0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48,
                                                     0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8);
const struct hv_guid VHDX_META_VIRTUAL_DISK_ID = G(0xAB, 0x12, 0xCA, 0xBE, 0xE6, 0xB2, 0x23, 0x45,
                                                   0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46);
const struct hv_guid VHDX_META_LOGICAL_SECTOR_SIZE = G(0x1D, 0xBF, 0x41, 0x81, 0x6F, 0xA9, 0x09,
                                                       0x47, 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA,
                                                       0xAB, 0x5F);
const struct hv_guid VHDX_META_PHYSICAL_SECTOR_SIZE = G(0xC7, 0x48, 0xA3, 0xCD, 0x5D, 0x44, 0x71,
                                                        0x44, 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51,
                                                        0xC5, 0x56);
const struct hv_guid VHDX_META_PARENT_LOCATOR = G(0x2D, 0x5F, 0xD3, 0xA8, 0x0B, 0xB3, 0x4D, 0x45,
                                                  0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C);
/* Zero-length IsRequired item OpenVMM writes while a file is being created:
 * refusing it is the intended effect, so it is not in the known list. */

static const uint8_t MT_SIG[8] = { 'm', 'e', 't', 'a', 'd', 'a', 't', 'a' };

struct span_ix {
    uint32_t off, len, idx;
};

static int cmp_ix(const void *a, const void *b)
{
    const struct span_ix *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int vhdx_metadata_table_parse(struct hv_span s, struct vhdx_meta_table *t, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, MT_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "metadata table", s.off, "truncated: %zu of %d bytes", s.len,
                       MT_SIZE);
    if (memcmp(p + MT_OFF_SIGNATURE, MT_SIG, sizeof MT_SIG))
        return hv_fail(e, HV_CORRUPT, "metadata table", s.off, "bad signature (not 'metadata')");
    t->count = le16(p + MT_OFF_ENTRY_COUNT);
    if (t->count > MT_MAX_ENTRIES)
        return hv_fail(e, HV_CORRUPT, "metadata table", s.off + MT_OFF_ENTRY_COUNT,
                       "entry count %u above %u", t->count, MT_MAX_ENTRIES);
    unsigned users = 0;
    struct span_ix ix[MT_MAX_ENTRIES];
    size_t nix = 0;
    for (unsigned i = 0; i < t->count; i++) {
        const uint8_t *q = p + MT_HEADER_SIZE + (size_t)i * MTE_SIZE;
        uint64_t at = s.off + MT_HEADER_SIZE + (uint64_t)i * MTE_SIZE;
        struct vhdx_meta_entry *m = &t->e[i];
        memcpy(m->id.b, q + MTE_OFF_ITEM_ID, 16);
        m->offset = le32(q + MTE_OFF_OFFSET);
        m->length = le32(q + MTE_OFF_LENGTH);
        m->flags = le32(q + MTE_OFF_FLAGS);
        if (m->flags & MT_FLAG_IS_USER)
            users++;
        if (m->length > MT_ITEM_MAX_LEN)
            return hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_LENGTH,
                           "entry %u length %u above 1 MiB", i, m->length);
        if (m->length == 0) {
            if (m->offset != 0)
                return hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_OFFSET,
                               "entry %u is empty but has offset %u", i, m->offset);
        } else {
            if (m->offset < MT_SIZE)
                return hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_OFFSET,
                               "entry %u offset %u inside the table", i, m->offset);
            if (!span_at(s, m->offset, m->length))
                return hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_OFFSET,
                               "entry %u (offset %u, length %u) outside the %zu-byte region", i,
                               m->offset, m->length, s.len);
            ix[nix].off = m->offset;
            ix[nix].len = m->length;
            ix[nix].idx = i;
            nix++;
        }
        for (unsigned j = 0; j < i; j++)
            if (hv_guid_eq(&t->e[j].id, &m->id) &&
                (t->e[j].flags & MT_FLAG_IS_USER) == (m->flags & MT_FLAG_IS_USER))
                return hv_fail(e, HV_CORRUPT, "metadata table", at, "entry %u repeats entry %u's item",
                               i, j);
    }
    if (users > MT_MAX_USER_ENTRIES)
        return hv_fail(e, HV_CORRUPT, "metadata table", s.off, "%u user entries above %u", users,
                       MT_MAX_USER_ENTRIES);
    qsort(ix, nix, sizeof ix[0], cmp_ix);
    for (size_t i = 1; i < nix; i++)
        if ((uint64_t)ix[i - 1].off + ix[i - 1].len > ix[i].off)
            return hv_fail(e, HV_CORRUPT, "metadata item",
                           s.off + MT_HEADER_SIZE + (uint64_t)ix[i].idx * MTE_SIZE + MTE_OFF_OFFSET,
                           "entry %u overlaps entry %u", ix[i].idx, ix[i - 1].idx);
    return 0;
}

void vhdx_metadata_table_encode(const struct vhdx_meta_table *t, uint8_t *buf)
{
    memset(buf, 0, MT_SIZE);
    memcpy(buf + MT_OFF_SIGNATURE, MT_SIG, sizeof MT_SIG);
    unsigned n = t->count > MT_MAX_ENTRIES ? MT_MAX_ENTRIES : t->count;
    put_le16(buf + MT_OFF_ENTRY_COUNT, (uint16_t)n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *q = buf + MT_HEADER_SIZE + (size_t)i * MTE_SIZE;
        memcpy(q + MTE_OFF_ITEM_ID, t->e[i].id.b, 16);
        put_le32(q + MTE_OFF_OFFSET, t->e[i].offset);
        put_le32(q + MTE_OFF_LENGTH, t->e[i].length);
        put_le32(q + MTE_OFF_FLAGS, t->e[i].flags);
    }
}

/* Known item: exact size required; returns the item bytes or NULL with e set. */
static const uint8_t *item(struct hv_span s, const struct vhdx_meta_entry *m, uint32_t size,
                           uint64_t at, const char *name, struct hv_err *e)
{
    if (m->length != size) {
        hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_LENGTH, "%s length %u is not %u", name,
                m->length, size);
        return NULL;
    }
    const uint8_t *p = span_at(s, m->offset, size);
    if (!p)
        hv_fail(e, HV_CORRUPT, "metadata item", at + MTE_OFF_OFFSET, "%s outside the region", name);
    return p;
}

enum { HAVE_FP = 1, HAVE_VS = 2, HAVE_ID = 4, HAVE_LSS = 8, HAVE_PSS = 16, HAVE_ALL = 31 };

int vhdx_metadata_values_parse(struct hv_span s, const struct vhdx_meta_table *t,
                          struct vhdx_meta_values *v, struct hv_err *e)
{
    memset(v, 0, sizeof *v);
    unsigned have = 0;
    for (unsigned i = 0; i < t->count; i++) {
        const struct vhdx_meta_entry *m = &t->e[i];
        uint64_t at = s.off + MT_HEADER_SIZE + (uint64_t)i * MTE_SIZE;
        const uint8_t *p;
        if (m->flags & MT_FLAG_IS_USER) {
            /* User items are the owner's business; only IsRequired matters. */
            if (m->flags & MT_FLAG_IS_REQUIRED) {
                char g[40];
                return hv_fail(e, HV_UNSUPPORTED, "metadata item", at,
                               "unknown required user item %s", hv_guid_format(&m->id, 1, g));
            }
            continue;
        }
        if (hv_guid_eq(&m->id, &VHDX_META_FILE_PARAMETERS)) {
            if (!(p = item(s, m, 8, at, "file parameters", e)))
                return -1;
            v->block_size = le32(p);
            v->fp_flags = le32(p + 4);
            v->file_parameters_at = s.off + m->offset;
            uint64_t pat = s.off + m->offset;
            if (v->fp_flags & ~(uint32_t)(FP_LEAVE_BLOCK_ALLOCATED | FP_HAS_PARENT))
                return hv_fail(e, HV_UNSUPPORTED, "metadata item", pat + 4,
                               "file parameters flags 0x%x has reserved bits", v->fp_flags);
            if (!hv_is_pow2(v->block_size) || v->block_size < MiB || v->block_size > 256 * MiB)
                return hv_fail(e, HV_CORRUPT, "metadata item", pat,
                               "block size %u is not a power of 2 from 1 to 256 MiB", v->block_size);
            have |= HAVE_FP;
        } else if (hv_guid_eq(&m->id, &VHDX_META_VIRTUAL_DISK_SIZE)) {
            if (!(p = item(s, m, 8, at, "virtual disk size", e)))
                return -1;
            v->virtual_size = le64(p);
            v->virtual_size_at = s.off + m->offset;
            have |= HAVE_VS;
        } else if (hv_guid_eq(&m->id, &VHDX_META_VIRTUAL_DISK_ID)) {
            if (!(p = item(s, m, 16, at, "virtual disk id", e)))
                return -1;
            memcpy(v->virtual_disk_id.b, p, 16);
            have |= HAVE_ID;
        } else if (hv_guid_eq(&m->id, &VHDX_META_LOGICAL_SECTOR_SIZE)) {
            if (!(p = item(s, m, 4, at, "logical sector size", e)))
                return -1;
            v->logical_sector_size = le32(p);
            if (v->logical_sector_size != 512 && v->logical_sector_size != 4096)
                return hv_fail(e, HV_CORRUPT, "metadata item", s.off + m->offset,
                               "logical sector size %u is not 512 or 4096", v->logical_sector_size);
            have |= HAVE_LSS;
        } else if (hv_guid_eq(&m->id, &VHDX_META_PHYSICAL_SECTOR_SIZE)) {
            if (!(p = item(s, m, 4, at, "physical sector size", e)))
                return -1;
            v->physical_sector_size = le32(p);
            if (v->physical_sector_size != 512 && v->physical_sector_size != 4096)
                return hv_fail(e, HV_CORRUPT, "metadata item", s.off + m->offset,
                               "physical sector size %u is not 512 or 4096",
                               v->physical_sector_size);
            have |= HAVE_PSS;
        } else if (hv_guid_eq(&m->id, &VHDX_META_PARENT_LOCATOR)) {
            v->has_locator = 1;
            v->locator_offset = m->offset;
            v->locator_length = m->length;
        } else if (m->flags & MT_FLAG_IS_REQUIRED) {
            char g[40];
            return hv_fail(e, HV_UNSUPPORTED, "metadata item", at,
                           "unknown required item %s", hv_guid_format(&m->id, 1, g));
        }
    }
    if (have != HAVE_ALL) {
        static const char *const names[] = { "file parameters", "virtual disk size",
                                             "virtual disk id", "logical sector size",
                                             "physical sector size" };
        for (int i = 0; i < 5; i++)
            if (!(have & (1u << i)))
                return hv_fail(e, HV_CORRUPT, "metadata table", s.off + MT_OFF_ENTRY_COUNT,
                               "%s item missing", names[i]);
    }
    if (v->virtual_size == 0 || v->virtual_size % v->logical_sector_size ||
        v->virtual_size > 64 * TiB)
        return hv_fail(e, HV_CORRUPT, "metadata item", v->virtual_size_at,
                       "virtual disk size %llu is not a non-zero multiple of %u up to 64 TiB",
                       (unsigned long long)v->virtual_size, v->logical_sector_size);
    if ((v->fp_flags & FP_HAS_PARENT) && !v->has_locator)
        return hv_fail(e, HV_CORRUPT, "parent locator", v->file_parameters_at + 4,
                       "HasParent is set but there is no parent locator item");
    return 0;
}

void vhdx_meta_file_parameters_encode(uint32_t block_size, uint32_t flags, uint8_t *buf)
{
    put_le32(buf, block_size);
    put_le32(buf + 4, flags);
}

void vhdx_meta_u64_encode(uint64_t v, uint8_t *buf)
{
    put_le64(buf, v);
}

void vhdx_meta_u32_encode(uint32_t v, uint8_t *buf)
{
    put_le32(buf, v);
}
