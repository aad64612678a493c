/* relink.c: pointing a differencing child at its parent's new location
 * ([MS-VHDX] 2.6.2.6, docs/vhdx-format.md §7.3): the new parent's identity and
 * geometry are checked against the child, a new parent locator is encoded
 * (vhdx_metabuild.c) and the metadata region is rewritten through the log: only
 * its changed 4 KiB sectors, in one entry. The virtual disk does not change,
 * so DataWriteGuid is kept: a grandchild linked to this child stays valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "write_int.h"

int vhdx_rw_set_locator(struct vhdx_rw *w, const struct vhdx_parent_info *pi, struct hv_err *e)
{
    if (w->type != VHDX_TYPE_DIFFERENCING)
        return hv_failx(e, HV_USAGE, "parent locator", "not a differencing image");
    uint8_t *loc = malloc(64 * KiB), *now = malloc(w->meta_r.length);
    struct meta_item *items = calloc(w->mt->count ? w->mt->count : 1, sizeof *items);
    size_t loc_len;
    int rc = !loc || !now || !items ? hv_failx(e, HV_NOMEM, "metadata table", "out of memory")
                                    : vhdx_locator_build(pi, loc, 64 * KiB, &loc_len, e);
    for (uint16_t i = 0; rc == 0 && i < w->mt->count; i++) {
        const struct vhdx_meta_entry *m = &w->mt->e[i];
        int is_loc = hv_guid_eq(&m->id, &VHDX_META_PARENT_LOCATOR) && !(m->flags & MT_FLAG_IS_USER);
        items[i] = (struct meta_item){ m->id, m->flags, is_loc ? loc : w->meta + m->offset,
                                       is_loc ? (uint32_t)loc_len : m->length };
    }
    if (rc == 0)
        rc = vhdx_metabuild(items, w->mt->count, now, w->meta_r.length, e);
    if (rc == 0)
        rc = vhdx_rw_log_changes(w, w->meta_r.file_offset, w->meta, now, w->meta_r.length, e);
    if (rc == 0) { /* the cached region and table follow what the log made durable */
        free(w->meta);
        w->meta = now;
        now = NULL;
        rc = vhdx_metadata_table_parse(hv_span_make(w->meta, w->meta_r.length, w->meta_r.file_offset),
                                  w->mt, e);
    }
    free(items);
    free(now);
    free(loc);
    return rc;
}

static int open_info(int fd, const char *path, vhdx **img, struct vhdx_info *info, struct hv_err *e)
{
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open_fd(fd, path, &o, img, e) != 0)
        return -1;
    vhdx_get_info(*img, info);
    return 0;
}

/* The new parent must be the one the child was made from, unless forced;
 * geometry must match always (a mismatch would change what reads return). */
static int check_parent(const char *child, const struct vhdx_info *c, const char *parent,
                        const struct vhdx_info *p, unsigned flags, struct hv_err *e)
{
    char want[HV_GUID_STR_LEN + 1], got[HV_GUID_STR_LEN + 1];
    if (!c->has_parent) {
        hv_err_file(e, child);
        return hv_failx(e, HV_USAGE, "parent locator", "not a differencing image");
    }
    hv_err_file(e, parent);
    if (p->virtual_size != c->virtual_size || p->logical_sector_size != c->logical_sector_size)
        return hv_failx(e, HV_MISMATCH, "parent chain",
                        "MISMATCH: parent is %llu bytes with %u-byte sectors, child %llu with %u",
                        (unsigned long long)p->virtual_size, p->logical_sector_size,
                        (unsigned long long)c->virtual_size, c->logical_sector_size);
    int ok = hv_guid_eq(&p->data_write_guid, &c->parent_linkage) ||
             (!hv_guid_is_zero(&c->parent_linkage2) && hv_guid_eq(&p->data_write_guid, &c->parent_linkage2));
    if (!ok && !(flags & VHDX_RELINK_IGNORE_ID_MISMATCH))
        return hv_failx(e, HV_MISMATCH, "parent chain",
                        "MISMATCH: DataWriteGuid %s is not the child's parent_linkage %s "
                        "(--ignore-id-mismatch to link anyway)",
                        hv_guid_format(&p->data_write_guid, 1, got),
                        hv_guid_format(&c->parent_linkage, 1, want));
    return 0;
}

int vhdx_relink_fd(int child_fd, const char *child, int parent_fd, const char *new_parent,
                   const char *win_path, unsigned flags, struct hv_err *e)
{
    vhdx *c = NULL, *p = NULL;
    struct vhdx_info ci, pinfo;
    struct vhdx_parent_info pi;
    char store[3 * 4096];
    int rc = open_info(child_fd, child, &c, &ci, e);
    if (rc == 0)
        rc = open_info(parent_fd, new_parent, &p, &pinfo, e);
    if (rc == 0)
        rc = check_parent(child, &ci, new_parent, &pinfo, flags, e);
    if (rc == 0)
        rc = vhdx_parent_info_from(p, child, win_path, &pi, store, sizeof store, e);
    vhdx_close(c);
    vhdx_close(p);
    if (rc != 0)
        return -1;
    vhdx_rw *w;
    if (vhdx_open_rw_fd(child_fd, child, NULL, &w, e) != 0)
        return -1;
    rc = vhdx_rw_set_locator(w, &pi, e);
    return vhdx_close_rw(w, e) || rc ? -1 : 0;
}

/* Each file is opened once (the child read-write and never through a link)
 * and every later step works on those descriptors. */
int vhdx_relink(const char *child, const char *new_parent, const char *win_path, unsigned flags,
                struct hv_err *e)
{
    int cfd = open(child, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0) {
        hv_err_file(e, child);
        return hv_fail_errno(e, errno, "open", "cannot open for writing%s",
                             errno == ELOOP ? " (a symbolic link)" : "");
    }
    int pfd = open(new_parent, O_RDONLY | O_CLOEXEC);
    if (pfd < 0) {
        int err = errno;
        close(cfd);
        hv_err_file(e, new_parent);
        return err == ENOENT ? hv_failx(e, HV_NOTFOUND, "open", "no such file")
                             : hv_fail_errno(e, err, "open", "cannot open");
    }
    int rc = vhdx_relink_fd(cfd, child, pfd, new_parent, win_path, flags, e);
    close(pfd);
    close(cfd);
    return rc;
}
