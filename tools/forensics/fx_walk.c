/* fx_walk.c: every allocated file of one file system, with the disk extents
 * of its non-resident attributes (TSK attribute runs: NTFS data runs, ext4
 * extents or block lists, FAT cluster chains), as owners of a snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"

struct walk {
    fx_snap *s;
    size_t v;
    struct fx_u64set seen;
    int nomem;
};

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h | 1; /* never 0: 0 means "no resident data" */
}

/* "$DATA", "$DATA:stream", "$INDEX_ALLOCATION", ...; NULL for the default
 * attribute of a file system without named attribute types. */
static const char *attr_label(fx_snap *s, const TSK_FS_INFO *fs, const TSK_FS_ATTR *a)
{
    if (!TSK_FS_TYPE_ISNTFS(fs->ftype))
        return NULL;
    const char *type;
    switch ((int)a->type) {
    case TSK_FS_ATTR_TYPE_NTFS_DATA: type = "$DATA"; break;
    case TSK_FS_ATTR_TYPE_NTFS_IDXALLOC: type = "$INDEX_ALLOCATION"; break;
    case TSK_FS_ATTR_TYPE_NTFS_BITMAP: type = "$BITMAP"; break;
    case TSK_FS_ATTR_TYPE_NTFS_ATTRLIST: type = "$ATTRIBUTE_LIST"; break;
    default: type = "$ATTR"; break;
    }
    char buf[160];
    if (a->name && a->name[0] && strcmp(a->name, "$I30") != 0 && strcmp(a->name, "$Data") != 0)
        snprintf(buf, sizeof buf, "%s:%s", type, a->name);
    else
        snprintf(buf, sizeof buf, "%s", type);
    return fx_attr_intern(s, buf);
}

static int add_runs(struct walk *w, TSK_FS_FILE *f, size_t owner)
{
    const TSK_FS_INFO *fs = f->fs_info;
    int n = tsk_fs_file_attr_getsize(f);
    for (int i = 0; i < n; i++) {
        const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);
        if (!a)
            continue;
        if (a->flags & TSK_FS_ATTR_RES) {
            if (a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->rd.buf && (!a->name || !a->name[0])) {
                size_t len = a->rd.buf_size < (size_t)a->size ? a->rd.buf_size : (size_t)a->size;
                w->s->owners[owner].meta_hash = fnv1a(a->rd.buf, len);
            }
            continue;
        }
        if (!(a->flags & TSK_FS_ATTR_NONRES))
            continue;
        const char *label = attr_label(w->s, fs, a);
        for (const TSK_FS_ATTR_RUN *r = a->nrd.run; r; r = r->next) {
            if (r->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER))
                continue;
            if (r->len == 0 || r->addr > fs->last_block || r->len > fs->last_block - r->addr + 1)
                continue; /* a run outside the file system: damaged, not attributable */
            uint64_t off = (uint64_t)fs->offset + (uint64_t)r->addr * fs->block_size;
            if (fx_ext_add(w->s, off, (uint64_t)r->len * fs->block_size, owner,
                           (uint64_t)r->offset * fs->block_size, label) < 0)
                return -1;
            struct fx_owner *o = &w->s->owners[owner];
            if (o->first_data == UINT64_MAX && (!label || !strcmp(label, "$DATA")))
                o->first_data = off;
        }
    }
    return 0;
}

static enum fx_kind kind_of(const TSK_FS_INFO *fs, const TSK_FS_FILE *f, const char *path)
{
    if (TSK_FS_TYPE_ISNTFS(fs->ftype) && (f->meta->addr < 16 || !strncmp(path, "/$Extend/", 9)))
        return FX_FSMETA_FILE;
    if (TSK_FS_TYPE_ISFAT(fs->ftype) && path[0] == '/' && path[1] == '$' && !strchr(path + 1, '/') &&
        f->meta->addr + 8 > fs->last_inum)
        return FX_FSMETA_FILE; /* TSK's virtual $MBR, $FAT1, $FAT2 */
    return f->meta->type == TSK_FS_META_TYPE_DIR ? FX_DIR : FX_FILE;
}

static int add_file(struct walk *w, TSK_FS_FILE *f, const char *path, enum fx_kind kind)
{
    const TSK_FS_META *m = f->meta;
    struct fx_owner o = {
        .kind = kind, .vol = (int)w->v, .inum = m->addr, .seq = m->seq, .size = (uint64_t)m->size,
        .mtime = m->mtime, .atime = m->atime, .ctime = m->ctime, .crtime = m->crtime,
        .mode = (uint32_t)m->mode, .first_data = UINT64_MAX,
    };
    if (!TSK_FS_TYPE_ISNTFS(f->fs_info->ftype))
        o.seq = 0;
    o.path = strdup(path);
    if (!o.path)
        return -1;
    size_t idx = fx_owner_add(w->s, &o);
    if (idx == SIZE_MAX) {
        free(o.path);
        return -1;
    }
    return add_runs(w, f, idx);
}

static TSK_WALK_RET_ENUM on_entry(TSK_FS_FILE *f, const char *dir, void *ctx)
{
    struct walk *w = ctx;
    if (!f->name || !f->meta || TSK_FS_ISDOT(f->name->name))
        return TSK_WALK_CONT;
    if (!(f->name->flags & TSK_FS_NAME_FLAG_ALLOC) || !(f->meta->flags & TSK_FS_META_FLAG_ALLOC))
        return TSK_WALK_CONT;
    if (f->meta->addr == TSK_FS_ORPHANDIR_INUM(f->fs_info))
        return TSK_WALK_CONT; /* TSK's virtual $OrphanFiles: not on the disk */
    int r = fx_u64set_add(&w->seen, f->meta->addr);
    if (r == 0)
        return TSK_WALK_CONT; /* another name of a file already listed */
    char path[4096];
    snprintf(path, sizeof path, "/%s%s", dir, f->name->name);
    if (r < 0 || add_file(w, f, path, kind_of(f->fs_info, f, path)) < 0) {
        w->nomem = 1;
        return TSK_WALK_STOP;
    }
    return TSK_WALK_CONT;
}

/* The root directory and the ext journal are not reached by the walk as names. */
static int add_by_inum(struct walk *w, TSK_FS_INFO *fs, TSK_INUM_T inum, const char *path, enum fx_kind k)
{
    if (inum == 0 && !TSK_FS_TYPE_ISNTFS(fs->ftype))
        return 0;
    int r = fx_u64set_add(&w->seen, inum);
    if (r <= 0)
        return r;
    TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, inum);
    if (!f)
        return 0;
    int rc = f->meta ? add_file(w, f, path, k) : 0;
    tsk_fs_file_close(f);
    return rc;
}

int fx_walk_volume(fx_snap *s, size_t v)
{
    struct walk w = { .s = s, .v = v };
    TSK_FS_INFO *fs = s->vols[v].fs;
    int rc = add_by_inum(&w, fs, fs->root_inum, "/", FX_DIR);
    if (rc == 0 && TSK_FS_TYPE_ISEXT(fs->ftype) && fs->journ_inum)
        rc = add_by_inum(&w, fs, fs->journ_inum, "/$Journal", FX_FSMETA_FILE);
    if (rc == 0) {
        unsigned flags = TSK_FS_DIR_WALK_FLAG_RECURSE | TSK_FS_DIR_WALK_FLAG_ALLOC |
                         TSK_FS_DIR_WALK_FLAG_NOORPHAN;
        if (tsk_fs_dir_walk(fs, fs->root_inum, (TSK_FS_DIR_WALK_FLAG_ENUM)flags, on_entry, &w) &&
            !w.nomem)
            snprintf(s->vols[v].pub.error, sizeof s->vols[v].pub.error,
                     "directory walk stopped early: %s", tsk_error_get() ? tsk_error_get() : "unknown");
        tsk_error_reset();
        if (w.nomem)
            rc = -1;
    }
    fx_u64set_free(&w.seen);
    return rc;
}
