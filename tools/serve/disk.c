/* disk.c: a served disk (disk.h): reads and the data/zero map of a chain or point. */
#include "disk.h"

#include <stdlib.h>
#include <string.h>

void sdisk_from_vhdx(struct sdisk *d, vhdx *img, int own)
{
    memset(d, 0, sizeof *d);
    d->img = img;
    d->own_img = own;
    d->size = vhdx_virtual_size(img);
}

int sdisk_from_point(struct sdisk *d, vhdx *base, int own, const hrl_set *set, size_t point,
                     struct hv_err *e)
{
    sdisk_from_vhdx(d, base, own);
    if (hrl_view_open(base, set, point, &d->view, e) != 0) {
        d->own_img = 0; /* on failure the caller keeps the base */
        return -1;
    }
    return 0;
}

void sdisk_close(struct sdisk *d)
{
    hrl_view_close(d->view);
    if (d->own_img)
        vhdx_close(d->img);
    memset(d, 0, sizeof *d);
}

int sdisk_read(struct sdisk *d, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    if (d->view)
        return hrl_view_read(d->view, buf, len, off, e);
    return vhdx_read(d->img, buf, len, off, e);
}

/* Appends a run, merging it with the previous one when of the same kind. */
static int push(struct sruns *r, uint64_t off, uint64_t len, int data)
{
    if (r->n && r->r[r->n - 1].data == data && r->r[r->n - 1].off + r->r[r->n - 1].len == off) {
        r->r[r->n - 1].len += len;
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct srun *n = realloc(r->r, cap * sizeof *n);
        if (!n)
            return -1;
        r->r = n;
        r->cap = cap;
    }
    r->r[r->n++] = (struct srun){ off, len, data };
    return 0;
}

static int on_chain_run(const struct vhdx_run *run, void *ctx)
{
    return push(ctx, run->voff, run->len, run->layer >= 0) ? 1 : 0;
}

static int on_view_run(const struct hrl_view_run *run, void *ctx)
{
    return push(ctx, run->off, run->len, run->data) ? 1 : 0;
}

int sdisk_runs(const struct sdisk *d, struct sruns *out, struct hv_err *e)
{
    memset(out, 0, sizeof *out);
    int r = d->view ? hrl_view_map(d->view, on_view_run, out, e) : vhdx_map(d->img, on_chain_run, out, e);
    if (r > 0)
        hv_failx(e, HV_NOMEM, "map", "out of memory");
    if (r != 0) {
        sruns_free(out);
        return -1;
    }
    return 0;
}

void sruns_free(struct sruns *r)
{
    free(r->r);
    memset(r, 0, sizeof *r);
}

size_t sruns_find(const struct sruns *r, uint64_t off)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->r[mid].off + r->r[mid].len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
