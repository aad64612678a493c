/* fx_source.c: reading a VHDX chain or a recovery point for the Sleuth Kit. */
#include <string.h>

#include "fx_source.h"

static int vhdx_src_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    struct hv_err e;
    return vhdx_read(ctx, buf, len, off, &e);
}

void fx_source_vhdx(struct fx_source *src, vhdx *img)
{
    src->size = vhdx_virtual_size(img);
    src->sector = vhdx_logical_sector_size(img);
    src->read = vhdx_src_read;
    src->ctx = img;
}

int fx_point_init(struct fx_point *p, vhdx *base, const struct hrl_write *writes, size_t n,
                  struct hv_err *e)
{
    memset(p, 0, sizeof *p);
    p->base = base;
    p->writes = writes;
    return hrl_plan_build(writes, n, &p->plan, e);
}

void fx_point_free(struct fx_point *p)
{
    hrl_plan_free(&p->plan);
}

/* The base's bytes, then every plan extent inside the range on top. */
static int point_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    struct fx_point *p = ctx;
    struct hv_err e;
    if (vhdx_read(p->base, buf, len, off, &e) != 0)
        return -1;
    uint64_t end = off + len;
    for (size_t i = hrl_plan_find(&p->plan, off); i < p->plan.count; i++) {
        const struct hrl_extent *x = &p->plan.ext[i];
        if (x->off >= end)
            break;
        uint64_t from = x->off > off ? x->off : off;
        uint64_t to = x->off + x->len < end ? x->off + x->len : end;
        if (to <= from)
            continue;
        const struct hrl_write *w = &p->writes[x->write];
        uint64_t src = x->src + (from - x->off);
        if (src > w->len || to - from > w->len - src)
            return -1; /* a plan extent outside its write: never expected */
        memcpy((uint8_t *)buf + (from - off), w->data + src, (size_t)(to - from));
    }
    return 0;
}

void fx_source_point(struct fx_source *src, struct fx_point *p)
{
    src->size = vhdx_virtual_size(p->base);
    src->sector = vhdx_logical_sector_size(p->base);
    src->read = point_read;
    src->ctx = p;
}
