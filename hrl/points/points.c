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

/* The scratch state of hrl_set_open, per argument index. */
struct set_build {
    hrl_set *s;
    const char *const *paths;
    size_t n;
    hrl_log **logs;            /* opened logs, until the set owns them */
    struct log_ctx *lc;        /* problem-report context of each log */
    const struct hrl_header **hdrs; /* headers of the opened logs, for ordering */
    size_t *opened, nopen;     /* argument index of each opened log */
    size_t *order;             /* chain order, as argument indices */
    struct hrl_info *infos;
    struct open_job *jobs;
};

static int build_alloc(struct set_build *b, struct hv_err *e)
{
    size_t n = b->n;
    b->logs = calloc(n + 1, sizeof *b->logs);
    b->lc = calloc(n + 1, sizeof *b->lc);
    b->hdrs = calloc(n + 1, sizeof *b->hdrs);
    b->opened = calloc(n + 1, sizeof *b->opened);
    b->order = calloc(n + 1, sizeof *b->order);
    b->infos = calloc(n + 1, sizeof *b->infos);
    b->jobs = calloc(n + 1, sizeof *b->jobs);
    b->s->logs = calloc(n + 1, sizeof *b->s->logs);
    if (!b->logs || !b->lc || !b->hdrs || !b->opened || !b->order || !b->infos || !b->jobs ||
        !b->s->logs)
        return hv_failx(e, HV_NOMEM, "log set", "no memory for %zu logs", n);
    return 0;
}

static void build_free(struct set_build *b)
{
    for (size_t i = 0; i < b->n && b->jobs; i++) {
        hrl_close(b->jobs[i].log);
        free(b->jobs[i].probs);
    }
    free(b->jobs);
    for (size_t i = 0; i < b->n && b->logs; i++)
        hrl_close(b->logs[i]);
    free(b->logs);
    free(b->lc);
    free(b->hdrs);
    free(b->opened);
    free(b->order);
    free(b->infos);
}

/* Step 1: open and fully verify every log, in parallel; then report each
 * log's problems in argument order. Until the chain is ordered, s->logs is
 * in argument order and problems are counted there. A log that cannot be
 * read at all (I/O, memory, missing) fails the call. */
static int open_logs(struct set_build *b, struct hv_err *e)
{
    hrl_set *s = b->s;
    for (size_t i = 0; i < b->n; i++)
        b->jobs[i].path = b->paths[i];
    open_all(b->jobs, b->n);
    for (size_t i = 0; i < b->n; i++) {
        struct open_job *j = &b->jobs[i];
        const char *path = b->paths[i];
        b->lc[i] = (struct log_ctx){ s, i, path };
        s->logs[i].path = path;
        s->logs[i].arg = i;
        b->logs[i] = j->log;
        j->log = NULL; /* owned by b->logs now */
        for (size_t k = 0; k < j->np; k++)
            on_log_problem(&b->lc[i], &j->probs[k]);
        for (size_t k = 0; k < j->dropped; k++)
            report(s, i, path, "unreported", 0, "log", "a problem was lost (out of memory)");
        if (j->failed) {
            struct hv_err *le = &j->err;
            if (le->code == HV_IO || le->code == HV_NOMEM || le->code == HV_NOTFOUND) {
                *e = *le;
                return -1;
            }
            char buf[1400];
            report(s, i, path, "unreadable", le->has_offset ? le->offset : 0, "log", "%s",
                   hv_err_format(le, buf, sizeof buf));
            continue;
        }
        hrl_info(b->logs[i], &b->infos[i]);
        b->hdrs[b->nopen] = &b->infos[i].hdr;
        b->opened[b->nopen++] = i;
    }
    return 0;
}

/* Step 2: chain order (unopened logs last, in argument order), then the log
 * table rebuilt in that order with its per-log problem counts. */
static int order_logs(struct set_build *b, struct hv_err *e)
{
    hrl_set *s = b->s;
    size_t *hord = calloc(b->nopen + 1, sizeof *hord);
    if (!hord)
        return hv_failx(e, HV_NOMEM, "log set", "no memory");
    /* Chain problems are counted in argument order: s->logs is not reordered yet. */
    struct chain_ctx cc = { s, b->paths, b->opened };
    if (b->nopen)
        hrl_chain_order(b->hdrs, b->nopen, hord, on_chain_problem, &cc);
    size_t k = 0;
    for (size_t j = 0; j < b->nopen; j++)
        b->order[k++] = b->opened[hord[j]];
    for (size_t i = 0; i < b->n; i++)
        if (!b->logs[i])
            b->order[k++] = i;
    free(hord);

    struct hrl_set_log *byarg = s->logs;
    s->logs = calloc(b->n + 1, sizeof *s->logs);
    if (!s->logs) {
        s->logs = byarg;
        return hv_failx(e, HV_NOMEM, "log set", "no memory");
    }
    for (size_t p = 0; p < b->n; p++) {
        size_t a = b->order[p];
        s->logs[p] = byarg[a];
        s->logs[p].log = b->logs[a];
        if (b->logs[a])
            s->logs[p].info = b->infos[a];
        b->logs[a] = NULL; /* owned by the set now */
    }
    free(byarg);
    s->ordered = 1;
    return 0;
}

/* Step 3: our own continuity check on the final order: each log must name
 * its predecessor. Catches what an ordering could not fix (a gap). */
static void check_continuity(hrl_set *s)
{
    for (size_t p = 1; p < s->n; p++) {
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
}

/* Step 4: the GUID rule (see hrl_points.h): the first log's
 * Vhd2DataWriteGuid is the base's DataWriteGuid, and every log carries it. */
static void check_guids(hrl_set *s)
{
    const struct hv_guid *first = NULL;
    for (size_t p = 0; p < s->n; p++) {
        struct hrl_set_log *L = &s->logs[p];
        if (!L->log)
            continue;
        const struct hv_guid *g = &L->info.hdr.vhd2_guid;
        char g1[40], g2[40];
        if (hv_guid_is_zero(g))
            continue; /* version-1 log: no guid to compare */
        if (!first) {
            first = g;
            if (s->base->has_guid && !hv_guid_eq(g, &s->base->data_write_guid) &&
                !s->opts->ignore_guid)
                report(s, p, L->path, "guid-mismatch", 110, "header",
                       "Vhd2DataWriteGuid %s is not the DataWriteGuid %s of the base: the logs "
                       "were taken from another disk, or the base was modified after they "
                       "started (use --ignore-guid to apply anyway)",
                       hv_guid_format(g, 1, g1), hv_guid_format(&s->base->data_write_guid, 1, g2));
        } else if (!hv_guid_eq(g, first) && !s->opts->ignore_guid) {
            report(s, p, L->path, "guid-mismatch", 110, "header",
                   "Vhd2DataWriteGuid %s differs from the chain's %s: the disk was modified "
                   "outside change tracking between these logs",
                   hv_guid_format(g, 1, g1), hv_guid_format(first, 1, g2));
        }
    }
}

/* Step 6: points 1..usable are those whose logs are all sound. A set-level
 * problem (not attributed to a log) spoils every point. */
static void count_usable(hrl_set *s)
{
    s->usable = 0;
    while (s->usable < s->n && s->logs[s->usable].log && s->logs[s->usable].problems == 0)
        s->usable++;
    uint64_t attributed = 0;
    for (size_t p = 0; p < s->n; p++)
        attributed += s->logs[p].problems;
    if (attributed != s->problems)
        s->usable = 0;
}

int hrl_set_open(const char *const *paths, size_t n, const struct hrl_base *base,
                 const struct hrl_set_opts *opts, hrl_set **out, struct hv_err *e)
{
    static const struct hrl_set_opts no_opts; /* read-only defaults */
    struct set_build b = { .paths = paths, .n = n };
    int rc = -1;
    hrl_set *s = calloc(1, sizeof *s);
    if (!s) {
        hv_failx(e, HV_NOMEM, "log set", "no memory for %zu logs", n);
        return -1;
    }
    s->opts = opts ? opts : &no_opts;
    s->base = base;
    s->n = n;
    b.s = s;
    if (build_alloc(&b, e) || open_logs(&b, e) || order_logs(&b, e))
        goto out;
    check_continuity(s);
    check_guids(s);
    for (size_t p = 0; p < n; p++) /* step 5: entries against the base, and the replay list */
        if (collect_entries(s, p, e) < 0)
            goto out;
    count_usable(s);
    s->jobs = b.jobs; /* the logs keep pointing at them */
    s->njobs = n;
    b.jobs = NULL;
    *out = s;
    s = NULL;
    rc = 0;
out:
    build_free(&b);
    hrl_set_close(s);
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
