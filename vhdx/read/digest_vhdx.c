/* digest_vhdx.c: a VHDX chain as a digest source, with its zero runs known up front. */
#include <stdlib.h>
#include <string.h>

#include "hv_digest.h"
#include "vhdx.h"

struct zero_acc {
    struct hv_zero_run *z;
    size_t n, cap;
    int nomem;
};

static int collect(const struct vhdx_run *run, void *ctx)
{
    struct zero_acc *a = ctx;
    if (run->layer >= 0 || !run->len)
        return 0; /* served from a file: must be read */
    if (a->n && a->z[a->n - 1].off + a->z[a->n - 1].len == run->voff) {
        a->z[a->n - 1].len += run->len;
        return 0;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        struct hv_zero_run *n = realloc(a->z, cap * sizeof *n);
        if (!n) {
            a->nomem = 1;
            return 1;
        }
        a->z = n;
        a->cap = cap;
    }
    a->z[a->n++] = (struct hv_zero_run){ run->voff, run->len };
    return 0;
}

int hv_zero_runs_cover(const struct hv_zero_run *z, size_t n, uint64_t off, uint64_t len)
{
    /* Runs are merged, so a covered range lies inside exactly one run. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z[mid].off + z[mid].len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && z[lo].off <= off && off + len <= z[lo].off + z[lo].len;
}

static int src_read(void *ctx, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    struct hv_vhdx_source *s = ctx;
    return vhdx_read(s->img, buf, len, off, e);
}

static int src_zero(void *ctx, uint64_t off, uint64_t len)
{
    struct hv_vhdx_source *s = ctx;
    return hv_zero_runs_cover(s->zero, s->nzero, off, len);
}

static void src_progress(void *ctx, uint64_t done)
{
    struct hv_vhdx_source *s = ctx;
    if (s->on_progress)
        s->on_progress(s->progress_ctx, done);
}

int hv_vhdx_source_init(struct hv_vhdx_source *s, struct vhdx *img, struct hv_err *e)
{
    memset(s, 0, sizeof *s);
    struct zero_acc a = { 0 };
    int rc = vhdx_map(img, collect, &a, e);
    if (a.nomem) {
        free(a.z);
        return hv_failx(e, HV_NOMEM, "allocation map", "no memory for the zero runs");
    }
    if (rc < 0) {
        free(a.z);
        return -1;
    }
    s->img = img;
    s->zero = a.z;
    s->nzero = a.n;
    s->src = (struct hv_digest_source){ src_read, src_zero, src_progress, s };
    return 0;
}

void hv_vhdx_source_fini(struct hv_vhdx_source *s)
{
    free(s->zero);
    s->zero = NULL;
    s->nzero = 0;
}
