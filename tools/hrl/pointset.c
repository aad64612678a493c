/* hrl_pointset.c: shared plumbing of the recovery-point commands (see hrl_pointset.h). */
#define _GNU_SOURCE
#include "pointset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"
#include "vhdx_probe.h"

int ps_base_open(const char *path, const struct vhdx_open_opts *o, struct ps_base *b)
{
    memset(b, 0, sizeof *b);
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(path, 1u << VHDX_KIND_VHDX, &pr, &e) != 0)
        return cli_error(&e);
    if (vhdx_open(path, o, &b->img, &e) != 0) {
        hv_err_file(&e, path);
        return cli_error(&e);
    }
    struct vhdx_info info;
    vhdx_get_info(b->img, &info);
    b->path = path;
    b->desc.virtual_size = vhdx_virtual_size(b->img);
    b->desc.sector_size = vhdx_logical_sector_size(b->img);
    b->desc.has_guid = 1;
    b->desc.data_write_guid = info.data_write_guid;
    return 0;
}

void ps_base_close(struct ps_base *b)
{
    vhdx_close(b->img);
    b->img = NULL;
}

int ps_logs_base_open(char **args, size_t nargs, const char *base_path, const struct vhdx_open_opts *o,
                      struct log_args *logs, struct ps_base *base)
{
    int rc = log_args_expand(args, nargs, 1, logs);
    if (rc)
        return rc;
    if ((rc = ps_base_open(base_path, o, base)) != 0)
        log_args_free(logs);
    return rc;
}

void ps_plist_cb(void *ctx, const struct hrl_set_problem *p)
{
    struct ps_plist *pl = ctx;
    pl->n++;
    if (!pl->quiet) {
        if (p->path)
            fprintf(stderr, "%s: '%s': %s at 0x%" PRIx64 ": %s [%s]\n", cli_prog(), p->path, p->what,
                    p->offset, p->msg, p->kind);
        else
            fprintf(stderr, "%s: %s: %s [%s]\n", cli_prog(), p->what, p->msg, p->kind);
    }
    if (pl->kept == pl->cap) {
        if (pl->cap >= 1000)
            return;
        size_t cap = pl->cap ? 2 * pl->cap : 16;
        struct ps_problem *k = realloc(pl->keep, cap * sizeof *k);
        if (!k)
            return;
        pl->keep = k;
        pl->cap = cap;
    }
    struct ps_problem *k = &pl->keep[pl->kept++];
    k->log = p->log;
    snprintf(k->path, sizeof k->path, "%s", p->path ? p->path : "");
    snprintf(k->kind, sizeof k->kind, "%s", p->kind);
    k->offset = p->offset;
    snprintf(k->what, sizeof k->what, "%s", p->what);
    snprintf(k->msg, sizeof k->msg, "%s", p->msg);
}

void ps_plist_free(struct ps_plist *pl)
{
    free(pl->keep);
    pl->keep = NULL;
}

int ps_set_open(const struct log_args *logs, const struct hrl_base *base, int ignore_guid,
                struct ps_plist *pl, hrl_set **out)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct hrl_set_opts o = { ignore_guid, ps_plist_cb, pl };
    if (hrl_set_open((const char *const *)logs->paths, logs->n, base, &o, out, &e) != 0)
        return cli_error(&e);
    return 0;
}

int ps_parse_time(const char *s, int64_t *t)
{
    return cli_parse_time(s, t);
}

int ps_select_point(const hrl_set *set, const struct ps_select *sel, size_t *point)
{
    size_t n = hrl_set_count(set);
    int given = !!sel->point + !!sel->until + !!sel->log;
    if (given > 1)
        return cli_bad("give only one of --point, --until and --log");
    if (sel->point) {
        uint64_t v;
        if (cli_u64_arg("point", sel->point, UINT32_MAX, &v))
            return EXIT_ERROR;
        if (v > n)
            return cli_bad("--point %" PRIu64 ": the logs give points 0 (the base) to %zu; 'hrl points' lists them",
                           v, n);
        *point = (size_t)v;
        return 0;
    }
    if (sel->until) {
        int64_t t;
        if (ps_parse_time(sel->until, &t) != 0)
            return cli_bad("--until: '%s' is not a time; e.g. 2026-01-31T12:00:00Z, 2026-01-31T13:00:00+01:00 or "
                           "@1769860800",
                           sel->until);
        size_t k = 0;
        while (k < n && (int64_t)hrl_set_log_end_time(set, k) + HRL_EPOCH_UNIX <= t)
            k++;
        *point = k;
        return 0;
    }
    if (sel->log) {
        struct hv_guid g;
        if (cli_parse_guid(sel->log, &g) != 0)
            return cli_bad("--log: '%s' is not a GUID; e.g. {3f2504e0-4f89-11d3-9a0c-0305e82c3301}", sel->log);
        for (size_t k = 0; k < n; k++) {
            const struct hrl_set_log *L = hrl_set_log_at(set, k);
            if (L->log && hv_guid_eq(&L->info.hdr.unique_id, &g)) {
                *point = k + 1;
                return 0;
            }
        }
        return cli_bad("--log: no log with UniqueId %s among the logs given; 'hrl points' lists them", sel->log);
    }
    *point = n;
    return 0;
}

int ps_select_sound_point(const hrl_set *set, const struct ps_plist *pl, const struct ps_select *sel,
                          const char *verb, const char *note, size_t *point)
{
    char pb[32];
    if (!hrl_set_problems(set))
        return ps_select_point(set, sel, point);
    /* A point made only of sound logs can still be written: the damaged
     * logs after it are not used. Without a selector, "the last point" is
     * ambiguous, so the damaged set is refused. */
    size_t usable = hrl_set_usable(set);
    if (sel->point || sel->until || sel->log) {
        int rc = ps_select_point(set, sel, point);
        if (rc)
            return rc;
        if (*point <= usable) {
            fprintf(stderr, "%s: warning: %s in logs after point %zu (listed above); they are not used\n",
                    cli_prog(), cli_plural(pl->n, "problem", "problems", pb, sizeof pb), usable);
            return 0;
        }
    }
    cli_errorf("refusing to %s: %s in the logs (listed above); %s%s", verb,
               cli_plural(pl->n, "problem", "problems", pb, sizeof pb), note,
               usable ? "; points up to the last sound one can be chosen with --point" : "");
    return EXIT_PROBLEMS;
}

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    struct ps_progress *pp = ctx;
    pp->p.total = total;
    progress_update(&pp->p, done);
}

void ps_progress_start(struct ps_progress *pp, const char *label, int force)
{
    progress_start(&pp->p, label, 0, force);
    pp->hp.fn = progress_cb;
    pp->hp.ctx = pp;
}

void ps_progress_stop(struct ps_progress *pp)
{
    progress_stop(&pp->p);
}
