/* plan.c: last-writer-wins interval map over ordered writes (sweep + max-heap). */
#include "hrl_plan.h"

#include <stdlib.h>
#include <string.h>

/* A start or end of a write at a disk position. Ends sort before starts at the
 * same position so a write ending where another begins never overlaps it. */
struct event {
    uint64_t pos;
    uint64_t idx;
    unsigned start;
};

static int event_cmp(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->start != y->start)
        return x->start ? 1 : -1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Max-heap of write indices: the active write with the highest index owns the
 * current range. Ended writes stay in the heap until they surface (lazy). */
struct heap {
    uint64_t *v;
    size_t n;
};

static void heap_push(struct heap *h, uint64_t x)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p] >= x)
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
    uint64_t x = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1] > h->v[c])
            c++;
        if (h->v[c] <= x)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = x;
}

int hrl_plan_build(const struct hrl_write *w, size_t n, struct hrl_plan *plan, struct hv_err *e)
{
    memset(plan, 0, sizeof *plan);
    if (n > SIZE_MAX / (2 * sizeof(struct event)))
        return hv_failx(e, HV_NOMEM, "restore plan", "too many writes (%zu)", n);
    struct event *ev = malloc(2 * n * sizeof *ev + 1);
    struct heap h = { malloc(n * sizeof *h.v + 1), 0 };
    uint8_t *ended = calloc(n + 1, 1);
    /* At most one extent per event interval: 2n - 1 bounds the output. */
    struct hrl_extent *out = malloc(2 * n * sizeof *out + 1);
    if (!ev || !h.v || !ended || !out) {
        free(ev), free(h.v), free(ended), free(out);
        return hv_failx(e, HV_NOMEM, "restore plan", "no memory for %zu writes", n);
    }
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w[i].len)
            continue;
        ev[ne++] = (struct event){ w[i].off, i, 1 };
        ev[ne++] = (struct event){ w[i].off + w[i].len, i, 0 };
    }
    qsort(ev, ne, sizeof *ev, event_cmp);

    size_t no = 0;
    uint64_t bytes = 0;
    for (size_t k = 0; k < ne;) {
        uint64_t pos = ev[k].pos;
        for (; k < ne && ev[k].pos == pos; k++) {
            if (ev[k].start)
                heap_push(&h, ev[k].idx);
            else
                ended[ev[k].idx] = 1;
        }
        while (h.n && ended[h.v[0]])
            heap_pop(&h);
        if (!h.n || k == ne)
            continue;
        uint64_t top = h.v[0], next = ev[k].pos;
        uint64_t src = pos - w[top].off;
        struct hrl_extent *prev = no ? &out[no - 1] : NULL;
        if (prev && prev->write == top && prev->off + prev->len == pos)
            prev->len += next - pos; /* same write continues past a foreign boundary */
        else
            out[no++] = (struct hrl_extent){ pos, next - pos, top, src };
        bytes += next - pos;
    }
    free(ev);
    free(h.v);
    free(ended);
    plan->ext = out;
    plan->count = no;
    plan->bytes = bytes;
    return 0;
}

void hrl_plan_free(struct hrl_plan *plan)
{
    free(plan->ext);
    memset(plan, 0, sizeof *plan);
}

size_t hrl_plan_find(const struct hrl_plan *plan, uint64_t off)
{
    size_t lo = 0, hi = plan->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (plan->ext[mid].off + plan->ext[mid].len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
