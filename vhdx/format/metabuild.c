/* vhdx_metabuild.c: assembles a complete metadata region ([MS-VHDX] 2.6) from a
 * list of items, and the VHDX parent locator item (2.6.2.6) of a child, for
 * new files (builder) and logged rewrites (relink, merge).
 * The table and item encodings are metadata.c's; this file only decides
 * where each item goes: packed in list order from 64 KiB, 8-byte aligned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

int vhdx_metabuild(const struct meta_item *items, size_t n, uint8_t *region, size_t region_len,
              struct hv_err *e)
{
    if (n > MT_MAX_ENTRIES)
        return hv_failx(e, HV_USAGE, "metadata table", "%zu items above %u", n, MT_MAX_ENTRIES);
    struct vhdx_meta_table *t = calloc(1, sizeof *t);
    if (!t)
        return hv_failx(e, HV_NOMEM, "metadata table", "out of memory");
    memset(region, 0, region_len);
    uint64_t at = MT_SIZE;
    for (size_t i = 0; i < n; i++) {
        const struct meta_item *it = &items[i];
        if (it->len > MT_ITEM_MAX_LEN || at + it->len > region_len) {
            free(t);
            return hv_failx(e, HV_USAGE, "metadata item", "items do not fit in %zu bytes",
                            region_len);
        }
        t->e[i].id = it->id;
        t->e[i].flags = it->flags;
        t->e[i].length = it->len;
        t->e[i].offset = it->len ? (uint32_t)at : 0; /* empty items have offset 0 */
        if (it->len)
            memcpy(region + at, it->data, it->len);
        at = round_up(at + it->len, 8);
    }
    t->count = (uint16_t)n;
    vhdx_metadata_table_encode(t, region);
    free(t);
    return 0;
}

int vhdx_locator_build(const struct vhdx_parent_info *pi, uint8_t *buf, size_t cap, size_t *len,
                  struct hv_err *e)
{
    char linkage[HV_GUID_STR_LEN + 1], linkage2[HV_GUID_STR_LEN + 1];
    hv_guid_format(&pi->linkage, 1, linkage);
    hv_guid_format(&pi->linkage2, 1, linkage2);
    struct vhdx_locator_kv kv[5];
    size_t n = 0;
    kv[n++] = (struct vhdx_locator_kv){ .key = "parent_linkage", .value = linkage };
    if (!hv_guid_is_zero(&pi->linkage2))
        kv[n++] = (struct vhdx_locator_kv){ .key = "parent_linkage2", .value = linkage2 };
    if (pi->relative_path)
        kv[n++] = (struct vhdx_locator_kv){ .key = "relative_path", .value = (char *)pi->relative_path };
    if (pi->volume_path)
        kv[n++] = (struct vhdx_locator_kv){ .key = "volume_path", .value = (char *)pi->volume_path };
    if (pi->absolute_win32_path)
        kv[n++] = (struct vhdx_locator_kv){ .key = "absolute_win32_path", .value = (char *)pi->absolute_win32_path };
    if (!pi->relative_path && !pi->volume_path && !pi->absolute_win32_path)
        return hv_failx(e, HV_USAGE, "parent locator", "no parent path given");
    struct vhdx_locator loc = { VHDX_LOCATOR_TYPE_VHDX, n, kv };
    *len = vhdx_locator_encode(&loc, buf, cap);
    if (*len == 0 || *len > cap)
        return hv_failx(e, HV_USAGE, "parent locator", "paths are not valid UTF-8 or too long");
    return 0;
}
