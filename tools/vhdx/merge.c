/* vhdx_merge.c: `vhdx merge`: fold a differencing child into its parent. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"
#include "vhdx_write.h"

#define MERGE_SYNOPSIS "merge CHILD [--keep-child] [--into ANCESTOR [--dry-run] [--json]]"

static const char merge_help[] =
    "Copies every sector CHILD holds into its immediate parent, so that the parent shows\n"
    "what CHILD showed. Crash-safe and resumable: run it again after an interruption.\n"
    "The parent's DataWriteGuid changes, so other children of that parent stop opening.\n"
    "  --keep-child   keep CHILD (it stays a valid, now redundant, child); default: delete it\n"
    "  --into A       fold every layer from CHILD down to its ancestor A into A, top first\n"
    "                 (Merge-VHD -DestinationPath); merged layers are deleted unless --keep-child\n"
    "  --dry-run      with --into: print the steps, change nothing\n"
    "  --json         with --into: one JSON object listing the steps\n";

static int merge_into(const char *child, const char *into, int keep, int dry, int json)
{
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_merge_plan p;
    int rc = vhdx_merge_into(child, into, NULL, dry, keep, &p, &err);
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_u64(&j, "version", 1);
        json_str(&j, "operation", "merge");
        json_str(&j, "into", into);
        json_bool(&j, "dry_run", dry);
        json_u64(&j, "steps_done", p.done);
        json_arr_begin(&j, "steps");
        for (size_t i = 0; i < p.n; i++) {
            json_obj_begin(&j, NULL);
            json_str(&j, "child", p.steps[i].child);
            json_str(&j, "parent", p.steps[i].parent);
            json_u64(&j, "bytes", p.steps[i].bytes);
            json_obj_end(&j);
        }
        json_arr_end(&j);
        json_obj_end(&j);
        json_end(&j);
    } else
        for (size_t i = 0; i < p.n; i++)
            printf("%s '%s' into '%s' (%llu bytes held)\n", dry ? "would merge" : i < p.done ? "merged" : "not merged",
                   p.steps[i].child, p.steps[i].parent, (unsigned long long)p.steps[i].bytes);
    vhdx_merge_plan_free(&p);
    return rc ? cli_error(&err) : EXIT_OK;
}

int cmd_merge(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(MERGE_SYNOPSIS, merge_help);
    const char *child = NULL, *into = NULL;
    int keep = 0, dry = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keep-child"))
            keep = 1;
        else if (!strcmp(argv[i], "--into") && i + 1 < argc)
            into = argv[++i];
        else if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !child)
            child = argv[i];
        else
            return cli_usage("merge", MERGE_SYNOPSIS, "unexpected argument '%s'", argv[i]);
    }
    if (!child)
        return cli_usage("merge", MERGE_SYNOPSIS, "missing CHILD");
    if ((dry || json) && !into)
        return cli_usage("merge", MERGE_SYNOPSIS, "--dry-run and --json need --into");
    if (into)
        return merge_into(child, into, keep, dry, json);
    struct hv_err err;
    hv_err_clear(&err);
    if (vhdx_merge(child, keep, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}
