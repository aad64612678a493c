/* points.c: a base plus a chain of logs, verified as a whole, as recovery points. */
#include "hrl_points.h"
#include "hv_array.h"
#include "hv_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hrl_set {
    struct hrl_set_log *logs; /* chain order */
    size_t n;
    size_t usable;
    uint64_t problems;
    struct hrl_write *writes;
    size_t nwrites, cap;
    const struct hrl_set_opts *opts;
    const struct hrl_base *base;
    int ordered; /* s->logs is in chain order (else argument order) */
    struct open_job *jobs; /* the logs' problem-callback contexts: live as long as the logs */
    size_t njobs;
};

/* Attribution of libhrl problems to the log (by chain position) they concern. */
struct log_ctx {
    hrl_set *s;
    size_t pos;
    const char *path;
};

static void report(hrl_set *s, size_t pos, const char *path, const char *kind, uint64_t off,
                   const char *what, const char *fmt, ...) HV_PRINTF(7, 8);

static void report(hrl_set *s, size_t pos, const char *path, const char *kind, uint64_t off,
                   const char *what, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->problems++;
    size_t arg = pos;
    if (pos < s->n) {
        s->logs[pos].problems++;
        if (s->ordered)
            arg = s->logs[pos].arg;
    }
    if (s->opts->on_problem) {
        struct hrl_set_problem p = { arg, path, kind, off, what, msg };
        s->opts->on_problem(s->opts->ctx, &p);
    }
}

static void on_log_problem(void *ctx, const struct hrl_problem *p)
{
    struct log_ctx *c = ctx;
    report(c->s, c->pos, c->path, hrl_kind_name(p->kind), p->offset, p->what, "%s", p->msg);
}

/* Chain problems name a log by its index in the array given to
 * hrl_chain_order(), which is the argument order. */
struct chain_ctx {
    hrl_set *s;
    const char *const *paths;
    const size_t *opened; /* header index -> argument index */
};

static void on_chain_problem(void *ctx, const struct hrl_problem *p)
{
    struct chain_ctx *c = ctx;
    size_t arg = c->opened[p->offset];
    report(c->s, arg, c->paths[arg], hrl_kind_name(p->kind), 0, p->what, "%s",
           p->msg);
}

static int push_write(hrl_set *s, const struct hrl_write *w, struct hv_err *e)
{
    struct hrl_write *n = hv_grow(s->writes, &s->cap, s->nwrites + 1, sizeof *n);
    if (!n)
        return hv_failx(e, HV_NOMEM, "log entries", "no memory for %zu entries", s->nwrites + 1);
    s->writes = n;
    s->writes[s->nwrites++] = *w;
    return 0;
}

/* Checks every entry of log `pos` against the base geometry and records it. */
static int collect_entries(hrl_set *s, size_t pos, struct hv_err *e)
{
    struct hrl_set_log *L = &s->logs[pos];
    L->first_write = s->nwrites;
    if (!L->log)
        return 0;
    struct hrl_iter it;
    struct hrl_entry en;
    uint64_t vsize = s->base->virtual_size, sector = s->base->sector_size ? s->base->sector_size : 512;
    hrl_iter_init(L->log, 0, &it);
    while (hrl_iter_next(&it, &en)) {
        uint64_t eoff = en.block_offset + HRL_ENTRY_SIZE * (1 + (uint64_t)en.slot);
        char what[80];
        snprintf(what, sizeof what, "metadata entry %u of block at 0x%llx", en.slot,
                 (unsigned long long)en.block_offset);
        if (en.disk_offset > vsize || en.length > vsize - en.disk_offset)
            report(s, pos, L->path, "entry-range", eoff, what,
                   "writes [0x%llx, +%u) beyond the virtual size 0x%llx of the base",
                   (unsigned long long)en.disk_offset, en.length, (unsigned long long)vsize);
        else if (en.disk_offset % sector || en.length % sector)
            report(s, pos, L->path, "entry-alignment", eoff, what,
                   "writes [0x%llx, +%u), not aligned to the %llu-byte logical sectors of the base",
                   (unsigned long long)en.disk_offset, en.length, (unsigned long long)sector);
        struct hrl_write w = { en.disk_offset, en.length, en.payload, (uint32_t)pos, en.index };
        if (push_write(s, &w, e) < 0)
            return -1;
    }
    L->nwrites = s->nwrites - L->first_write;
    return 0;
}

/* ---- opening and verifying the logs in parallel ----
 * Each log is opened and its payload checksums summed on one of a few
 * threads (they are independent files; verification is most of the cost of
 * a restore). Problems are buffered per log and reported afterwards, in
 * argument order, from the calling thread: the user's callback never runs
 * concurrently and sees the same order as a sequential open. */
struct open_job {
    const char *path;
    hrl_log *log;
    struct hv_err err;
    int failed;
    struct hrl_problem *probs;
    size_t np, cap;
    size_t dropped; /* problems lost to an allocation failure (still counted) */
};

static void buffer_problem(void *ctx, const struct hrl_problem *p)
{
    struct open_job *j = ctx;
    struct hrl_problem *n = hv_grow(j->probs, &j->cap, j->np + 1, sizeof *n);
    if (!n) {
        j->dropped++;
        return;
    }
    j->probs = n;
    j->probs[j->np++] = *p;
}

static void open_one(void *ctx, size_t i)
{
    struct open_job *j = &((struct open_job *)ctx)[i];
    struct hrl_open_opts oo = { 0, buffer_problem, j };
    hv_err_clear(&j->err);
    if (hrl_open(j->path, &oo, &j->log, &j->err) < 0) {
        j->failed = 1;
        j->log = NULL;
        return;
    }
    hrl_verify_data(j->log); /* mismatches are buffered by buffer_problem */
}

static void open_all(struct open_job *jobs, size_t n)
{
    hv_parallel_for(n, hv_cpu_count(8), open_one, jobs);
}

int hrl_set_open(const char *const *paths, size_t n, const struct hrl_base *base,
                 const struct hrl_set_opts *opts, hrl_set **out, struct hv_err *e)
{
    hrl_set *s = calloc(1, sizeof *s);
    hrl_log **logs = calloc(n + 1, sizeof *logs);
    struct log_ctx *lc = calloc(n + 1, sizeof *lc);
    const struct hrl_header **hdrs = calloc(n + 1, sizeof *hdrs);
    size_t *opened = calloc(n + 1, sizeof *opened);
    size_t *order = calloc(n + 1, sizeof *order);
    struct hrl_info *infos = calloc(n + 1, sizeof *infos);
    struct open_job *jobs = NULL;
    int rc = -1;
    if (!s || !logs || !lc || !hdrs || !opened || !order || !infos) {
        hv_failx(e, HV_NOMEM, "log set", "no memory for %zu logs", n);
        goto out;
    }
    static const struct hrl_set_opts no_opts; /* read-only defaults */
    s->opts = opts ? opts : &no_opts;
    opts = s->opts;
    s->base = base;
    s->n = n;
    s->logs = calloc(n + 1, sizeof *s->logs);
    if (!s->logs) {
        hv_failx(e, HV_NOMEM, "log set", "no memory for %zu logs", n);
        goto out;
    }

    /* 1. Open and fully verify each log. Until the chain is ordered, s->logs
     * is in argument order and problems are counted there. */
    size_t nopen = 0;
    jobs = calloc(n + 1, sizeof *jobs);
    if (!jobs) {
        hv_failx(e, HV_NOMEM, "log set", "no memory for %zu logs", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        jobs[i].path = paths[i];
    open_all(jobs, n);
    for (size_t i = 0; i < n; i++) {
        struct open_job *j = &jobs[i];
        lc[i] = (struct log_ctx){ s, i, paths[i] };
        s->logs[i].path = paths[i];
        s->logs[i].arg = i;
        logs[i] = j->log;
        j->log = NULL; /* owned by logs[] now */
        for (size_t k = 0; k < j->np; k++)
            on_log_problem(&lc[i], &j->probs[k]);
        for (size_t k = 0; k < j->dropped; k++)
            report(s, i, paths[i], "unreported", 0, "log", "a problem was lost (out of memory)");
        if (j->failed) {
            struct hv_err *le = &j->err;
            if (le->code == HV_IO || le->code == HV_NOMEM || le->code == HV_NOTFOUND) {
                *e = *le;
                goto out;
            }
            char buf[1400];
            report(s, i, paths[i], "unreadable", le->has_offset ? le->offset : 0, "log",
                   "%s", hv_err_format(le, buf, sizeof buf));
            continue;
        }
        hrl_info(logs[i], &infos[i]);
        hdrs[nopen] = &infos[i].hdr;
        opened[nopen++] = i;
    }

    /* 2. Chain order. Unopened logs go last, in argument order. */
    size_t *hord = calloc(nopen + 1, sizeof *hord);
    if (!hord) {
        hv_failx(e, HV_NOMEM, "log set", "no memory");
        goto out;
    }
    /* Chain problems are counted in argument order: s->logs is not reordered yet. */
    struct chain_ctx cc = { s, paths, opened };
    size_t chain_problems = nopen ? hrl_chain_order(hdrs, nopen, hord, on_chain_problem, &cc) : 0;
    size_t k = 0;
    for (size_t j = 0; j < nopen; j++)
        order[k++] = opened[hord[j]];
    for (size_t i = 0; i < n; i++)
        if (!logs[i])
            order[k++] = i;
    free(hord);

    /* Rebuild the log table in chain order, moving per-log problem counts. */
    struct hrl_set_log *byarg = s->logs;
    s->logs = calloc(n + 1, sizeof *s->logs);
    if (!s->logs) {
        s->logs = byarg;
        hv_failx(e, HV_NOMEM, "log set", "no memory");
        goto out;
    }
    for (size_t p = 0; p < n; p++) {
        size_t a = order[p];
        s->logs[p] = byarg[a];
        s->logs[p].log = logs[a];
        if (logs[a])
            s->logs[p].info = infos[a];
        logs[a] = NULL; /* owned by the set now */
    }
    free(byarg);
    s->ordered = 1;

    /* Our own continuity check on the final order: each log must name its
     * predecessor. Catches what an ordering could not fix (a gap). */
    for (size_t p = 1; p < n; p++) {
        const struct hrl_set_log *a = &s->logs[p - 1], *b = &s->logs[p];
        if (!a->log || !b->log)
            continue;
        if (!hv_guid_eq(&b->info.hdr.previous_unique_id, &a->info.hdr.unique_id)) {
            char g1[40], g2[40];
            report(s, p, b->path, "chain-gap", 76, "header",
                   "PreviousUniqueId %s does not name the log before it (%s)",
                   hv_guid_format(&b->info.hdr.previous_unique_id, 1, g1),
                   hv_guid_format(&a->info.hdr.unique_id, 1, g2));
        }
    }
    (void)chain_problems;

    /* 3. GUID rule (see hrl_points.h). */
    const struct hv_guid *first = NULL;
    for (size_t p = 0; p < n; p++) {
        struct hrl_set_log *L = &s->logs[p];
        if (!L->log)
            continue;
        const struct hv_guid *g = &L->info.hdr.vhd2_guid;
        char g1[40], g2[40];
        if (hv_guid_is_zero(g))
            continue; /* version-1 log: no guid to compare */
        if (!first) {
            first = g;
            if (base->has_guid && !hv_guid_eq(g, &base->data_write_guid) && !opts->ignore_guid)
                report(s, p, L->path, "guid-mismatch", 110, "header",
                       "Vhd2DataWriteGuid %s is not the DataWriteGuid %s of the base: the logs "
                       "were taken from another disk, or the base was modified after they "
                       "started (use --ignore-guid to apply anyway)",
                       hv_guid_format(g, 1, g1), hv_guid_format(&base->data_write_guid, 1, g2));
        } else if (!hv_guid_eq(g, first) && !opts->ignore_guid) {
            report(s, p, L->path, "guid-mismatch", 110, "header",
                   "Vhd2DataWriteGuid %s differs from the chain's %s: the disk was modified "
                   "outside change tracking between these logs",
                   hv_guid_format(g, 1, g1), hv_guid_format(first, 1, g2));
        }
    }

    /* 4. Entries: geometry checks, and the replay list. */
    for (size_t p = 0; p < n; p++)
        if (collect_entries(s, p, e) < 0)
            goto out;

    s->usable = 0;
    while (s->usable < n && s->logs[s->usable].log && s->logs[s->usable].problems == 0)
        s->usable++;
    /* A set-level problem (not attributed to a log) spoils every point. */
    uint64_t attributed = 0;
    for (size_t p = 0; p < n; p++)
        attributed += s->logs[p].problems;
    if (attributed != s->problems)
        s->usable = 0;
    s->jobs = jobs; /* the logs keep pointing at them */
    s->njobs = n;
    jobs = NULL;
    *out = s;
    s = NULL;
    rc = 0;
out:
    for (size_t i = 0; i < n && jobs; i++) {
        hrl_close(jobs[i].log);
        free(jobs[i].probs);
    }
    free(jobs);
    for (size_t i = 0; i < n && logs; i++)
        hrl_close(logs[i]);
    hrl_set_close(s);
    free(logs);
    free(lc);
    free(hdrs);
    free(opened);
    free(order);
    free(infos);
    return rc;
}

void hrl_set_close(hrl_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->logs && i < s->n; i++)
        hrl_close(s->logs[i].log);
    for (size_t i = 0; s->jobs && i < s->njobs; i++)
        free(s->jobs[i].probs);
    free(s->jobs);
    free(s->logs);
    free(s->writes);
    free(s);
}

size_t hrl_set_count(const hrl_set *s) { return s->n; }
const struct hrl_set_log *hrl_set_log_at(const hrl_set *s, size_t i) { return &s->logs[i]; }
size_t hrl_set_usable(const hrl_set *s) { return s->usable; }
uint64_t hrl_set_problems(const hrl_set *s) { return s->problems; }

const struct hrl_write *hrl_set_writes(const hrl_set *s, size_t *n)
{
    *n = s->nwrites;
    return s->writes;
}

size_t hrl_set_point_writes(const hrl_set *s, size_t point)
{
    if (point == 0)
        return 0;
    if (point > s->n)
        point = s->n;
    const struct hrl_set_log *L = &s->logs[point - 1];
    return L->first_write + L->nwrites;
}

uint32_t hrl_set_log_end_time(const hrl_set *s, size_t i)
{
    const struct hrl_set_log *L = &s->logs[i];
    if (!L->log)
        return 0;
    if (L->info.entries && L->info.last_time)
        return L->info.last_time;
    return L->info.hdr.last_modified ? L->info.hdr.last_modified : L->info.hdr.timestamp;
}
