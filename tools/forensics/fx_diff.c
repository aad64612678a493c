/* fx_diff.c: what changed between two disk states, file by file, given the
 * byte ranges written between them. */
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"

const char *fx_change_name(enum fx_change c)
{
    static const char *const names[] = { "created", "deleted", "renamed", "modified", "metadata", "written" };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

static int range_cmp(const void *a, const void *b)
{
    const struct fx_range *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

size_t fx_ranges_normalize(struct fx_range *r, size_t n)
{
    if (n)
        qsort(r, n, sizeof *r, range_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].len)
            continue;
        if (out && r[i].off <= r[out - 1].off + r[out - 1].len) {
            uint64_t end = r[i].off + r[i].len, cur = r[out - 1].off + r[out - 1].len;
            if (end > cur)
                r[out - 1].len = end - r[out - 1].off;
            continue;
        }
        r[out++] = r[i];
    }
    return out;
}

/* Written bytes and first written offset per owner of one snapshot. */
struct tally {
    uint64_t *bytes;
    uint64_t *first;
};

static int tally_piece(void *ctx, const struct fx_piece *p)
{
    struct tally *t = ctx;
    t->bytes[p->owner] += p->len;
    if (p->off < t->first[p->owner])
        t->first[p->owner] = p->off;
    return 0;
}

static int tally_build(const fx_snap *s, const struct fx_range *w, size_t nw, struct tally *t)
{
    size_t n = fx_snap_owners(s);
    t->bytes = calloc(n ? n : 1, sizeof *t->bytes);
    t->first = malloc((n ? n : 1) * sizeof *t->first);
    if (!t->bytes || !t->first)
        return -1;
    for (size_t i = 0; i < n; i++)
        t->first[i] = UINT64_MAX;
    for (size_t i = 0; i < nw; i++)
        fx_attribute(s, w[i].off, w[i].len, tally_piece, t);
    return 0;
}

static void tally_free(struct tally *t)
{
    free(t->bytes);
    free(t->first);
}

static int is_file(const struct fx_owner *o)
{
    return o->kind == FX_FILE || o->kind == FX_DIR || o->kind == FX_FSMETA_FILE;
}

/* Files of a snapshot sorted by (volume, inode, sequence); the keys are
 * copied next to the index so the comparator needs no context. */
struct key {
    int vol;
    uint32_t seq;
    uint64_t inum;
    size_t idx;
};
struct keyed {
    const fx_snap *s;
    struct key *k;
    size_t n;
};

static int key_cmp(const struct key *x, const struct key *y)
{
    if (x->vol != y->vol)
        return x->vol < y->vol ? -1 : 1;
    if (x->inum != y->inum)
        return x->inum < y->inum ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int key_qcmp(const void *a, const void *b) { return key_cmp(a, b); }

static int keyed_build(const fx_snap *s, struct keyed *k)
{
    size_t n = fx_snap_owners(s);
    k->s = s;
    k->n = 0;
    if (!(k->k = malloc((n ? n : 1) * sizeof *k->k)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct fx_owner *o = fx_snap_owner(s, i);
        if (is_file(o))
            k->k[k->n++] = (struct key){ o->vol, o->seq, o->inum, i };
    }
    if (k->n)
        qsort(k->k, k->n, sizeof *k->k, key_qcmp);
    return 0;
}

static int meta_differs(const struct fx_owner *x, const struct fx_owner *y)
{
    return x->size != y->size || x->mtime != y->mtime || x->ctime != y->ctime || x->crtime != y->crtime ||
           x->mode != y->mode || x->meta_hash != y->meta_hash;
}

struct rows {
    struct fx_diff_row *r;
    size_t n, cap;
};

static int row_add(struct rows *rs, enum fx_change c, const fx_snap *s, size_t owner, size_t old,
                   uint64_t bytes, uint64_t first)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? 2 * rs->cap : 64;
        struct fx_diff_row *n = realloc(rs->r, cap * sizeof *n);
        if (!n)
            return -1;
        rs->r = n;
        rs->cap = cap;
    }
    rs->r[rs->n++] = (struct fx_diff_row){ c, s, owner, old, bytes, first };
    return 0;
}

static int pair_row(struct rows *rs, const fx_snap *a, size_t ia, const fx_snap *b, size_t ib,
                    const struct tally *tb)
{
    const struct fx_owner *x = fx_snap_owner(a, ia), *y = fx_snap_owner(b, ib);
    uint64_t bytes = tb->bytes[ib];
    if (strcmp(x->path, y->path) != 0)
        return row_add(rs, FX_RENAMED, b, ib, ia, bytes, tb->first[ib]);
    if (bytes)
        return row_add(rs, y->kind == FX_FSMETA_FILE ? FX_WRITTEN : FX_MODIFIED, b, ib, SIZE_MAX, bytes,
                       tb->first[ib]);
    if (y->kind != FX_FSMETA_FILE && x->meta_hash && y->meta_hash && x->meta_hash != y->meta_hash)
        return row_add(rs, FX_MODIFIED, b, ib, SIZE_MAX, 0, UINT64_MAX); /* resident data: in the $MFT record */
    if (y->kind != FX_FSMETA_FILE && meta_differs(x, y))
        return row_add(rs, FX_METADATA, b, ib, SIZE_MAX, 0, UINT64_MAX);
    return 0;
}

/* A FAT rename moves the directory entry (the inode number is its position):
 * pair a deleted and a created file with the same first cluster and size. */
static void match_moves(struct rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        struct fx_diff_row *c = &rs->r[i];
        if (c->change != FX_CREATED)
            continue;
        const struct fx_owner *co = fx_snap_owner(c->snap, c->owner);
        if (co->first_data == UINT64_MAX)
            continue;
        for (size_t j = 0; j < rs->n; j++) {
            struct fx_diff_row *d = &rs->r[j];
            if (d->change != FX_DELETED)
                continue;
            const struct fx_owner *dd = fx_snap_owner(d->snap, d->owner);
            if (dd->vol == co->vol && dd->first_data == co->first_data && dd->size == co->size &&
                dd->kind == co->kind) {
                c->change = FX_RENAMED;
                c->old_owner = d->owner;
                d->change = (enum fx_change)-1; /* dropped below */
                break;
            }
        }
    }
    size_t out = 0;
    for (size_t i = 0; i < rs->n; i++)
        if ((int)rs->r[i].change >= 0)
            rs->r[out++] = rs->r[i];
    rs->n = out;
}

static int row_cmp(const void *p, const void *q)
{
    const struct fx_diff_row *x = p, *y = q;
    const struct fx_owner *a = fx_snap_owner(x->snap, x->owner), *b = fx_snap_owner(y->snap, y->owner);
    if (a->vol != b->vol)
        return a->vol < b->vol ? -1 : 1;
    int c = strcmp(a->path, b->path);
    return c ? c : (int)x->change - (int)y->change;
}

/* Volume `vol` of the after state exists but its file system could not be read. */
static int unreadable_after(const fx_snap *b, int vol)
{
    if (vol < 0 || (size_t)vol >= fx_snap_volumes(b))
        return 0;
    const struct fx_volume *v = fx_snap_volume(b, (size_t)vol);
    return !v->fs[0] && !v->empty;
}

static int merge(const struct keyed *ka, const struct keyed *kb, const struct tally *ta,
                 const struct tally *tb, struct rows *rs)
{
    size_t i = 0, j = 0;
    while (i < ka->n || j < kb->n) {
        int c = i == ka->n ? 1 : j == kb->n ? -1 : key_cmp(&ka->k[i], &kb->k[j]);
        int rc;
        if (c < 0) {
            size_t o = ka->k[i++].idx;
            rc = unreadable_after(kb->s, ka->k[i - 1].vol)
                     ? 0 /* not deleted: the file system can no longer be read (reported) */
                     : row_add(rs, FX_DELETED, ka->s, o, SIZE_MAX, ta->bytes[o], ta->first[o]);
        } else if (c > 0) {
            size_t o = kb->k[j++].idx;
            rc = row_add(rs, FX_CREATED, kb->s, o, SIZE_MAX, tb->bytes[o], tb->first[o]);
        } else {
            rc = pair_row(rs, ka->s, ka->k[i++].idx, kb->s, kb->k[j++].idx, tb);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int fx_diff(const fx_snap *a, const fx_snap *b, const struct fx_range *w, size_t nw,
            struct fx_diff_row **rows, size_t *n)
{
    struct tally ta = { 0 }, tb = { 0 };
    struct keyed ka = { 0 }, kb = { 0 };
    struct rows rs = { 0 };
    int rc = -1;
    if (tally_build(a, w, nw, &ta) < 0 || tally_build(b, w, nw, &tb) < 0 || keyed_build(a, &ka) < 0 ||
        keyed_build(b, &kb) < 0 || merge(&ka, &kb, &ta, &tb, &rs) < 0)
        goto out;
    match_moves(&rs);
    for (size_t o = 0; o < fx_snap_owners(b); o++)
        if (!is_file(fx_snap_owner(b, o)) && tb.bytes[o] &&
            row_add(&rs, FX_WRITTEN, b, o, SIZE_MAX, tb.bytes[o], tb.first[o]) < 0)
            goto out;
    if (rs.n)
        qsort(rs.r, rs.n, sizeof *rs.r, row_cmp);
    *rows = rs.r;
    *n = rs.n;
    rs.r = NULL;
    rc = 0;
out:
    free(rs.r);
    free(ka.k);
    free(kb.k);
    tally_free(&ta);
    tally_free(&tb);
    return rc;
}
