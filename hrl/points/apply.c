/* apply.c: write a recovery point: a new VHDX (differencing or flattened), or
 * logs applied in place to a raw disk or a VHDX. Disk access goes through
 * libvhdx only (vhdx.h, vhdx_write.h, hv_io.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hrl_impl.h"
#include "hrl_restore.h"
#include "hv_pool.h"
#include "hv_publish.h"
#include "hv_zero.h"

/* ---- sparse output -------------------------------------------------------
 * A restored block usually holds a few KiB of log data in a 2 MiB block.
 * Writing the whole block would cost the full block size per touched block
 * (16 GiB for a busy 16 GiB disk), so the builder only allocates each block
 * (vhdx_builder_alloc_block) and we write the byte ranges the logs filled at
 * its file offset, leaving holes (a fresh file reads zeros there; in a
 * PARTIALLY_PRESENT block those sectors are not used anyway). */
struct range {
    uint64_t start, len; /* relative to the block */
    const uint8_t *src;  /* the bytes to write; NULL: the block buffer's own */
};

/* A write whose bytes stay valid until drained (they point into the mapped
 * logs): queued, then issued by several threads at once (the kernel copy into
 * the page cache is most of a restore's cost). */
struct pending {
    const uint8_t *src;
    size_t len;
    uint64_t off;
};
#define QUEUE_MAX 8192
#define MAX_WRITERS 8
#define WRITEBACK_STEP (32u << 20) /* start write-back this often: the final flush waits less */

struct out_queue {
    struct hv_io *io;  /* the new file */
    struct pending *q; /* QUEUE_MAX entries; NULL: write at once */
    size_t nq;
    int writers;
    uint64_t unkicked; /* bytes written since write-back was last started */
};

struct drain_job {
    struct hv_io *io;
    const struct pending *q;
    size_t from, to;
    int rc;
    struct hv_err err;
};

static void drain_run(void *ctx, size_t k)
{
    struct drain_job *j = &((struct drain_job *)ctx)[k];
    j->rc = 0;
    for (size_t i = j->from; i < j->to && j->rc == 0; i++)
        j->rc = hv_io_pwrite(j->io, j->q[i].src, j->q[i].len, j->q[i].off, &j->err);
}

/* Issues every queued write, in one slice per writer thread (pwrite at
 * distinct offsets is thread-safe). */
static int oq_drain(struct out_queue *s, struct hv_err *e)
{
    if (!s->nq)
        return 0;
    struct drain_job job[MAX_WRITERS];
    int nw = s->writers < 1 ? 1 : s->writers > MAX_WRITERS ? MAX_WRITERS : s->writers;
    size_t per = (s->nq + (size_t)nw - 1) / (size_t)nw;
    for (int k = 0; k < nw; k++) {
        size_t from = (size_t)k * per < s->nq ? (size_t)k * per : s->nq;
        size_t to = from + per < s->nq ? from + per : s->nq;
        job[k] = (struct drain_job){ s->io, s->q, from, to, 0, { 0 } };
    }
    hv_parallel_for((size_t)nw, (unsigned)nw, drain_run, job);
    int rc = 0;
    for (int k = 0; k < nw && !rc; k++)
        if ((rc = job[k].rc) != 0)
            *e = job[k].err;
    s->nq = 0;
    return rc;
}

/* Writes len bytes at file offset off: queued when they live in the logs
 * (stable), at once when they live in a reused buffer. */
static int oq_put(struct out_queue *s, const uint8_t *src, size_t len, uint64_t off, int stable,
                  struct hv_err *e)
{
    s->unkicked += len;
    if (s->unkicked >= WRITEBACK_STEP) {
        if (oq_drain(s, e) != 0)
            return -1;
        hv_io_writeback(s->io, 0, 0);
        s->unkicked = 0;
    }
    if (!stable || !s->q)
        return hv_io_pwrite(s->io, src, len, off, e);
    if (s->nq == QUEUE_MAX && oq_drain(s, e) != 0)
        return -1;
    s->q[s->nq++] = (struct pending){ src, len, off };
    return 0;
}

/* Allocates block blk in the builder and writes ranges r[0..nr) of it (from
 * the logs, or from buf when a range has no src). */
static int put_ranges(vhdx_builder *b, struct out_queue *oq, uint64_t blk, const uint8_t *bm,
                      const uint8_t *buf, const struct range *r, size_t nr, struct hv_err *e)
{
    uint64_t at;
    if (vhdx_builder_alloc_block(b, blk, bm, &at, e) != 0)
        return -1;
    for (size_t i = 0; at && i < nr; i++)
        if (oq_put(oq, r[i].src ? r[i].src : buf + r[i].start, (size_t)r[i].len, at + r[i].start,
                   r[i].src != NULL, e) != 0)
            return -1;
    return 0;
}


/* ---- shared ---------------------------------------------------------------- */

static int check_point(const hrl_set *set, size_t point, struct hv_err *e)
{
    if (point > hrl_set_count(set))
        return hv_failx(e, HV_USAGE, "restore", "point %zu does not exist (the logs give %zu)", point,
                        hrl_set_count(set));
    if (point > hrl_set_usable(set))
        return hv_failx(e, HV_CORRUPT, "restore",
                        "point %zu needs log %zu, which has problems; refusing to write", point,
                        hrl_set_usable(set) + 1);
    return 0;
}

static int make_plan(const hrl_set *set, size_t point, struct hrl_plan *plan,
                     struct hrl_restore_stats *st, struct hv_err *e)
{
    size_t nall;
    const struct hrl_write *w = hrl_set_writes(set, &nall);
    size_t n = hrl_set_point_writes(set, point);
    if (hrl_plan_build(w, n, plan, e) != 0)
        return -1;
    memset(st, 0, sizeof *st);
    st->entries = n;
    for (size_t i = 0; i < n; i++)
        st->log_bytes += w[i].len;
    st->final_bytes = plan->bytes;
    st->extents = plan->count;
    return 0;
}

static void progress(const struct hrl_progress *p, uint64_t done, uint64_t total)
{
    if (p && p->fn)
        p->fn(p->ctx, done, total);
}

/* Lists the parts of extents ext[*i..] that fall in [bstart, bend) as ranges
 * (block-relative). With bm (differencing) the ranges point into the logs and
 * their sectors are marked in bm: nothing is copied. Without bm the bytes are
 * copied into buf. Leaves *i at the first extent reaching past bend.
 * Returns the bytes covered. */
static uint64_t fill_block(const struct hrl_plan *plan, const struct hrl_write *w, size_t *i,
                           uint64_t bstart, uint64_t bend, uint8_t *buf, uint8_t *bm,
                           uint32_t sector, struct range *r, size_t *nr)
{
    uint64_t filled = 0;
    *nr = 0;
    for (size_t k = *i; k < plan->count && plan->ext[k].off < bend; k++) {
        const struct hrl_extent *x = &plan->ext[k];
        uint64_t s = x->off > bstart ? x->off : bstart;
        uint64_t t = x->off + x->len < bend ? x->off + x->len : bend;
        const uint8_t *src = w[x->write].data + x->src + (s - x->off);
        if (bm)
            for (uint64_t sec = (s - bstart) / sector; sec < (t - bstart + sector - 1) / sector; sec++)
                bm[sec / 8] |= (uint8_t)(1u << (sec % 8));
        else
            memcpy(buf + (s - bstart), src, (size_t)(t - s));
        const uint8_t *rsrc = bm ? src : NULL;
        struct range *pr = *nr ? &r[*nr - 1] : NULL;
        if (pr && pr->start + pr->len == s - bstart && (!rsrc || pr->src + pr->len == rsrc))
            pr->len += t - s;
        else
            r[(*nr)++] = (struct range){ s - bstart, t - s, rsrc };
        filled += t - s;
    }
    while (*i < plan->count && plan->ext[*i].off + plan->ext[*i].len <= bend)
        (*i)++;
    return filled;
}

/* ---- restore --------------------------------------------------------------- */

static int restore_diff(vhdx_builder *b, struct out_queue *oq, const struct hrl_plan *plan,
                        const struct hrl_write *w, uint64_t vsize, uint32_t sector,
                        const struct hrl_progress *pr, struct hrl_restore_stats *st, struct hv_err *e)
{
    uint64_t bs = vhdx_builder_block_size(b);
    uint64_t nsec = bs / sector;
    uint8_t *buf = calloc(1, bs), *bm = malloc(nsec / 8 + 1);
    /* A block holds at most one range per extent piece; 2 per sector is a
     * safe bound since ranges are merged and separated by gaps. */
    struct range *r = malloc((nsec + 1) * sizeof *r);
    int rc = -1;
    if (!buf || !bm || !r) {
        hv_failx(e, HV_NOMEM, "restore", "no memory for a %llu-byte block", (unsigned long long)bs);
        goto out;
    }
    uint64_t done = 0, from = 0; /* from: end of the block written last */
    for (size_t i = 0; i < plan->count;) {
        /* An extent may continue past the block just written: resume there. */
        uint64_t blk = (plan->ext[i].off > from ? plan->ext[i].off : from) / bs;
        uint64_t bstart = blk * bs, bend = bstart + bs < vsize ? bstart + bs : vsize;
        size_t nr;
        memset(bm, 0, nsec / 8 + 1);
        uint64_t filled = fill_block(plan, w, &i, bstart, bend, buf, bm, sector, r, &nr);
        int full = filled == bend - bstart;
        if (put_ranges(b, oq, blk, full ? NULL : bm, buf, r, nr, e) != 0)
            goto out;
        if (full)
            st->blocks_full++;
        else
            st->blocks_partial++;
        done += filled;
        from = bend;
        progress(pr, done, plan->bytes);
    }
    rc = 0;
out:
    free(buf);
    free(bm);
    free(r);
    return rc;
}

/* Lists the 4 KiB pages of buf[0..len) that are not all zero, merged into
 * ranges, so the zero ones stay holes. */
static size_t nonzero_ranges(const uint8_t *buf, size_t len, struct range *r)
{
    size_t nr = 0;
    for (size_t at = hv_zero_run(buf, len, HV_ZERO_UNIT, 1); at < len;) {
        size_t n = hv_zero_run(buf + at, len - at, HV_ZERO_UNIT, 0);
        r[nr++] = (struct range){ at, n, NULL };
        at += n;
        at += hv_zero_run(buf + at, len - at, HV_ZERO_UNIT, 1);
    }
    return nr;
}

static int restore_flat(vhdx_builder *b, struct out_queue *oq, const struct hv_digest_source *base,
                        const struct hrl_plan *plan,
                        const struct hrl_write *w, uint64_t vsize, const struct hrl_progress *pr,
                        struct hrl_restore_stats *st, struct hv_err *e)
{
    uint64_t bs = vhdx_builder_block_size(b);
    uint8_t *buf = malloc(bs);
    struct range *r = malloc((bs / 512 + 1) * sizeof *r);
    int rc = -1;
    if (!buf || !r) {
        hv_failx(e, HV_NOMEM, "restore", "no memory for a %llu-byte block", (unsigned long long)bs);
        goto out;
    }
    size_t i = 0;
    for (uint64_t blk = 0; blk < vhdx_builder_blocks(b); blk++) {
        uint64_t bstart = blk * bs, bend = bstart + bs < vsize ? bstart + bs : vsize;
        size_t len = (size_t)(bend - bstart), nr;
        int touched = i < plan->count && plan->ext[i].off < bend;
        int base_zero = base->known_zero && base->known_zero(base->ctx, bstart, len);
        if (!touched && base_zero)
            continue;
        if (base_zero)
            memset(buf, 0, len);
        else if (base->read(base->ctx, buf, len, bstart, e) != 0)
            goto out;
        if (touched)
            fill_block(plan, w, &i, bstart, bend, buf, NULL, 512, r, &nr);
        size_t nz = nonzero_ranges(buf, len, r);
        if (nz) {
            if (put_ranges(b, oq, blk, NULL, buf, r, nz, e) != 0)
                goto out;
            if (touched)
                st->blocks_full++;
            else
                st->blocks_base++;
        }
        progress(pr, bend, vsize);
    }
    rc = 0;
out:
    free(buf);
    free(r);
    return rc;
}

int hrl_restore_into(struct hv_io *inner, int writers, vhdx *base, const char *out,
                     const hrl_set *set, size_t point, unsigned flags,
                     const struct hrl_progress *pr, struct hrl_restore_stats *stp, struct hv_err *e)
{
    struct hrl_restore_stats stl;
    struct hrl_restore_stats *st = stp ? stp : &stl;
    if (check_point(set, point, e) != 0)
        return -1;
    struct hrl_plan plan = { 0 };
    if (make_plan(set, point, &plan, st, e) != 0)
        return -1;
    size_t nall;
    const struct hrl_write *w = hrl_set_writes(set, &nall);
    uint64_t vsize = vhdx_virtual_size(base);
    uint32_t sector = vhdx_logical_sector_size(base);

    char store[3 * 4096 + 64];
    vhdx_builder *b = NULL;
    struct hv_vhdx_source src = { 0 };
    struct vhdx_parent_info pi;
    struct vhdx_build_params bp = { 0 };
    int rc = -1;
    struct pending *queue = NULL;
    if (flags & HRL_RESTORE_FLATTEN) {
        bp.type = VHDX_TYPE_DYNAMIC;
        bp.virtual_size = vsize;
        bp.logical_sector_size = sector;
        bp.physical_sector_size = vhdx_physical_sector_size(base);
        bp.block_size = vhdx_block_size(base);
        if (hv_vhdx_source_init(&src, base, e) != 0)
            goto out;
    } else {
        if (vhdx_parent_info_from(base, out, NULL, &pi, store, sizeof store, e) != 0)
            goto out;
        bp.type = VHDX_TYPE_DIFFERENCING;
        bp.parent = &pi;
    }
    struct out_queue oq = { inner, malloc(QUEUE_MAX * sizeof(struct pending)), 0,
                            writers < 1 ? 1 : writers > MAX_WRITERS ? MAX_WRITERS : writers, 0 };
    queue = oq.q; /* NULL (no memory): every write is issued at once instead */
    if (vhdx_builder_begin_io(inner, &bp, &b, e) != 0)
        goto out;
    int wrc = (flags & HRL_RESTORE_FLATTEN)
                  ? restore_flat(b, &oq, &src.src, &plan, w, vsize, pr, st, e)
                  : restore_diff(b, &oq, &plan, w, vsize, sector, pr, st, e);
    if (wrc != 0 || oq_drain(&oq, e) != 0)
        goto out;
    vhdx_builder *fb = b;
    b = NULL;
    if (vhdx_builder_finish(fb, e) != 0)
        goto out;
    rc = 0;
out:
    vhdx_builder_abort(b);
    hv_vhdx_source_fini(&src);
    hrl_plan_free(&plan);
    free(queue);
    return rc;
}

int hrl_restore(vhdx *base, const char *base_path, const hrl_set *set, size_t point, const char *out,
                unsigned flags, const struct hrl_progress *pr, struct hrl_restore_stats *stp,
                struct hv_err *e)
{
    (void)base_path; /* the locator is computed from the opened base's path */
    if (check_point(set, point, e) != 0)
        return -1;
    if (access(out, F_OK) == 0) {
        hv_err_file(e, out);
        return hv_failx(e, HV_EXISTS, "restore", "file exists; refusing to overwrite");
    }
    char tmp[4096];
    struct hv_io *inner = NULL;
    if (hv_tmp_sibling(out, tmp, sizeof tmp, e) != 0 || hv_io_open_file(tmp, HV_IO_CREATE, &inner, e) != 0) {
        hv_err_file(e, out);
        return -1;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = hrl_restore_into(inner, ncpu < 1 ? 1 : ncpu > MAX_WRITERS ? MAX_WRITERS : (int)ncpu, base,
                              out, set, point, flags, pr, stp, e);
    hv_io_close(inner);
    /* Only a finished (flushed) image gets the final name. */
    if (rc == 0 && hv_publish_tmp(tmp, out, e) == 0)
        return 0;
    hv_err_file(e, out);
    unlink(tmp);
    return -1;
}

/* ---- in place -------------------------------------------------------------- */

/* Writes logs 1..`point` through `pwrite`, one log at a time: that log's
 * final bytes (its last writer wins), then `flush`. A power cut thus leaves
 * logs 1..j applied and, inside the ranges of log j+1 only, each sector old
 * or new; applying again finishes the job. The one loop behind
 * hrl_apply_io() and hrl_apply_vhdx(). */
typedef int (*apply_pwrite_fn)(void *dst, const void *b, size_t n, uint64_t off, struct hv_err *e);
typedef int (*apply_flush_fn)(void *dst, struct hv_err *e);

static int apply_log(void *dst, apply_pwrite_fn pwrite, const struct hrl_write *w, size_t n,
                     struct hv_err *e)
{
    struct hrl_plan plan;
    if (hrl_plan_build(w, n, &plan, e) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < plan.count && rc == 0; i++) {
        const struct hrl_extent *x = &plan.ext[i];
        rc = pwrite(dst, w[x->write].data + x->src, (size_t)x->len, x->off, e);
    }
    hrl_plan_free(&plan);
    return rc;
}

static int apply_in_place(void *dst, apply_pwrite_fn pwrite, apply_flush_fn flush, const hrl_set *set,
                          size_t point, const struct hrl_progress *pr, struct hrl_restore_stats *stp,
                          struct hv_err *e)
{
    struct hrl_restore_stats stl;
    struct hrl_restore_stats *st = stp ? stp : &stl;
    if (check_point(set, point, e) != 0)
        return -1;
    struct hrl_plan plan; /* the whole point: statistics only */
    if (make_plan(set, point, &plan, st, e) != 0)
        return -1;
    hrl_plan_free(&plan);
    size_t nall;
    const struct hrl_write *w = hrl_set_writes(set, &nall);
    uint64_t done = 0;
    for (size_t k = 1; k <= point; k++) {
        size_t first = hrl_set_point_writes(set, k - 1), end = hrl_set_point_writes(set, k);
        if (apply_log(dst, pwrite, w + first, end - first, e) != 0 || flush(dst, e) != 0)
            return -1;
        for (size_t i = first; i < end; i++)
            done += w[i].len;
        progress(pr, done, st->log_bytes);
    }
    return 0;
}

static int io_pwrite(void *dst, const void *b, size_t n, uint64_t off, struct hv_err *e)
{
    return hv_io_pwrite(dst, b, n, off, e);
}

static int io_flush(void *dst, struct hv_err *e)
{
    return hv_io_flush(dst, e);
}

static int rw_pwrite(void *dst, const void *b, size_t n, uint64_t off, struct hv_err *e)
{
    return vhdx_write(dst, b, n, off, e);
}

static int rw_flush(void *dst, struct hv_err *e)
{
    return vhdx_flush(dst, e);
}

int hrl_apply_io(struct hv_io *disk, const hrl_set *set, size_t point, const struct hrl_progress *pr,
                 struct hrl_restore_stats *stp, struct hv_err *e)
{
    return apply_in_place(disk, io_pwrite, io_flush, set, point, pr, stp, e);
}

int hrl_apply_vhdx(vhdx_rw *disk, const hrl_set *set, size_t point, const struct hrl_progress *pr,
                   struct hrl_restore_stats *stp, struct hv_err *e)
{
    return apply_in_place(disk, rw_pwrite, rw_flush, set, point, pr, stp, e);
}
