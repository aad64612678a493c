/* fx_snap.c: a snapshot of one disk state: the volume system (MBR, GPT, or
 * none), each volume's file system and the owners of its bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"

const char *fx_kind_name(enum fx_kind k)
{
    static const char *const names[] = { "file", "dir", "fs-metadata", "fs-metadata", "fs-allocated",
                                         "unallocated", "no-filesystem", "partition-table",
                                         "unpartitioned" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

size_t fx_owner_add(fx_snap *s, const struct fx_owner *o)
{
    if (s->nowners == s->capowners) {
        size_t cap = s->capowners ? 2 * s->capowners : 256;
        struct fx_owner *n = realloc(s->owners, cap * sizeof *n);
        if (!n)
            return SIZE_MAX;
        s->owners = n;
        s->capowners = cap;
    }
    s->owners[s->nowners] = *o;
    return s->nowners++;
}

int fx_ext_add(fx_snap *s, uint64_t off, uint64_t len, size_t owner, uint64_t file_off, const char *attr)
{
    if (s->next == s->capext) {
        size_t cap = s->capext ? 2 * s->capext : 1024;
        struct fx_ext *n = realloc(s->ext, cap * sizeof *n);
        if (!n)
            return -1;
        s->ext = n;
        s->capext = cap;
    }
    s->ext[s->next++] = (struct fx_ext){ off, len, owner, file_off, attr };
    return 0;
}

const char *fx_attr_intern(fx_snap *s, const char *label)
{
    for (size_t i = 0; i < s->nattrs; i++)
        if (!strcmp(s->attrs[i], label))
            return s->attrs[i];
    if (s->nattrs >= 256)
        return "$ATTR";
    char **n = realloc(s->attrs, (s->nattrs + 1) * sizeof *n);
    if (!n)
        return "$ATTR";
    s->attrs = n;
    if (!(s->attrs[s->nattrs] = strdup(label)))
        return "$ATTR";
    return s->attrs[s->nattrs++];
}

static size_t pseudo(fx_snap *s, enum fx_kind k, int vol, const char *label)
{
    struct fx_owner o = { .kind = k, .vol = vol, .first_data = UINT64_MAX };
    if (!(o.path = strdup(label)))
        return SIZE_MAX;
    size_t i = fx_owner_add(s, &o);
    if (i == SIZE_MAX)
        free(o.path);
    return i;
}

static int add_volume(fx_snap *s, uint64_t off, uint64_t len, const char *desc)
{
    struct fx_vol_int *n = realloc(s->vols, (s->nvols + 1) * sizeof *n);
    if (!n)
        return -1;
    s->vols = n;
    struct fx_vol_int *v = &s->vols[s->nvols];
    memset(v, 0, sizeof *v);
    v->pub.off = off;
    v->pub.len = len;
    snprintf(v->pub.desc, sizeof v->pub.desc, "%s", desc);
    int vi = (int)s->nvols++;
    v->pseudo_meta = pseudo(s, FX_FSMETA, vi, "(file-system metadata)");
    v->pseudo_alloc = pseudo(s, FX_FS_ALLOC, vi, "(allocated, no file)");
    v->pseudo_unalloc = pseudo(s, FX_UNALLOC, vi, "(unallocated)");
    v->pseudo_nofs = pseudo(s, FX_NO_FS, vi, "(no readable file system)");
    if (v->pseudo_meta == SIZE_MAX || v->pseudo_alloc == SIZE_MAX || v->pseudo_unalloc == SIZE_MAX ||
        v->pseudo_nofs == SIZE_MAX)
        return -1;
    return 0;
}

static int add_vsmeta(fx_snap *s, uint64_t off, uint64_t len)
{
    struct fx_range *n = realloc(s->vsmeta, (s->nvsmeta + 1) * sizeof *n);
    if (!n)
        return -1;
    s->vsmeta = n;
    s->vsmeta[s->nvsmeta++] = (struct fx_range){ off, len };
    return 0;
}

/* Partitions from the volume system, or the whole disk as one volume. */
static int find_volumes(fx_snap *s)
{
    /* Each type in turn, GPT before its protective MBR: TSK's own detection
     * (TSK_VS_TYPE_DETECT) loses the tables it opened and discarded. */
    static const TSK_VS_TYPE_ENUM order[] = { TSK_VS_TYPE_GPT, TSK_VS_TYPE_DOS, TSK_VS_TYPE_MAC,
                                              TSK_VS_TYPE_BSD, TSK_VS_TYPE_SUN };
    for (size_t i = 0; i < sizeof order / sizeof *order && !s->vs; i++)
        s->vs = tsk_vs_open(s->img, 0, order[i]);
    tsk_error_reset();
    if (!s->vs)
        return add_volume(s, 0, s->src->size, "whole disk");
    uint64_t bs = s->vs->block_size;
    for (TSK_PNUM_T i = 0; i < s->vs->part_count; i++) {
        const TSK_VS_PART_INFO *p = tsk_vs_part_get(s->vs, i);
        if (!p || p->len == 0 || p->start > s->src->size / bs || p->len > s->src->size / bs - p->start)
            continue;
        int rc = 0;
        if (p->flags & TSK_VS_PART_FLAG_META)
            rc = add_vsmeta(s, p->start * bs, p->len * bs);
        else if (p->flags & TSK_VS_PART_FLAG_ALLOC)
            rc = add_volume(s, p->start * bs, p->len * bs, p->desc && p->desc[0] ? p->desc : "partition");
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* An unformatted partition (zeros where a boot sector or superblock would be)
 * is not damage. */
static int starts_with_zeros(const fx_snap *s, const struct fx_volume *v)
{
    uint8_t buf[4096];
    for (uint64_t off = 0; off < 65536 && off + sizeof buf <= v->len; off += sizeof buf) {
        if (s->src->read(s->src->ctx, buf, sizeof buf, v->off + off) != 0)
            return 0;
        for (size_t i = 0; i < sizeof buf; i++)
            if (buf[i])
                return 0;
    }
    return 1;
}

static void open_fs(fx_snap *s, size_t v)
{
    struct fx_vol_int *vol = &s->vols[v];
    vol->fs = tsk_fs_open_img(s->img, (TSK_OFF_T)vol->pub.off, TSK_FS_TYPE_DETECT);
    if (!vol->fs) {
        const char *why = tsk_error_get();
        vol->pub.empty = starts_with_zeros(s, &vol->pub);
        if (vol->pub.empty)
            snprintf(vol->pub.error, sizeof vol->pub.error, "no file system (the partition starts with zeros)");
        else
            snprintf(vol->pub.error, sizeof vol->pub.error, "no file system could be read (%s)",
                     why && *why ? why : "unknown type");
        for (char *c = vol->pub.error; *c; c++)
            if (*c == '\n')
                *c = ' ';
        tsk_error_reset();
        return;
    }
    snprintf(vol->pub.fs, sizeof vol->pub.fs, "%s", tsk_fs_type_toname(vol->fs->ftype));
    vol->pub.block = vol->fs->block_size;
}

static int ext_cmp(const void *a, const void *b)
{
    const struct fx_ext *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->owner < y->owner ? -1 : x->owner > y->owner;
}

/* Sorted by offset; overlaps (damaged file systems, shared blocks) go to the
 * first owner, so lookups see disjoint extents. */
static void ext_normalize(fx_snap *s)
{
    if (s->next)
        qsort(s->ext, s->next, sizeof *s->ext, ext_cmp);
    size_t out = 0;
    uint64_t end = 0;
    for (size_t i = 0; i < s->next; i++) {
        struct fx_ext e = s->ext[i];
        if (out && e.off < end) {
            uint64_t cut = end - e.off;
            if (cut >= e.len)
                continue;
            e.off += cut;
            e.len -= cut;
            e.file_off += cut;
        }
        s->ext[out++] = e;
        end = e.off + e.len;
    }
    s->next = out;
}

int fx_snap_open(const struct fx_source *src, fx_snap **out, char *err, size_t errlen)
{
    *out = NULL;
    fx_snap *s = calloc(1, sizeof *s);
    if (!s)
        return snprintf(err, errlen, "out of memory"), -1;
    s->src = src;
    if (!(s->img = fx_img_open(src))) {
        snprintf(err, errlen, "cannot open the disk for The Sleuth Kit: %s", tsk_error_get());
        tsk_error_reset();
        free(s);
        return -1;
    }
    s->pseudo_table = pseudo(s, FX_PART_TABLE, -1, "(partition table)");
    s->pseudo_outside = pseudo(s, FX_UNPARTITIONED, -1, "(outside any partition)");
    if (s->pseudo_table == SIZE_MAX || s->pseudo_outside == SIZE_MAX || find_volumes(s) < 0)
        goto nomem;
    for (size_t v = 0; v < s->nvols; v++) {
        open_fs(s, v);
        if (s->vols[v].fs && fx_walk_volume(s, v) < 0)
            goto nomem;
    }
    ext_normalize(s);
    *out = s;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory reading the file systems");
    fx_snap_close(s);
    return -1;
}

void fx_snap_close(fx_snap *s)
{
    if (!s)
        return;
    for (size_t v = 0; v < s->nvols; v++)
        if (s->vols[v].fs)
            tsk_fs_close(s->vols[v].fs);
    if (s->vs)
        tsk_vs_close(s->vs);
    tsk_img_close(s->img);
    for (size_t i = 0; i < s->nowners; i++)
        free(s->owners[i].path);
    for (size_t i = 0; i < s->nattrs; i++)
        free(s->attrs[i]);
    free(s->attrs);
    free(s->owners);
    free(s->ext);
    free(s->vols);
    free(s->vsmeta);
    free(s);
}

size_t fx_snap_volumes(const fx_snap *s) { return s->nvols; }
const struct fx_volume *fx_snap_volume(const fx_snap *s, size_t i) { return &s->vols[i].pub; }
size_t fx_snap_owners(const fx_snap *s) { return s->nowners; }
const struct fx_owner *fx_snap_owner(const fx_snap *s, size_t i) { return &s->owners[i]; }

uint64_t fx_owner_bytes(const fx_snap *s, size_t owner)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->next; i++)
        if (s->ext[i].owner == owner)
            n += s->ext[i].len;
    return n;
}

/* ---- a small set of 64-bit keys (open addressing) ---- */

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

int fx_u64set_add(struct fx_u64set *h, uint64_t key)
{
    if (2 * (h->n + 1) > h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < h->cap; i++) {
            if (!h->slot[i])
                continue;
            size_t j = mix(h->slot[i] - 1) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = h->slot[i];
        }
        free(h->slot);
        h->slot = slot;
        h->cap = cap;
    }
    size_t j = mix(key) & (h->cap - 1);
    while (h->slot[j]) {
        if (h->slot[j] == key + 1)
            return 0;
        j = (j + 1) & (h->cap - 1);
    }
    h->slot[j] = key + 1;
    h->n++;
    return 1;
}

void fx_u64set_free(struct fx_u64set *h)
{
    free(h->slot);
    h->slot = NULL;
    h->cap = h->n = 0;
}
