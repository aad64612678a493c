/* cmd_hrl_files.c: `hrl files`: for each log of a chain (or only log K), the
 * guest files it wrote to, examined in the states before and after the log so
 * files it created, deleted or renamed are named. Exit 0 clean, 1 the logs or
 * a file system had problems (reported), 2 usage or unreadable input. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fx_cli.h"
#include "fx_opts.h"
#include "fx_cmds.h"

#define SYNOPSIS "files [--json|--csv|--bodyfile] --base BASE [--point K] LOG..."
#define DETAILS                                                                                   \
    "Point k is BASE with logs 1..k applied. For log k, the states k-1 and k are read\n"        \
    "through The Sleuth Kit (partition table, NTFS, FAT, ext2/3/4, ...) without writing\n"    \
    "them out. Each row: volume, change (created, deleted, renamed, modified, metadata,\n"    \
    "written), kind (file, dir, fs-metadata, unallocated, ...), bytes the log wrote\n"        \
    "inside it, first and last entry time, path. --point K: only log K.\n"                    \
    "--csv: one row per file per log; --bodyfile: TSK body file for mactime.\n"

static int one_log(struct fx_chain *c, size_t k, struct fx_state *before, struct fx_out *o, int *damaged)
{
    struct fx_state after;
    int rc = fx_state_open(&after, c, k, damaged);
    if (rc)
        return rc;
    size_t from = hrl_set_point_writes(c->set, k - 1), to = hrl_set_point_writes(c->set, k);
    struct fx_range *r = NULL;
    size_t nr = 0, nrows = 0;
    struct fx_diff_row *rows = NULL;
    struct fx_times t = { 0 };
    if (fx_chain_ranges(c, from, to, &r, &nr) < 0 || fx_diff(before->snap, after.snap, r, nr, &rows, &nrows) < 0 ||
        fx_times_build(&t, c, from, to, before->snap, after.snap) < 0) {
        rc = cli_errorf("out of memory attributing log %zu", k);
    } else {
        struct fx_group g = { k - 1, k, hrl_set_log_at(c->set, k - 1)->path, before->snap, after.snap };
        fx_out_group(o, &g, rows, nrows, &t);
    }
    fx_times_free(&t);
    free(rows);
    free(r);
    fx_state_close(before);
    *before = after;
    return rc;
}

static int files_run(struct fx_chain *c, size_t only, struct fx_out *o)
{
    size_t n = hrl_set_count(c->set), first = only ? only : 1, last = only ? only : n;
    if (only > n)
        return cli_usage("files", SYNOPSIS, "--point %zu: the chain has %zu logs", only, n);
    int damaged = 0, rc;
    struct fx_state before;
    if ((rc = fx_state_open(&before, c, first - 1, &damaged)) != 0)
        return rc;
    fx_out_begin(o, "files", c->base_path);
    for (size_t k = first; k <= last && !rc; k++)
        rc = one_log(c, k, &before, o, &damaged);
    fx_state_close(&before);
    fx_out_end(o);
    if (rc)
        return rc;
    return damaged || c->problems ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_files(int argc, char **argv)
{
    struct fx_opts fo;
    int rc = fx_opts_parse(argc, argv, "files", SYNOPSIS, DETAILS, FX_OPT_POINT | FX_OPT_FORMATS, &fo);
    if (rc >= 0)
        return rc;
    struct fx_chain c;
    if ((rc = fx_chain_open(&c, fo.base, argv + optind, (size_t)(argc - optind))) != 0)
        return rc;
    struct fx_out o = { .fmt = fo.fmt };
    rc = files_run(&c, fo.point, &o);
    fx_chain_close(&c);
    return rc;
}
