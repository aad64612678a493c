/* hrl_points.c: `hrl points`: the recovery points a base and its logs give:
 * index, log, UniqueId, time range, entries, bytes, verdict. Exit 0 every
 * point sound, 1 some point unusable, 2 usage or I/O error. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "pointset.h"
#include "svg_render.h"
#include "util.h"

static const struct cli_opt opts[] = {
    { "base", 'b', "BASE", "the VHDX (or the child of a chain) the first log applies to; opened read-only" },
    { "ignore-guid", 'g', NULL, "do not require the first log's Vhd2DataWriteGuid to equal BASE's DataWriteGuid" },
    CLI_OPT_JSON,
    { "svg", OPT_SVG, "OUT", "draw the points (one lane per log, verdicts, changed bytes) as a self-contained SVG" },
    CLI_OPT_CHAIN,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl points --base base.vhdx logs/", "every recovery point: its log, times, size and verdict" },
    { "hrl points --json --base base.vhdx HRL_0001.hrl HRL_0002.hrl", "the same as JSON" },
    { 0, 0 },
};
const struct cli_spec spec_points = {
    "points", "--base BASE [options] LOG...", "list the recovery points of a base and its logs",
    "Point 0 is BASE; point k is BASE with logs 1..k applied (chain order from the headers). LOG "
    "arguments are .hrl or .hrl.gz files or directories of them. For each point: the log's file and "
    "UniqueId, its first and last entry times, entries, bytes of log data, distinct disk bytes it "
    "changes, and a verdict: ok, problems (this log failed verification; details on standard error) or "
    "unusable (an earlier log failed).",
    opts, examples,
};

static const char *verdict(const hrl_set *set, size_t k)
{
    if (k < hrl_set_usable(set))
        return "ok";
    const struct hrl_set_log *L = hrl_set_log_at(set, k);
    return L->problems || !L->log ? "problems" : "unusable";
}

/* The body; cmd_points owns the chain options so every return path frees them. */
static int points_main(int argc, char **argv, struct chain_opts *chain)
{
    const char *base_path = NULL, *svg = NULL;
    int json = 0, ignore_guid = 0;
    struct cli_args a;
    cli_args_init(&a, &spec_points, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        int r = c == CLI_STOP ? -1 : chain_opt(chain, c, a.arg);
        if (r < 0)
            return c == CLI_STOP ? a.status : EXIT_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case 'b': base_path = a.arg; break;
        case 'j': json = 1, cli_set_json(1); break;
        case 'g': ignore_guid = 1; break;
        case OPT_SVG: svg = a.arg; break;
        }
    }
    if (!base_path)
        return cli_bad("--base BASE is needed (the VHDX the first log applies to)");
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    struct log_args logs;
    struct ps_base base;
    int rc = ps_logs_base_open(argv + optind, (size_t)(argc - optind), base_path, &chain->o, &logs, &base);
    if (rc)
        return rc;
    struct ps_plist pl = { 0 };
    hrl_set *set = NULL;
    if ((rc = ps_set_open(&logs, &base.desc, ignore_guid, &pl, &set)) != 0)
        goto out;
    size_t n = hrl_set_count(set), nall;
    const struct hrl_write *w = hrl_set_writes(set, &nall);
    struct json j;
    char g[40], t1[32], t2[32], h1[32], h2[32];
    if (json) {
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "base", base_path);
        json_u64(&j, "virtual_size", base.desc.virtual_size);
        json_str(&j, "data_write_guid", hv_guid_format(&base.desc.data_write_guid, 1, g));
        json_arr_begin(&j, "points");
        /* Point 0 is the base itself, listed like every other point. */
        json_obj_begin(&j, NULL);
        json_u64(&j, "point", 0);
        json_str(&j, "file", base_path);
        json_null(&j, "unique_id");
        json_u64(&j, "entries", 0);
        json_u64(&j, "log_bytes", 0);
        json_u64(&j, "changed_bytes", 0);
        json_u64(&j, "problem_count", 0);
        json_str(&j, "verdict", "ok");
        json_obj_end(&j);
    } else {
        printf("%-5s %-38s %-20s %-20s %9s %10s %10s  %s\n", "point", "log UniqueId", "first write",
               "last write", "entries", "log data", "changed", "verdict / file");
        printf("%-5d %-38s %-20s %-20s %9s %10s %10s  %s\n", 0, "(base)", "-", "-", "-", "-", "-",
               base_path);
    }
    for (size_t k = 0; k < n; k++) {
        const struct hrl_set_log *L = hrl_set_log_at(set, k);
        uint64_t bytes = 0, changed = 0;
        for (size_t i = 0; i < L->nwrites; i++)
            bytes += w[L->first_write + i].len;
        struct hrl_plan plan;
        struct hv_err e;
        if (hrl_plan_build(w + L->first_write, L->nwrites, &plan, &e) == 0) {
            changed = plan.bytes;
            hrl_plan_free(&plan);
        }
        const char *uid = L->log ? hv_guid_format(&L->info.hdr.unique_id, 1, g) : "?";
        const char *first = L->log && L->info.entries ? hrl_time_str(L->info.first_time, t1, sizeof t1) : "-";
        const char *last = L->log && L->info.entries ? hrl_time_str(L->info.last_time, t2, sizeof t2) : "-";
        if (json) {
            json_obj_begin(&j, NULL);
            json_u64(&j, "point", k + 1);
            json_str(&j, "file", L->path);
            json_str(&j, "unique_id", L->log ? uid : NULL);
            if (L->log) {
                char pg[40];
                json_str(&j, "previous_unique_id", hv_guid_format(&L->info.hdr.previous_unique_id, 1, pg));
                json_str(&j, "vhd2_data_write_guid", hv_guid_format(&L->info.hdr.vhd2_guid, 1, pg));
            }
            json_str(&j, "first_write", L->log && L->info.entries ? first : NULL);
            json_str(&j, "last_write", L->log && L->info.entries ? last : NULL);
            json_u64(&j, "entries", L->nwrites);
            json_u64(&j, "log_bytes", bytes);
            json_u64(&j, "changed_bytes", changed);
            json_u64(&j, "problem_count", L->problems);
            json_str(&j, "verdict", verdict(set, k));
            json_obj_end(&j);
        } else {
            printf("%-5zu %-38s %-20s %-20s %9zu %10s %10s  %s %s\n", k + 1, uid, first, last, L->nwrites,
                   cli_human(bytes, h1, sizeof h1), cli_human(changed, h2, sizeof h2), verdict(set, k),
                   L->path);
        }
    }
    if (json) {
        json_arr_end(&j);
        json_u64(&j, "usable", hrl_set_usable(set));
        json_u64(&j, "problem_count", hrl_set_problems(set));
        json_obj_end(&j);
        json_end(&j);
    }
    rc = hrl_set_usable(set) == n && !hrl_set_problems(set) ? EXIT_OK : EXIT_PROBLEMS;
    if (svg) {
        int src = svg_points(svg, set, base_path);
        rc = src ? src : rc;
    }
out:
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    log_args_free(&logs);
    return rc;
}

int cmd_points(int argc, char **argv)
{
    return chain_opts_run(argc, argv, points_main);
}
