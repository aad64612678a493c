/* prestage_relink.c: rewrite a differencing child's parent locator, crash-safe,
 * for `vhdx prestage copy --relink`.
 *
 * STOPGAP: vhdx_write.h declares vhdx_relink() but the write engine has not
 * defined it yet. This is the minimal version built only from the write
 * engine's own pieces (vhdx_open_rw, vhdx_parent_info_from, locator_build,
 * metabuild, rw_log_changes), so the change goes through the VHDX log exactly
 * like their writes: entry -> flush -> apply -> flush. prestage_vhdx.c uses
 * vhdx_relink() instead as soon as it is defined (HVK_HAVE_RELINK); then this
 * file can go.
 *
 * The new locator names `parent` by relative path (from the child's directory)
 * and by `win` as absolute_win32_path (or volume_path); parent_linkage stays
 * the identity the child already had, so this never re-parents a disk. The
 * locator item is file metadata (not IsVirtualDisk), so DataWriteGuid is kept
 * and the child's own children stay linked.
 */
#include "prestage_relink.h"

#include <stdlib.h>
#include <string.h>

#include "hv_bytes.h"
#include "vhdx.h"
#include "vhdx_write.h"
#include "write_int.h"

#define PS_LOCATOR_MAX (64u << 10)

/* The child's current linkage GUIDs (zero when absent). */
static int current_linkage(const struct vhdx_rw *w, struct hv_guid *l1, struct hv_guid *l2, struct hv_err *e)
{
    memset(l1, 0, sizeof *l1);
    memset(l2, 0, sizeof *l2);
    if (!w->mv.has_locator)
        return hv_failx(e, HV_USAGE, "parent locator", "not a differencing image");
    struct hv_span s = hv_span_make(w->meta, w->meta_r.length, w->meta_r.file_offset), item;
    if (span_sub(s, w->mv.locator_offset, w->mv.locator_length, &item))
        return hv_failx(e, HV_CORRUPT, "parent locator", "outside the metadata region");
    struct vhdx_locator loc;
    if (locator_parse(item, &loc, e))
        return -1;
    const char *a = locator_get(&loc, "parent_linkage"), *b = locator_get(&loc, "parent_linkage2");
    int bad = !a || hv_guid_parse(a, strlen(a), l1) || (b && hv_guid_parse(b, strlen(b), l2));
    locator_free(&loc);
    return bad ? hv_failx(e, HV_CORRUPT, "parent locator", "parent_linkage missing or malformed") : 0;
}

int ps_relink_locator(const char *child, const char *parent, const char *win, struct hv_err *e)
{
    struct vhdx_open_opts o = { VHDX_OPEN_NO_PARENT, NULL, 0, NULL, 0 };
    vhdx *par = NULL;
    vhdx_rw *w = NULL;
    uint8_t *loc = NULL, *region = NULL;
    struct meta_item *items = NULL;
    char *store = malloc(4 * 4096);
    int rc = -1;
    if (!store) {
        hv_failx(e, HV_NOMEM, "relink", "out of memory");
        goto out;
    }
    if (vhdx_open(parent, &o, &par, e))
        goto out;
    struct vhdx_parent_info pi;
    if (vhdx_parent_info_from(par, child, win, &pi, store, 4 * 4096, e))
        goto out;
    if (vhdx_open_rw(child, &o, &w, e))
        goto out;
    struct hv_guid l1, l2;
    if (current_linkage(w, &l1, &l2, e))
        goto out;
    /* Never re-parent: the new parent must be the identity already linked. */
    if (!hv_guid_eq(&pi.linkage, &l1) && !(!hv_guid_is_zero(&l2) && hv_guid_eq(&pi.linkage, &l2))) {
        hv_fail(e, HV_MISMATCH, "parent locator", 0, "'%s' is not the parent this child is linked to", parent);
        goto out;
    }
    if (pi.virtual_size != w->mv.virtual_size || pi.logical_sector_size != w->mv.logical_sector_size) {
        hv_fail(e, HV_MISMATCH, "parent locator", 0, "'%s' differs in size or sector size", parent);
        goto out;
    }
    pi.linkage = l1; /* keep the child's own parent_linkage */
    size_t loc_len;
    if (!(loc = malloc(PS_LOCATOR_MAX)) || !(region = malloc(w->meta_r.length)) ||
        !(items = calloc(w->mt->count ? w->mt->count : 1, sizeof *items))) {
        hv_failx(e, HV_NOMEM, "relink", "out of memory");
        goto out;
    }
    if (locator_build(&pi, loc, PS_LOCATOR_MAX, &loc_len, e))
        goto out;
    /* Same items, same order; only the locator's bytes change. */
    for (size_t i = 0; i < w->mt->count; i++) {
        const struct vhdx_meta_entry *me = &w->mt->e[i];
        items[i].id = me->id;
        items[i].flags = me->flags;
        if (hv_guid_eq(&me->id, &VHDX_META_PARENT_LOCATOR) && !(me->flags & 1u)) {
            items[i].data = loc;
            items[i].len = (uint32_t)loc_len;
        } else {
            items[i].data = w->meta + me->offset;
            items[i].len = me->length;
        }
    }
    if (metabuild(items, w->mt->count, region, w->meta_r.length, e))
        goto out;
    if (rw_log_changes(w, w->meta_r.file_offset, w->meta, region, w->meta_r.length, e))
        goto out;
    rc = 0;
out:
    if (w && vhdx_close_rw(w, rc ? NULL : e) != 0)
        rc = -1;
    vhdx_close(par);
    free(items);
    free(region);
    free(loc);
    free(store);
    return rc;
}
