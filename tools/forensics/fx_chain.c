/* fx_chain.c: a base VHDX and its logs as examinable recovery points. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fx_cli.h"

int fx_exit_for(enum hv_code c)
{
    return c == HV_CORRUPT || c == HV_MISMATCH || c == HV_UNSUPPORTED ? EXIT_PROBLEMS : EXIT_ERROR;
}

static void on_problem(void *ctx, const struct hrl_set_problem *p)
{
    int *problems = ctx;
    *problems = 1;
    if (p->path)
        fprintf(stderr, "%s: '%s': %s at 0x%" PRIx64 ": %s [%s]\n", cli_prog(), p->path, p->what, p->offset,
                p->msg, p->kind);
    else
        fprintf(stderr, "%s: %s: %s [%s]\n", cli_prog(), p->what, p->msg, p->kind);
}

/* Entry times, matched to the set's writes by (log, entry index). */
static int load_times(struct fx_chain *c)
{
    if (!(c->times = calloc(c->nwrites ? c->nwrites : 1, sizeof *c->times)))
        return -1;
    for (size_t k = 0; k < hrl_set_count(c->set); k++) {
        const struct hrl_set_log *L = hrl_set_log_at(c->set, k);
        if (!L->log)
            continue;
        struct hrl_iter it;
        struct hrl_entry en;
        size_t i = 0;
        hrl_iter_init(L->log, 0, &it);
        while (i < L->nwrites && hrl_iter_next(&it, &en))
            if (c->writes[L->first_write + i].entry == en.index)
                c->times[L->first_write + i++] = en.timestamp;
    }
    return 0;
}

int fx_chain_open(struct fx_chain *c, const char *base, char **logs, size_t nlogs)
{
    memset(c, 0, sizeof *c);
    c->base_path = base;
    int rc = log_args_expand(logs, nlogs, 1, &c->logs);
    if (rc)
        return rc;
    struct hv_err e;
    hv_err_clear(&e);
    if (vhdx_open(base, NULL, &c->base, &e) != 0) {
        hv_err_file(&e, base);
        cli_error(&e);
        fx_chain_close(c);
        return fx_exit_for(e.code);
    }
    struct vhdx_info info;
    vhdx_get_info(c->base, &info);
    struct hrl_base desc = { vhdx_virtual_size(c->base), vhdx_logical_sector_size(c->base), 1,
                             info.data_write_guid };
    struct hrl_set_opts so = { 0, on_problem, &c->problems };
    if (hrl_set_open((const char *const *)c->logs.paths, c->logs.n, &desc, &so, &c->set, &e) != 0) {
        cli_error(&e);
        fx_chain_close(c);
        return EXIT_ERROR;
    }
    c->writes = hrl_set_writes(c->set, &c->nwrites);
    if (load_times(c) < 0) {
        cli_errorf("out of memory for %zu log entries", c->nwrites);
        fx_chain_close(c);
        return EXIT_ERROR;
    }
    return 0;
}

void fx_chain_close(struct fx_chain *c)
{
    hrl_set_close(c->set);
    vhdx_close(c->base);
    log_args_free(&c->logs);
    free(c->times);
    memset(c, 0, sizeof *c);
}

static void report_volumes(const struct fx_chain *c, size_t point, const fx_snap *s, int *damaged)
{
    char where[64];
    snprintf(where, sizeof where, "point %zu", point);
    *damaged |= fx_report_volumes(c->base_path, where, s);
}

int fx_state_open(struct fx_state *st, struct fx_chain *c, size_t point, int *damaged)
{
    memset(st, 0, sizeof *st);
    struct hv_err e;
    hv_err_clear(&e);
    if (fx_point_init(&st->point, c->base, c->writes, hrl_set_point_writes(c->set, point), &e) != 0) {
        cli_error(&e);
        return EXIT_ERROR;
    }
    fx_source_point(&st->src, &st->point);
    char err[300];
    if (fx_snap_open(&st->src, &st->snap, err, sizeof err) != 0) {
        fx_point_free(&st->point);
        return cli_errorf("'%s' point %zu: %s", c->base_path, point, err);
    }
    report_volumes(c, point, st->snap, damaged);
    return 0;
}

void fx_state_close(struct fx_state *st)
{
    fx_snap_close(st->snap);
    fx_point_free(&st->point);
    memset(st, 0, sizeof *st);
}

int fx_chain_ranges(const struct fx_chain *c, size_t from, size_t to, struct fx_range **out, size_t *n)
{
    struct fx_range *r = malloc((to > from ? to - from : 1) * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = from; i < to; i++)
        r[i - from] = (struct fx_range){ c->writes[i].off, c->writes[i].len };
    *n = fx_ranges_normalize(r, to - from);
    *out = r;
    return 0;
}

struct time_ctx {
    uint32_t *tmin, *tmax;
    uint32_t t;
};

static int time_piece(void *ctx, const struct fx_piece *p)
{
    struct time_ctx *tc = ctx;
    if (tc->t < tc->tmin[p->owner])
        tc->tmin[p->owner] = tc->t;
    if (tc->t > tc->tmax[p->owner])
        tc->tmax[p->owner] = tc->t;
    return 0;
}

static int times_for(const struct fx_chain *c, size_t from, size_t to, const fx_snap *s, uint32_t **mn,
                     uint32_t **mx)
{
    size_t n = fx_snap_owners(s);
    *mn = malloc((n ? n : 1) * sizeof **mn);
    *mx = calloc(n ? n : 1, sizeof **mx);
    if (!*mn || !*mx)
        return -1;
    for (size_t i = 0; i < n; i++)
        (*mn)[i] = UINT32_MAX;
    struct time_ctx tc = { *mn, *mx, 0 };
    for (size_t i = from; i < to; i++) {
        tc.t = c->times[i];
        fx_attribute(s, c->writes[i].off, c->writes[i].len, time_piece, &tc);
    }
    return 0;
}

int fx_times_build(struct fx_times *t, const struct fx_chain *c, size_t from, size_t to, const fx_snap *a,
                   const fx_snap *b)
{
    memset(t, 0, sizeof *t);
    return times_for(c, from, to, a, &t->amin, &t->amax) < 0 || times_for(c, from, to, b, &t->tmin, &t->tmax) < 0
               ? -1
               : 0;
}

void fx_times_free(struct fx_times *t)
{
    free(t->tmin);
    free(t->tmax);
    free(t->amin);
    free(t->amax);
    memset(t, 0, sizeof *t);
}

const char *fx_hrl_time(uint32_t t, char *buf, size_t len)
{
    return cli_iso8601((int64_t)t + HRL_EPOCH_UNIX, buf, len);
}

int fx_report_volumes(const char *file, const char *where, const fx_snap *s)
{
    int damaged = 0;
    for (size_t v = 0; v < fx_snap_volumes(s); v++) {
        const struct fx_volume *vol = fx_snap_volume(s, v);
        if (!vol->error[0] || vol->empty)
            continue;
        damaged = 1;
        fprintf(stderr, "%s: %s in '%s'%s%s, partition %zu (%s) at byte 0x%" PRIx64 "\n", cli_prog(),
                vol->error, file, where ? " " : "", where ? where : "", v + 1, vol->desc, vol->off);
    }
    return damaged;
}
