/* hrl_restore.c: `hrl restore`: write one recovery point (base + logs 1..k) to
 * a new VHDX, differencing over the base or flattened. Every log is verified
 * before anything is written. Exit 0 restored, 1 the logs or base have
 * problems (nothing written), 2 usage or I/O error (nothing left at OUT). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"

#define SYNOPSIS                                                                              \
    "restore --base BASE --out OUT [--point N | --until TIME | --log UNIQUEID] [--flatten]\n" \
    "        [--ignore-guid] [--search-path DIR] [--map WIN=LOCAL] [--json] LOG..."
#define DETAILS                                                                                \
    "Recovery point k is BASE with logs 1..k of the chain applied; without a selector the\n"  \
    "last point is written. LOG arguments are .hrl / .hrl.gz files or directories of them;\n" \
    "their order comes from UniqueId/PreviousUniqueId.\n"                                      \
    "Before writing, every log is verified completely: checksums and structure, one\n"        \
    "unbroken chain, the first log's Vhd2DataWriteGuid equal to BASE's DataWriteGuid and\n"   \
    "the same in every log, every entry inside the disk and sector aligned. Any problem\n"    \
    "refuses the restore (exit 1) and nothing is written.\n"                                  \
    "  --base BASE       the VHDX the first log applies to (opened read-only)\n"              \
    "  --out OUT         new VHDX; must not exist; written under a temporary name\n"          \
    "  --point N         recovery point N (0 = the base)\n"                                   \
    "  --until TIME      the last point whose log ends at or before TIME\n"                   \
    "                    (2026-01-31T12:00:00Z, UTC, or @UNIXTIME)\n"                          \
    "  --log UNIQUEID    the point ending with that log\n"                                    \
    "  --flatten         standalone dynamic VHDX (base + logs) instead of a differencing\n"   \
    "                    child whose parent is BASE\n"                                        \
    "  --ignore-guid     apply even if Vhd2DataWriteGuid does not match\n"                    \
    "  --search-path DIR, --map WIN=LOCAL   find BASE's own parents (as 'vhdx cat')\n"        \
    "  --[no-]progress   progress on stderr (default: when stderr is a terminal)\n"

/* The body; cmd_restore owns the chain options so every return path frees them. */
static int restore_main(int argc, char **argv, struct chain_opts *chain)
{
    static const struct option opts[] = {
        { "base", required_argument, 0, 'b' },   { "out", required_argument, 0, 'o' },
        { "point", required_argument, 0, 'p' },  { "until", required_argument, 0, 'u' },
        { "log", required_argument, 0, 'l' },    { "flatten", no_argument, 0, 'f' },
        { "ignore-guid", no_argument, 0, 'g' },  CHAIN_LONGOPTS,
            { "json", no_argument, 0, 'j' },
        PROGRESS_LONGOPTS,
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    const char *base_path = NULL, *out = NULL;
    struct ps_select sel = { 0 };
    int flatten = 0, ignore_guid = 0, json = 0, force_progress = -1, c;
    while ((c = getopt_long(argc, argv, "b:o:p:u:l:fgjh", opts, NULL)) != -1) {
        int r = chain_opt(chain, c, optarg);
        if (r < 0)
            return cli_usage("restore", SYNOPSIS, "bad --map or --search-path value");
        if (r > 0)
            continue;
        if (progress_opt(c, &force_progress))
            continue;
        switch (c) {
        case 'b': base_path = optarg; break;
        case 'o': out = optarg; break;
        case 'p': sel.point = optarg; break;
        case 'u': sel.until = optarg; break;
        case 'l': sel.log = optarg; break;
        case 'f': flatten = 1; break;
        case 'g': ignore_guid = 1; break;
        case 'j': json = 1; break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("restore", SYNOPSIS, "unknown option");
        }
    }
    if (!base_path || !out)
        return cli_usage("restore", SYNOPSIS, "--base and --out are required");
    if (optind >= argc)
        return cli_usage("restore", SYNOPSIS, "LOG expected");

    struct ps_logs logs;
    struct ps_base base;
    int rc = ps_logs_base_open(argv + optind, (size_t)(argc - optind), base_path, &chain->o, &logs, &base);
    if (rc)
        return rc;
    struct ps_plist pl = { 0 };
    hrl_set *set = NULL;
    if ((rc = ps_set_open(&logs, &base.desc, ignore_guid, &pl, &set)) != 0)
        goto out;
    size_t point;
    if ((rc = ps_select_sound_point(set, &pl, &sel, "restore", "nothing written", &point)) != 0)
        goto out;

    struct ps_progress pp;
    ps_progress_start(&pp, "restore", force_progress);
    struct hrl_restore_stats st;
    struct hv_err e;
    hv_err_clear(&e);
    int r = hrl_restore(base.img, base_path, set, point, out, flatten ? HRL_RESTORE_FLATTEN : 0, &pp.hp,
                        &st, &e);
    ps_progress_stop(&pp);
    if (r != 0) {
        cli_error(&e);
        rc = e.code == HV_CORRUPT ? EXIT_PROBLEMS : EXIT_ERROR;
        goto out;
    }
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "out", out);
        json_str(&j, "base", base_path);
        json_str(&j, "kind", flatten ? "flattened" : "differencing");
        json_u64(&j, "point", point);
        json_u64(&j, "points", hrl_set_count(set));
        json_u64(&j, "entries", st.entries);
        json_u64(&j, "log_bytes", st.log_bytes);
        json_u64(&j, "final_bytes", st.final_bytes);
        json_u64(&j, "extents", st.extents);
        json_u64(&j, "blocks_full", st.blocks_full);
        json_u64(&j, "blocks_partial", st.blocks_partial);
        json_u64(&j, "blocks_base", st.blocks_base);
        json_obj_end(&j);
        json_end(&j);
    } else {
        char a[32], b[32];
        printf("%s: point %zu of %zu, %s: %" PRIu64 " entries, %s of log data, %s kept; "
               "blocks: %" PRIu64 " full, %" PRIu64 " partial, %" PRIu64 " base-only\n",
               out, point, hrl_set_count(set), flatten ? "flattened" : "differencing child of the base",
               st.entries, cli_human(st.log_bytes, a, sizeof a), cli_human(st.final_bytes, b, sizeof b),
               st.blocks_full, st.blocks_partial, st.blocks_base);
    }
    rc = EXIT_OK;
out:
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    ps_logs_free(&logs);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    struct chain_opts chain;
    chain_opts_init(&chain);
    int rc = restore_main(argc, argv, &chain);
    chain_opts_free(&chain);
    return rc;
}
