/* fx_attr.c: who owns each byte of a disk range: a file's extent, else the
 * file system's own view of the block (metadata, allocated, unallocated),
 * else the partition table or the space outside every partition. */
#include <string.h>

#include "fx_int.h"

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* First extent that ends after `off`. */
static size_t ext_find(const fx_snap *s, uint64_t off)
{
    size_t lo = 0, hi = s->next;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ext[mid].off + s->ext[mid].len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t block_owner(const struct fx_vol_int *v, TSK_DADDR_T addr)
{
    TSK_FS_INFO *fs = v->fs;
    if (addr > fs->last_block)
        return v->pseudo_unalloc;
    TSK_FS_BLOCK_FLAG_ENUM fl = fs->block_getflags ? fs->block_getflags(fs, addr) : 0;
    tsk_error_reset();
    if (fl & TSK_FS_BLOCK_FLAG_META)
        return v->pseudo_meta;
    if (fl & TSK_FS_BLOCK_FLAG_ALLOC)
        return v->pseudo_alloc;
    return v->pseudo_unalloc;
}

/* [off, end) inside volume v with no file extent: grouped by block state. */
static int gap_pieces(const fx_snap *s, const struct fx_vol_int *v, uint64_t off, uint64_t end,
                      fx_piece_fn cb, void *ctx)
{
    if (!v->fs) {
        struct fx_piece p = { off, end - off, v->pseudo_nofs, 0, NULL };
        return cb(ctx, &p);
    }
    uint64_t bs = v->fs->block_size, base = v->pub.off;
    (void)s;
    while (off < end) {
        TSK_DADDR_T addr = (off - base) / bs;
        size_t owner = block_owner(v, addr);
        uint64_t stop = min64(end, base + (addr + 1) * bs);
        while (stop < end) {
            TSK_DADDR_T a2 = (stop - base) / bs;
            if (block_owner(v, a2) != owner)
                break;
            stop = min64(end, base + (a2 + 1) * bs);
        }
        struct fx_piece p = { off, stop - off, owner, 0, NULL };
        int rc = cb(ctx, &p);
        if (rc)
            return rc;
        off = stop;
    }
    return 0;
}

static int volume_pieces(const fx_snap *s, const struct fx_vol_int *v, uint64_t off, uint64_t end,
                         fx_piece_fn cb, void *ctx)
{
    size_t i = v->fs ? ext_find(s, off) : s->next;
    while (off < end) {
        if (i < s->next && s->ext[i].off <= off) {
            const struct fx_ext *e = &s->ext[i];
            uint64_t stop = min64(end, e->off + e->len);
            struct fx_piece p = { off, stop - off, e->owner, e->file_off + (off - e->off), e->attr };
            int rc = cb(ctx, &p);
            if (rc)
                return rc;
            off = stop;
            i++;
            continue;
        }
        uint64_t stop = i < s->next ? min64(end, s->ext[i].off) : end;
        int rc = gap_pieces(s, v, off, stop, cb, ctx);
        if (rc)
            return rc;
        off = stop;
    }
    return 0;
}

/* Outside every volume: partition-table sectors or unpartitioned space. */
static int outside_pieces(const fx_snap *s, uint64_t off, uint64_t end, fx_piece_fn cb, void *ctx)
{
    while (off < end) {
        size_t owner = s->pseudo_outside;
        uint64_t stop = end;
        for (size_t m = 0; m < s->nvsmeta; m++) {
            const struct fx_range *r = &s->vsmeta[m];
            if (off >= r->off && off < r->off + r->len) {
                owner = s->pseudo_table;
                stop = min64(end, r->off + r->len);
                break;
            }
            if (r->off > off)
                stop = min64(stop, r->off);
        }
        struct fx_piece p = { off, stop - off, owner, 0, NULL };
        int rc = cb(ctx, &p);
        if (rc)
            return rc;
        off = stop;
    }
    return 0;
}

int fx_attribute(const fx_snap *s, uint64_t off, uint64_t len, fx_piece_fn cb, void *ctx)
{
    uint64_t size = s->src->size;
    if (off >= size)
        return 0;
    uint64_t end = off + min64(len, size - off);
    while (off < end) {
        const struct fx_vol_int *in = NULL;
        uint64_t next = end;
        for (size_t v = 0; v < s->nvols; v++) {
            const struct fx_vol_int *vi = &s->vols[v];
            if (off >= vi->pub.off && off < vi->pub.off + vi->pub.len) {
                in = vi;
                break;
            }
            if (vi->pub.off > off)
                next = min64(next, vi->pub.off);
        }
        uint64_t stop = in ? min64(end, in->pub.off + in->pub.len) : next;
        int rc = in ? volume_pieces(s, in, off, stop, cb, ctx) : outside_pieces(s, off, stop, cb, ctx);
        if (rc)
            return rc;
        off = stop;
    }
    return 0;
}
