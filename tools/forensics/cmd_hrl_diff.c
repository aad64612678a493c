/* cmd_hrl_diff.c: `hrl diff`: the guest files created, deleted, renamed and
 * modified between recovery points A and B of a base and its logs. Exit 0
 * clean, 1 the logs or a file system had problems, 2 usage or unreadable. */
#include <getopt.h>
#include <stdlib.h>

#include "fx_cli.h"
#include "fx_opts.h"
#include "fx_cmds.h"

#define SYNOPSIS "diff [--json|--csv|--bodyfile] --base BASE --from A --to B LOG..."
#define DETAILS                                                                               \
    "Point 0 is BASE; point k is BASE with logs 1..k applied. Both points are read through\n" \
    "The Sleuth Kit without writing them out; the ranges written by logs A+1..B decide\n"   \
    "which files were modified and how many of their bytes were written. Files are\n"       \
    "matched by inode (NTFS: MFT entry and sequence); a FAT rename by first cluster.\n"

static int diff_run(struct fx_chain *c, size_t a, size_t b, struct fx_out *o)
{
    size_t n = hrl_set_count(c->set);
    if (b > n)
        return cli_usage("diff", SYNOPSIS, "--to %zu: the chain has %zu logs", b, n);
    int damaged = 0, rc;
    struct fx_state sa, sb;
    if ((rc = fx_state_open(&sa, c, a, &damaged)) != 0)
        return rc;
    if ((rc = fx_state_open(&sb, c, b, &damaged)) != 0) {
        fx_state_close(&sa);
        return rc;
    }
    size_t from = hrl_set_point_writes(c->set, a), to = hrl_set_point_writes(c->set, b);
    struct fx_range *r = NULL;
    size_t nr = 0, nrows = 0;
    struct fx_diff_row *rows = NULL;
    struct fx_times t = { 0 };
    if (fx_chain_ranges(c, from, to, &r, &nr) < 0 || fx_diff(sa.snap, sb.snap, r, nr, &rows, &nrows) < 0 ||
        fx_times_build(&t, c, from, to, sa.snap, sb.snap) < 0) {
        rc = cli_errorf("out of memory comparing points %zu and %zu", a, b);
    } else {
        struct fx_group g = { a, b, NULL, sa.snap, sb.snap };
        fx_out_begin(o, "diff", c->base_path);
        fx_out_group(o, &g, rows, nrows, &t);
        fx_out_end(o);
        rc = damaged || c->problems ? EXIT_PROBLEMS : EXIT_OK;
    }
    fx_times_free(&t);
    free(rows);
    free(r);
    fx_state_close(&sb);
    fx_state_close(&sa);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    struct fx_opts fo;
    int rc = fx_opts_parse(argc, argv, "diff", SYNOPSIS, DETAILS, FX_OPT_SPAN | FX_OPT_FORMATS, &fo);
    if (rc >= 0)
        return rc;
    struct fx_chain c;
    if ((rc = fx_chain_open(&c, fo.base, argv + optind, (size_t)(argc - optind))) != 0)
        return rc;
    struct fx_out o = { .fmt = fo.fmt };
    rc = diff_run(&c, fo.from, fo.to, &o);
    fx_chain_close(&c);
    return rc;
}
