/* compact.c: `vhdx compact`: give back unused space in place (Optimize-VHD). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"

#define COMPACT_SYNOPSIS "compact [--json] FILE"

static const char compact_help[] =
    "Unallocates the blocks of a dynamic or differencing image that read all zeros, moves\n"
    "the remaining blocks down into the holes and truncates the file. The virtual disk\n"
    "and its identity do not change. Crash-safe; after a crash run it again.\n"
    "  --json   one JSON object describing the change\n";

int cmd_compact(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(COMPACT_SYNOPSIS, compact_help);
    const char *file = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return cli_usage("compact", COMPACT_SYNOPSIS, "unexpected argument '%s'", argv[i]);
    }
    if (!file)
        return cli_usage("compact", COMPACT_SYNOPSIS, "missing FILE");
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_compact_report r;
    if (vhdx_compact(file, &r, &err) != 0)
        return cli_error(&err);
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_u64(&j, "version", 1);
        json_str(&j, "file", file);
        json_str(&j, "operation", "compact");
        json_u64(&j, "old_file_size", r.old_file_size);
        json_u64(&j, "new_file_size", r.new_file_size);
        json_u64(&j, "blocks_unallocated", r.blocks_unallocated);
        json_u64(&j, "blocks_moved", r.blocks_moved);
        json_obj_end(&j);
        json_end(&j);
    } else
        printf("%s: %" PRIu64 " zero blocks unallocated, %" PRIu64 " blocks moved, file %" PRIu64
               " -> %" PRIu64 " bytes\n", file, r.blocks_unallocated, r.blocks_moved,
               r.old_file_size, r.new_file_size);
    return EXIT_OK;
}
