/* view.c: a recovery point read in place (hrl_view.h): the last-writer-wins
 * plan of logs 1..k answers the bytes the logs wrote, the base chain the rest. */
#include "hrl_view.h"

#include <stdlib.h>
#include <string.h>

#include "hrl_plan.h"

struct hrl_view {
    vhdx *base;
    const struct hrl_write *writes;
    size_t nwrites;
    struct hrl_plan plan;
    uint64_t size;
    size_t point;
};

int hrl_view_open(vhdx *base, const hrl_set *set, size_t point, hrl_view **out, struct hv_err *err)
{
    *out = NULL;
    if (!base || !set)
        return hv_failx(err, HV_USAGE, "recovery point", "no base or no log set");
    if (point > hrl_set_count(set))
        return hv_failx(err, HV_USAGE, "recovery point", "point %zu asked, the logs give 0..%zu", point,
                        hrl_set_count(set));
    if (point > hrl_set_usable(set))
        return hv_failx(err, HV_CORRUPT, "recovery point",
                        "point %zu needs logs 1..%zu, but only points up to %zu are sound", point, point,
                        hrl_set_usable(set));
    size_t total, n = hrl_set_point_writes(set, point);
    const struct hrl_write *writes = hrl_set_writes(set, &total);
    uint64_t size = vhdx_virtual_size(base);
    if (n > total)
        return hv_failx(err, HV_CORRUPT, "recovery point", "point %zu claims more writes than the set holds",
                        point);
    /* The set checked every entry against a virtual size; it must be this one. */
    for (size_t i = 0; i < n; i++)
        if (writes[i].off > size || writes[i].len > size - writes[i].off)
            return hv_failx(err, HV_MISMATCH, "recovery point",
                            "log %u entry %llu ends beyond the base's virtual size", writes[i].log + 1,
                            (unsigned long long)writes[i].entry);
    hrl_view *v = calloc(1, sizeof *v);
    if (!v)
        return hv_failx(err, HV_NOMEM, "recovery point", "out of memory");
    *v = (struct hrl_view){ .base = base, .writes = writes, .nwrites = n, .size = size, .point = point };
    if (hrl_plan_build(v->writes, v->nwrites, &v->plan, err) != 0) {
        free(v);
        return -1;
    }
    *out = v;
    return 0;
}

void hrl_view_close(hrl_view *v)
{
    if (!v)
        return;
    hrl_plan_free(&v->plan);
    free(v);
}

uint64_t hrl_view_size(const hrl_view *v)
{
    return v->size;
}

size_t hrl_view_point(const hrl_view *v)
{
    return v->point;
}

uint64_t hrl_view_log_bytes(const hrl_view *v)
{
    return v->plan.bytes;
}

/* Bytes of plan extent `x` from `off` on: the payload of the write that owns them. */
static int copy_extent(const hrl_view *v, const struct hrl_extent *x, uint8_t *dst, uint64_t off, uint64_t n,
                       struct hv_err *err)
{
    if (x->write >= v->nwrites)
        return hv_failx(err, HV_CORRUPT, "recovery point", "plan names write %llu of %zu",
                        (unsigned long long)x->write, v->nwrites);
    const struct hrl_write *w = &v->writes[x->write];
    uint64_t src = x->src + (off - x->off);
    if (src > w->len || n > w->len - src)
        return hv_failx(err, HV_CORRUPT, "recovery point", "plan reads past log %u entry %llu", w->log + 1,
                        (unsigned long long)w->entry);
    memcpy(dst, w->data + src, (size_t)n);
    return 0;
}

int hrl_view_read(hrl_view *v, void *buf, size_t len, uint64_t off, struct hv_err *err)
{
    if (off > v->size || len > v->size - off)
        return hv_failx(err, HV_USAGE, "recovery point", "read of %zu bytes at %llu beyond the disk", len,
                        (unsigned long long)off);
    uint8_t *dst = buf;
    size_t i = hrl_plan_find(&v->plan, off);
    while (len) {
        const struct hrl_extent *x = i < v->plan.count ? &v->plan.ext[i] : NULL;
        uint64_t n;
        if (x && x->off <= off) { /* inside a log extent */
            n = x->off + x->len - off;
            if (n > len)
                n = len;
            if (copy_extent(v, x, dst, off, n, err) != 0)
                return -1;
            i++;
        } else { /* up to the next extent: the base's bytes */
            n = (x ? x->off : v->size) - off;
            if (n > len)
                n = len;
            if (vhdx_read(v->base, dst, (size_t)n, off, err) != 0)
                return -1;
        }
        dst += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- map: base runs (data or zeros) overlaid with the plan's extents ---- */

struct map_walk {
    const hrl_view *v;
    size_t next;              /* first plan extent not yet passed */
    struct hrl_view_run pend; /* run being merged, len 0 when none */
    int (*cb)(const struct hrl_view_run *run, void *ctx);
    void *ctx;
};

static int emit(struct map_walk *w, uint64_t off, uint64_t len, int data, int from_log)
{
    struct hrl_view_run *p = &w->pend;
    if (!len)
        return 0;
    if (p->len && p->data == data && p->from_log == from_log && p->off + p->len == off) {
        p->len += len;
        return 0;
    }
    int r = p->len ? w->cb(p, w->ctx) : 0;
    p->off = off;
    p->len = len;
    p->data = data;
    p->from_log = from_log;
    return r;
}

/* One base run, split where log extents cover it. */
static int on_base_run(const struct vhdx_run *run, void *ctx)
{
    struct map_walk *w = ctx;
    const struct hrl_plan *pl = &w->v->plan;
    int base_data = run->layer >= 0;
    uint64_t off = run->voff, end = run->voff + run->len;
    while (off < end) {
        while (w->next < pl->count && pl->ext[w->next].off + pl->ext[w->next].len <= off)
            w->next++;
        const struct hrl_extent *x = w->next < pl->count ? &pl->ext[w->next] : NULL;
        uint64_t n;
        int r;
        if (x && x->off <= off) {
            n = x->off + x->len - off;
            if (n > end - off)
                n = end - off;
            r = emit(w, off, n, 1, 1);
        } else {
            n = (x && x->off < end ? x->off : end) - off;
            r = emit(w, off, n, base_data, 0);
        }
        if (r)
            return r;
        off += n;
    }
    return 0;
}

int hrl_view_map(const hrl_view *v, int (*cb)(const struct hrl_view_run *run, void *ctx), void *ctx,
                 struct hv_err *err)
{
    struct map_walk w = { .v = v, .cb = cb, .ctx = ctx };
    int r = vhdx_map(v->base, on_base_run, &w, err);
    if (r)
        return r;
    return w.pend.len ? cb(&w.pend, ctx) : 0;
}
