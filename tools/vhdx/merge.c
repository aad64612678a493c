/* vhdx_merge.c: `vhdx merge`: fold a differencing child into its parent. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_write.h"

#define MERGE_SYNOPSIS "merge CHILD [--keep-child]"

static const char merge_help[] =
    "Copies every sector CHILD holds into its immediate parent, so that the parent shows\n"
    "what CHILD showed. Crash-safe and resumable: run it again after an interruption.\n"
    "The parent's DataWriteGuid changes, so other children of that parent stop opening.\n"
    "  --keep-child   keep CHILD (it stays a valid, now redundant, child); default: delete it\n";

int cmd_merge(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(MERGE_SYNOPSIS, merge_help);
    const char *child = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keep-child"))
            keep = 1;
        else if (argv[i][0] != '-' && !child)
            child = argv[i];
        else
            return cli_usage("merge", MERGE_SYNOPSIS, "unexpected argument '%s'", argv[i]);
    }
    if (!child)
        return cli_usage("merge", MERGE_SYNOPSIS, "missing CHILD");
    struct hv_err err;
    hv_err_clear(&err);
    if (vhdx_merge(child, keep, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}
