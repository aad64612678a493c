/* setprops.c: changing an image's identity and reported geometry in place
 * (Set-VHD): the physical sector size item ([MS-VHDX] 2.6.2.5), the Virtual
 * Disk ID item (2.6.2.3, -ResetDiskIdentifier), a new DataWriteGuid (2.2.2)
 * and the parent path (relink.c). Metadata items change through one logged
 * transaction; the virtual disk's bytes never change. */
#include <string.h>

#include "diskops_int.h"

/* Offset inside the metadata region of item `id` (parsed, so in bounds). */
static int item_at(const struct vhdx_rw *w, const struct hv_guid *id, uint32_t len, uint32_t *at,
                   struct hv_err *e)
{
    for (uint16_t i = 0; i < w->mt->count; i++)
        if (hv_guid_eq(&w->mt->e[i].id, id) && w->mt->e[i].length >= len) {
            *at = w->mt->e[i].offset;
            return 0;
        }
    return hv_failx(e, HV_CORRUPT, "metadata table", "required item missing");
}

static int set_items(struct vhdx_rw *w, const struct vhdx_set_params *p, struct vhdx_set_report *r,
                     struct hv_err *e)
{
    struct txn t = { .n = 0 };
    uint32_t at = 0;
    if (p->physical_sector_size) {
        if (item_at(w, &VHDX_META_PHYSICAL_SECTOR_SIZE, 4, &at, e) != 0)
            return -1;
        vhdx_meta_u32_encode(p->physical_sector_size, w->meta + at);
        vhdx_txn_add(&t, w->meta, w->meta_r.file_offset, at);
        w->mv.physical_sector_size = p->physical_sector_size;
    }
    if (p->reset_disk_id) {
        if (item_at(w, &VHDX_META_VIRTUAL_DISK_ID, 16, &at, e) != 0)
            return -1;
        hv_guid_random(&w->mv.virtual_disk_id);
        memcpy(w->meta + at, w->mv.virtual_disk_id.b, 16);
        vhdx_txn_add(&t, w->meta, w->meta_r.file_offset, at);
        vhdx_txn_add(&t, w->meta, w->meta_r.file_offset, at + 15); /* may straddle a sector */
    }
    r->new_disk_id = w->mv.virtual_disk_id;
    r->new_physical_sector_size = w->mv.physical_sector_size;
    return t.n ? vhdx_txn_commit(w, &t, e) : 0;
}

int vhdx_set(const char *path, const struct vhdx_set_params *p, struct vhdx_set_report *r,
             struct hv_err *e)
{
    memset(r, 0, sizeof *r);
    uint32_t pss = p->physical_sector_size;
    if (pss && pss != 512 && pss != 4096) { /* refused before anything is written */
        hv_err_file(e, path);
        return hv_failx(e, HV_USAGE, "set", "physical sector size %u is not 512 or 4096", pss);
    }
    if (p->parent && vhdx_relink(path, p->parent, p->parent_win_path, p->relink_flags, e) != 0)
        return -1;
    vhdx_rw *w;
    if (vhdx_open_rw(path, NULL, &w, e) != 0)
        return -1;
    r->old_disk_id = w->mv.virtual_disk_id;
    r->old_physical_sector_size = w->mv.physical_sector_size;
    r->old_data_write_guid = w->hdr[w->cur].data_write_guid;
    int rc = set_items(w, p, r, e);
    if (rc == 0 && p->new_data_write_guid)
        rc = vhdx_rw_touch_data(w, e);
    r->new_data_write_guid = w->hdr[w->cur].data_write_guid;
    if (rc != 0)
        hv_err_file(e, path);
    int rc2 = vhdx_close_rw(w, rc == 0 ? e : NULL);
    return rc || rc2 ? -1 : 0;
}
