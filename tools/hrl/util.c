/* hrl_util.c: shared helpers of the `hrl` commands (see hrl_util.h). */
#include "util.h"
#include "vhdx_probe.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hrl_plist_init(struct hrl_plist *pl, const char *file, int quiet)
{
    memset(pl, 0, sizeof *pl);
    pl->file = file;
    pl->quiet = quiet;
}

void hrl_plist_free(struct hrl_plist *pl)
{
    free(pl->keep);
    pl->keep = NULL;
}

void hrl_plist_cb(void *ctx, const struct hrl_problem *p)
{
    struct hrl_plist *pl = ctx;
    pl->n++;
    if (!pl->quiet)
        fprintf(stderr, "%s: '%s': %s: %s [%s at 0x%" PRIx64 "]\n", cli_prog(), pl->file, p->what,
                p->msg, hrl_kind_name(p->kind), p->offset);
    if (pl->kept < HRL_KEEP) {
        if (pl->kept == pl->cap) {
            size_t cap = pl->cap ? pl->cap * 2 : 16;
            struct hrl_problem *k = realloc(pl->keep, cap * sizeof *k);
            if (!k)
                return;
            pl->keep = k;
            pl->cap = cap;
        }
        pl->keep[pl->kept++] = *p;
    }
}

void hrl_plist_json(struct json *j, const char *key, const struct hrl_plist *pl)
{
    json_arr_begin(j, key);
    for (size_t i = 0; i < pl->kept; i++) {
        const struct hrl_problem *p = &pl->keep[i];
        json_problem(j, "error", hrl_kind_name(p->kind), p->what, pl->file, 1, p->offset, p->msg);
    }
    json_arr_end(j);
}

int hrl_exit_for(enum hv_code c)
{
    return cli_exit_for(c);
}

int hrl_tool_open(const char *path, unsigned flags, struct hrl_plist *pl, hrl_log **log)
{
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(path, (1u << VHDX_KIND_HRL) | (1u << VHDX_KIND_GZIP), &pr, &err) != 0 &&
        !(flags & HRL_OPEN_SALVAGE && err.code == HV_FORMAT && pr.kind == VHDX_KIND_RAW)) {
        if (pr.kind == VHDX_KIND_RAW && err.code == HV_FORMAT)
            snprintf(err.msg, sizeof err.msg, "is not a replica log (no 'msctlog' header cookie at offset 0)");
        return cli_error(&err);
    }
    struct hrl_open_opts o = { flags, hrl_plist_cb, pl };
    if (hrl_open(path, &o, log, &err) == 0)
        return 0;
    /* Problems already printed by the callback need no second line. */
    if (!pl->n || pl->quiet)
        cli_error(&err);
    return hrl_exit_for(err.code);
}

int hrl_tool_open_file(const char *path, unsigned flags, struct hrl_plist *pl, hrl_log **log)
{
    hrl_plist_init(pl, path, 0);
    int rc = hrl_tool_open(path, flags, pl, log);
    if (rc)
        hrl_plist_free(pl);
    return rc;
}

int hrl_json_salvage_args(int argc, char **argv, const struct cli_spec *spec, int *json, unsigned *flags,
                          int *status)
{
    struct cli_args a;
    *json = 0;
    *flags = 0;
    cli_args_init(&a, spec, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        switch (c) {
        case CLI_STOP: *status = a.status; return -1;
        case 'j': *json = 1, cli_set_json(1); break;
        case 's': *flags |= HRL_OPEN_SALVAGE; break;
        default:
            /* verify's table also holds the recovery-point options */
            *status = cli_bad("--%s needs --base BASE (it checks recovery points of a base image)", a.name);
            return -1;
        }
    }
    return 0;
}

const char *hrl_time_str(uint32_t t, char *buf, size_t len)
{
    return cli_iso8601((int64_t)t + HRL_EPOCH_UNIX, buf, len);
}

int hrl_parse_u64(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s + 2, &end, 16);
        if (errno || end == s + 2 || *end)
            return -1;
        *out = v;
        return 0;
    }
    return cli_parse_size(s, out);
}

/* ---------------- interval union ---------------- */

int ivset_init(struct ivset *s, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->cap = cap < 16 ? 16 : cap;
    s->v = malloc(s->cap * sizeof *s->v);
    return s->v ? 0 : -1;
}

void ivset_free(struct ivset *s)
{
    free(s->v);
    if (s->spill)
        fclose(s->spill);
    memset(s, 0, sizeof *s);
}

static int cmp_iv(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void compact(struct ivset *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_iv);
    size_t w = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i][0] <= s->v[w][1]) {
            if (s->v[i][1] > s->v[w][1])
                s->v[w][1] = s->v[i][1];
        } else {
            s->v[++w][0] = s->v[i][0];
            s->v[w][1] = s->v[i][1];
        }
    }
    s->n = w + 1;
}

static int spill_run(struct ivset *s)
{
    if (!s->spill && !(s->spill = tmpfile()))
        return -1;
    if (s->runs == sizeof s->run_len / sizeof s->run_len[0])
        return -1;
    if (fwrite(s->v, sizeof *s->v, s->n, s->spill) != s->n)
        return -1;
    s->run_len[s->runs++] = s->n;
    s->n = 0;
    return 0;
}

int ivset_add(struct ivset *s, uint64_t a, uint64_t b)
{
    if (b <= a)
        return 0;
    if (s->n == s->cap) {
        compact(s);
        if (s->n > s->cap / 2 && spill_run(s))
            return -1;
    }
    s->v[s->n][0] = a;
    s->v[s->n][1] = b;
    s->n++;
    return 0;
}

struct run_rd {
    long pos;       /* file position of the next unread interval */
    size_t left;    /* intervals not yet read from the file */
    uint64_t buf[256][2];
    size_t i, n;
};

static int run_peek(FILE *f, struct run_rd *r, uint64_t **out)
{
    if (r->i == r->n) {
        if (!r->left)
            return 0;
        size_t k = r->left < 256 ? r->left : 256;
        if (fseek(f, r->pos, SEEK_SET) || fread(r->buf, sizeof r->buf[0], k, f) != k)
            return 0;
        r->pos += (long)(k * sizeof r->buf[0]);
        r->left -= k;
        r->i = 0;
        r->n = k;
    }
    *out = r->buf[r->i];
    return 1;
}

uint64_t ivset_walk(struct ivset *s, void (*cb)(void *ctx, uint64_t a, uint64_t b), void *ctx)
{
    uint64_t total = 0, ca = 0, cb_end = 0;
    int have = 0;
    compact(s);
    if (s->runs && s->n && spill_run(s))
        return 0;
    struct run_rd *rd = NULL;
    size_t nr = s->runs;
    if (nr) {
        rd = calloc(nr, sizeof *rd);
        if (!rd)
            return 0;
        fflush(s->spill);
        long pos = 0;
        for (size_t i = 0; i < nr; i++) {
            rd[i].pos = pos;
            rd[i].left = s->run_len[i];
            pos += (long)(s->run_len[i] * sizeof s->v[0]);
        }
    }
    size_t i = 0;
    for (;;) {
        uint64_t a, b;
        if (!nr) {
            if (i == s->n)
                break;
            a = s->v[i][0];
            b = s->v[i][1];
            i++;
        } else {
            size_t best = nr;
            uint64_t *bp = NULL;
            for (size_t k = 0; k < nr; k++) {
                uint64_t *p;
                if (run_peek(s->spill, &rd[k], &p) && (!bp || p[0] < bp[0])) {
                    bp = p;
                    best = k;
                }
            }
            if (best == nr)
                break;
            a = bp[0];
            b = bp[1];
            rd[best].i++;
        }
        if (have && a <= cb_end) {
            if (b > cb_end)
                cb_end = b;
            continue;
        }
        if (have) {
            total += cb_end - ca;
            if (cb)
                cb(ctx, ca, cb_end);
        }
        ca = a;
        cb_end = b;
        have = 1;
    }
    if (have) {
        total += cb_end - ca;
        if (cb)
            cb(ctx, ca, cb_end);
    }
    free(rd);
    return total;
}
