/* hrl_restore.c: `hrl restore`: write one recovery point (base + logs 1..k) to
 * a new VHDX, differencing over the base or flattened. Every log is verified
 * before anything is written. Exit 0 restored, 1 the logs or base have
 * problems (nothing written), 2 usage or I/O error (nothing left at OUT). */
#include <unistd.h>

#include "vhdx_write.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"

enum { O_WIN = 0x2001 };
static const struct cli_opt opts[] = {
    { "base", 'b', "BASE", "the VHDX (or the child of a chain) the first log applies to; opened read-only" },
    { "out", 'o', "OUT", "the new VHDX; must not exist; written under a temporary name" },
    CLI_OPT_POINT,
    CLI_OPT_UNTIL,
    CLI_OPT_LOG,
    { "flatten", 'f', NULL, "a standalone dynamic VHDX (base + logs) instead of a differencing child whose "
                            "parent is BASE" },
    { "parent-win-path", O_WIN, "PATH", "differencing output: also record PATH (e.g. 'D:\\VMs\\base.vhdx') as "
                                        "the parent's Windows path" },
    { "ignore-guid", 'g', NULL, "do not require the first log's Vhd2DataWriteGuid to equal BASE's DataWriteGuid" },
    CLI_OPT_CHAIN,
    CLI_OPT_JSON,
    CLI_OPT_PROGRESS,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl restore --base base.vhdx --out last.avhdx logs/",
      "the last recovery point as a differencing child of base.vhdx" },
    { "hrl restore --base base.vhdx --out noon.vhdx --until 2026-11-27T12:00:00+01:00 --flatten logs/",
      "the state at noon (Paris time) as a standalone VHDX" },
    { "hrl restore --base base.vhdx --out p1.avhdx --point 1 logs/ && vhdx digest p1.avhdx",
      "point 1, then its tree digest for comparison with 'hrl verify --digest'" },
    { 0, 0 },
};
const struct cli_spec spec_restore = {
    "restore", "--base BASE --out OUT [options] LOG...",
    "write a recovery point to a new VHDX (differencing or flat)",
    "Recovery point k is BASE with logs 1..k of the chain applied; without a selector the last point is "
    "written. LOG arguments are .hrl or .hrl.gz files or directories of them; their order comes from "
    "UniqueId/PreviousUniqueId.\n\n"
    "Before writing, every log is verified completely: checksums and structure, one unbroken chain, the "
    "first log's Vhd2DataWriteGuid equal to BASE's DataWriteGuid and the same in every log, every entry "
    "inside the disk and sector aligned. A problem in a log the chosen point needs refuses the restore "
    "(exit 1) and nothing is written; damaged logs after it are reported and not used.",
    opts, examples,
};

/* The body; cmd_restore owns the chain options so every return path frees them. */
static int restore_main(int argc, char **argv, struct chain_opts *chain)
{
    const char *base_path = NULL, *out = NULL, *win = NULL;
    struct ps_select sel = { 0 };
    int flatten = 0, ignore_guid = 0, json = 0, force_progress = -1;
    struct cli_args a;
    cli_args_init(&a, &spec_restore, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        int r = c == CLI_STOP ? -1 : chain_opt(chain, c, a.arg);
        if (r < 0)
            return c == CLI_STOP ? a.status : EXIT_ERROR;
        if (r > 0 || progress_opt(c, &force_progress))
            continue;
        switch (c) {
        case 'b': base_path = a.arg; break;
        case 'o': out = a.arg; break;
        case 'p': sel.point = a.arg; break;
        case 'u': sel.until = a.arg; break;
        case 'l': sel.log = a.arg; break;
        case 'f': flatten = 1; break;
        case O_WIN: win = a.arg; break;
        case 'g': ignore_guid = 1; break;
        case 'j': json = 1, cli_set_json(1); break;
        }
    }
    if (!base_path || !out)
        return cli_bad("--base BASE and --out OUT are needed");
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    if (flatten && win)
        return cli_bad("--parent-win-path is for a differencing output; --flatten makes a standalone file");
    if (!!sel.point + !!sel.until + !!sel.log > 1)
        return cli_bad("give only one of --point, --until and --log");
    if (check_out_name("--out ", out, 0))
        return EXIT_ERROR;
    if (access(out, F_OK) == 0)
        return cli_bad("--out '%s' exists; give the name of a new file", out);

    struct log_args logs;
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
    cli_cleanup_on_signal(out);
    ps_progress_start(&pp, "restore", force_progress);
    struct hrl_restore_stats st;
    struct hv_err e;
    hv_err_clear(&e);
    int r = hrl_restore(base.img, base_path, set, point, out, flatten ? HRL_RESTORE_FLATTEN : 0, &pp.hp,
                        &st, &e);
    ps_progress_stop(&pp);
    if (r == 0 && win && vhdx_relink(out, base_path, win, 0, &e) != 0) {
        hv_err_file(&e, out);
        rc = cli_error(&e);
        goto out;
    }
    if (r != 0) {
        rc = cli_error_out(&e, out);
        goto out;
    }
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "action", "restore");
        json_str(&j, "file", out);
        json_str(&j, "base", base_path);
        json_str(&j, "depends_on", flatten ? NULL : base_path);
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
        char h1[32], h2[32], n1[40];
        printf("%s: point %zu of %zu, %s: %s, %s of log data, %s kept; "
               "blocks: %" PRIu64 " full, %" PRIu64 " partial, %" PRIu64 " base-only\n",
               out, point, hrl_set_count(set), flatten ? "flattened" : "differencing child of the base",
               cli_plural(st.entries, "entry", "entries", n1, sizeof n1), cli_human(st.log_bytes, h1, sizeof h1),
               cli_human(st.final_bytes, h2, sizeof h2), st.blocks_full, st.blocks_partial, st.blocks_base);
        if (flatten)
            printf("%s is standalone: it does not need '%s'\n", out, base_path);
        else
            printf("%s needs '%s' where it is now and unchanged (a write to it breaks the child); "
                   "'hrl restore --flatten' makes a standalone file, 'vhdx relink' follows a move\n",
                   out, base_path);
    }
    rc = EXIT_OK;
out:
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    log_args_free(&logs);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    return chain_opts_run(argc, argv, restore_main);
}
