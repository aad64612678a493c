/* hrl_verify_points.c: `hrl verify --base BASE` (called from hrl_verify.c) and
 * `hrl seal`: offline verification of every recovery point of a base and its
 * logs, optionally with the tree digest of each point (computed
 * incrementally) and a manifest of those digests to write or compare. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"
#include "hv_publish.h"

static const struct cli_opt seal_opts[] = {
    { "base", 'b', "BASE", "the VHDX (or the child of a chain) the first log applies to; opened read-only" },
    { "output", 'o', "MANIFEST", "the manifest to write; must not exist" },
    { "ignore-guid", 'g', NULL, "do not require the first log's Vhd2DataWriteGuid to equal BASE's DataWriteGuid" },
    CLI_OPT_CHAIN,
    CLI_OPT_PROGRESS,
    CLI_OPT_END,
};
static const struct cli_example seal_examples[] = {
    { "hrl seal --base base.vhdx logs/ -o points.txt", "record the tree digest of every recovery point" },
    { "hrl verify --base base.vhdx --manifest points.txt logs/", "later: check nothing changed since" },
    { 0, 0 },
};
const struct cli_spec spec_seal = {
    "seal", "--base BASE -o MANIFEST [options] LOG...", "write the tree digest of every recovery point",
    "Verifies BASE and LOGs like 'hrl verify --base' and writes the tree digest of every point to MANIFEST "
    "(text: one 'point K UNIQUEID DIGEST' line per point), for a later 'hrl verify --base BASE --manifest "
    "MANIFEST LOG...'. Refuses (exit 1) if any log has problems; MANIFEST must not exist.",
    seal_opts, seal_examples,
};

#define MANIFEST_MAGIC "hvkit-recovery-manifest 1"

struct pdigest {
    uint8_t d[HV_DIGEST_LEN];
};

static int collect_cb(void *ctx, size_t k, const uint8_t root[HV_DIGEST_LEN])
{
    struct pdigest *out = ctx;
    memcpy(out[k].d, root, HV_DIGEST_LEN);
    return 0;
}

/* Digests of points 0..upto into out[]. @return 0 or an exit status. */
static int digests(struct ps_base *base, const hrl_set *set, size_t upto, struct pdigest *out, int force)
{
    struct hv_vhdx_source src;
    struct hv_err e;
    hv_err_clear(&e);
    if (hv_vhdx_source_init(&src, base->img, &e) != 0)
        return cli_error(&e);
    struct ps_progress pp;
    ps_progress_start(&pp, "digest", force);
    int r = hrl_point_digests(&src.src, base->desc.virtual_size, set, upto, collect_cb, out, &pp.hp, &e);
    ps_progress_stop(&pp);
    hv_vhdx_source_fini(&src);
    if (r != 0)
        return cli_error(&e);
    return 0;
}

/* Allocates out[0..n] and fills points 0..upto (digests()). @return 0 or an exit status. */
static int alloc_digests(struct ps_base *base, const hrl_set *set, size_t n, size_t upto, int force,
                         struct pdigest **out)
{
    *out = calloc(n + 1, sizeof **out);
    if (!*out)
        return cli_errorf("out of memory");
    return digests(base, set, upto, *out, force);
}

struct mpoint {
    size_t k;
    char uid[64];
    uint8_t d[HV_DIGEST_LEN];
};

/* Reads a manifest. @return 0 and the points (*pts, *n), or an exit status. */
static int manifest_read(const char *path, struct mpoint **pts, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_errorf("'%s': %s", path, strerror(errno));
    char line[512];
    size_t cap = 0, lineno = 0;
    *pts = NULL;
    *n = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (lineno == 1) {
            if (strcmp(line, MANIFEST_MAGIC)) {
                rc = cli_errorf("'%s': not a recovery-point manifest (first line '%s')", path, line);
                rc = EXIT_PROBLEMS;
                break;
            }
            continue;
        }
        if (!*line || *line == '#' || strncmp(line, "point ", 6))
            continue;
        struct mpoint m;
        char hex[80];
        if (sscanf(line, "point %zu %63s %79s", &m.k, m.uid, hex) != 3 || strlen(hex) != 64 ||
            hv_digest_parse(hex, m.d) != 0 || m.k != *n) {
            cli_errorf("'%s' line %zu: malformed point line", path, lineno);
            rc = EXIT_PROBLEMS;
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            struct mpoint *p = realloc(*pts, cap * sizeof *p);
            if (!p) {
                rc = cli_errorf("out of memory");
                break;
            }
            *pts = p;
        }
        (*pts)[(*n)++] = m;
    }
    fclose(f);
    if (!rc && lineno == 0)
        rc = cli_errorf("'%s': empty manifest", path), rc = EXIT_PROBLEMS;
    if (rc) {
        free(*pts);
        *pts = NULL;
    }
    return rc;
}

static const char *uid_of(const hrl_set *set, size_t k, char *buf)
{
    if (k == 0)
        return "base";
    const struct hrl_set_log *L = hrl_set_log_at(set, k - 1);
    return L->log ? hv_guid_format(&L->info.hdr.unique_id, 1, buf) : "?";
}

struct vopts {
    const char *base_path, *manifest, *out;
    int digest, json, ignore_guid, force_progress;
    struct chain_opts chain;
};

static int parse(int argc, char **argv, struct vopts *o, int seal)
{
    memset(o, 0, sizeof *o);
    o->force_progress = -1;
    chain_opts_init(&o->chain);
    struct cli_args a;
    cli_args_init(&a, seal ? &spec_seal : &spec_verify, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        int r = c == CLI_STOP ? -1 : chain_opt(&o->chain, c, a.arg);
        if (r < 0)
            return c == CLI_STOP ? (a.status == EXIT_OK ? -1 : a.status) : EXIT_ERROR;
        if (r > 0 || progress_opt(c, &o->force_progress))
            continue;
        switch (c) {
        case 'b': o->base_path = a.arg; break;
        case 'd': o->digest = 1; break;
        case 'M': o->manifest = a.arg; o->digest = 1; break;
        case 'j': o->json = 1, cli_set_json(1); break;
        case 'g': o->ignore_guid = 1; break;
        case 'o': o->out = a.arg; break;
        case 's': return cli_bad("--salvage checks single logs; it does not go with --base");
        }
    }
    if (!o->base_path)
        return cli_bad("--base BASE is needed");
    if (seal && !o->out)
        return cli_bad("-o MANIFEST, the file to write, is needed");
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    return 0;
}

int cmd_verify_points(int argc, char **argv)
{
    struct vopts o;
    int rc = parse(argc, argv, &o, 0);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    struct log_args logs;
    struct ps_base base;
    if ((rc = ps_logs_base_open(argv + optind, (size_t)(argc - optind), o.base_path, &o.chain.o, &logs, &base)) != 0)
        return rc;
    struct ps_plist pl = { 0 };
    pl.quiet = o.json;
    hrl_set *set = NULL;
    struct pdigest *dg = NULL;
    struct mpoint *mp = NULL;
    size_t nm = 0;
    if (o.manifest && (rc = manifest_read(o.manifest, &mp, &nm)) != 0)
        goto out;
    if ((rc = ps_set_open(&logs, &base.desc, o.ignore_guid, &pl, &set)) != 0)
        goto out;
    size_t n = hrl_set_count(set), usable = hrl_set_usable(set);
    if (o.digest) {
        if ((rc = alloc_digests(&base, set, n, usable, o.force_progress, &dg)) != 0)
            goto out;
    }
    /* The first point whose manifest digest differs, or which cannot be
     * computed because its logs have problems. */
    size_t differs = SIZE_MAX;
    char why[200] = "";
    for (size_t i = 0; o.manifest && i < nm && differs == SIZE_MAX; i++) {
        char g[40];
        size_t k = mp[i].k;
        if (k > n) {
            differs = k;
            snprintf(why, sizeof why, "the manifest has point %zu, the logs give only %zu", k, n);
        } else if (strcmp(mp[i].uid, uid_of(set, k, g))) {
            differs = k;
            snprintf(why, sizeof why, "sealed for log %s, found %s", mp[i].uid, uid_of(set, k, g));
        } else if (k > usable) {
            differs = k;
            snprintf(why, sizeof why, "its logs have problems; digest not computed");
        } else if (memcmp(mp[i].d, dg[k].d, HV_DIGEST_LEN)) {
            char a[65], b[65];
            differs = k;
            snprintf(why, sizeof why, "sealed %s, computed %s", hv_digest_hex(mp[i].d, a), hv_digest_hex(dg[k].d, b));
        }
    }
    char g[40], hex[65];
    if (o.json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "base", o.base_path);
        json_arr_begin(&j, "points");
        for (size_t k = 0; k <= n; k++) {
            json_obj_begin(&j, NULL);
            json_u64(&j, "point", k);
            json_str(&j, "file", k ? hrl_set_log_at(set, k - 1)->path : o.base_path);
            json_str(&j, "unique_id", uid_of(set, k, g));
            json_str(&j, "verdict", k <= usable ? "ok" : hrl_set_log_at(set, k - 1)->problems ? "problems" : "unusable");
            if (o.digest && k <= usable)
                json_str(&j, "tree_digest", hv_digest_hex(dg[k].d, hex));
            json_arr_begin(&j, "problems");
            for (size_t i = 0; k && i < pl.kept; i++) {
                if (pl.keep[i].log != hrl_set_log_at(set, k - 1)->arg)
                    continue;
                json_problem(&j, "error", pl.keep[i].kind, pl.keep[i].what,
                             pl.keep[i].path[0] ? pl.keep[i].path : NULL, 1, pl.keep[i].offset, pl.keep[i].msg);
            }
            json_arr_end(&j);
            json_obj_end(&j);
        }
        json_arr_end(&j);
        json_u64(&j, "usable", usable);
        json_u64(&j, "problem_count", hrl_set_problems(set));
        if (o.manifest) {
            json_obj_begin(&j, "manifest");
            json_str(&j, "file", o.manifest);
            json_bool(&j, "matches", differs == SIZE_MAX);
            if (differs != SIZE_MAX) {
                json_u64(&j, "first_difference", differs);
                json_str(&j, "reason", why);
            }
            json_obj_end(&j);
        }
        json_bool(&j, "ok", usable == n && !hrl_set_problems(set) && differs == SIZE_MAX);
        json_obj_end(&j);
        json_end(&j);
    } else {
        for (size_t k = 0; k <= n; k++) {
            const char *v = k <= usable ? "ok" : hrl_set_log_at(set, k - 1)->problems ? "problems" : "unusable";
            printf("point %-3zu %-38s %-8s", k, uid_of(set, k, g), v);
            if (o.digest && k <= usable)
                printf(" tree %s", hv_digest_hex(dg[k].d, hex));
            printf("  %s\n", k ? hrl_set_log_at(set, k - 1)->path : o.base_path);
        }
        if (usable == n && !hrl_set_problems(set))
            printf("verdict: all %zu recovery points sound\n", n);
        else
            printf("verdict: %zu problem%s; points 0..%zu sound, %zu..%zu not usable\n", pl.n,
                   pl.n == 1 ? "" : "s", usable, usable + 1, n);
        if (o.manifest) {
            if (differs == SIZE_MAX)
                printf("manifest: %zu point%s match %s\n", nm, nm == 1 ? "" : "s", o.manifest);
            else
                printf("manifest: point %zu differs: %s\n", differs, why);
        }
    }
    rc = usable == n && !hrl_set_problems(set) && differs == SIZE_MAX ? EXIT_OK : EXIT_PROBLEMS;
out:
    free(dg);
    free(mp);
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    log_args_free(&logs);
    chain_opts_free(&o.chain);
    return rc;
}

int cmd_seal(int argc, char **argv)
{
    struct vopts o;
    int rc = parse(argc, argv, &o, 1);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (access(o.out, F_OK) == 0)
        return cli_bad("'%s' exists; give the name of a new file", o.out);
    struct log_args logs;
    struct ps_base base;
    if ((rc = ps_logs_base_open(argv + optind, (size_t)(argc - optind), o.base_path, &o.chain.o, &logs, &base)) != 0)
        return rc;
    struct ps_plist pl = { 0 };
    hrl_set *set = NULL;
    struct pdigest *dg = NULL;
    FILE *f = NULL;
    char tmp[4200];
    int have_tmp = 0;
    if ((rc = ps_set_open(&logs, &base.desc, o.ignore_guid, &pl, &set)) != 0)
        goto out;
    size_t n = hrl_set_count(set);
    if (hrl_set_problems(set)) {
        rc = cli_errorf("refusing to seal: %zu problem%s in the logs (listed above)", pl.n, pl.n == 1 ? "" : "s");
        rc = EXIT_PROBLEMS;
        goto out;
    }
    if ((rc = alloc_digests(&base, set, n, n, o.force_progress, &dg)) != 0)
        goto out;
    struct hv_err err;
    hv_err_clear(&err);
    if (hv_tmp_sibling(o.out, tmp, sizeof tmp, &err)) {
        rc = cli_error(&err);
        goto out;
    }
    f = fopen(tmp, "wx");
    if (!f) {
        rc = cli_errorf("'%s': %s", tmp, strerror(errno));
        goto out;
    }
    have_tmp = 1;
    char g[40], hex[65];
    fprintf(f, "%s\n# base %s\n# virtual-size %" PRIu64 " data-write-guid %s\n", MANIFEST_MAGIC, o.base_path,
            base.desc.virtual_size, hv_guid_format(&base.desc.data_write_guid, 1, g));
    fprintf(f, "# point K  log UniqueId  tree digest (SHA-256 of per-MiB SHA-256s)\n");
    for (size_t k = 0; k <= n; k++)
        fprintf(f, "point %zu %s %s\n", k, uid_of(set, k, g), hv_digest_hex(dg[k].d, hex));
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        rc = cli_errorf("'%s': %s", tmp, strerror(errno));
        goto out;
    }
    fclose(f);
    f = NULL;
    if (hv_publish_tmp(tmp, o.out, &err)) {
        rc = cli_error(&err);
        goto out;
    }
    have_tmp = 0;
    printf("%s: sealed %zu recovery point%s (and the base)\n", o.out, n, n == 1 ? "" : "s");
    rc = EXIT_OK;
out:
    if (f)
        fclose(f);
    if (have_tmp)
        unlink(tmp);
    free(dg);
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    log_args_free(&logs);
    chain_opts_free(&o.chain);
    return rc;
}
