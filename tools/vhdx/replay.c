/* vhdx_replay.c: `vhdx replay`: apply a pending log in place. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_write.h"

#define REPLAY_SYNOPSIS "replay [--dry-run] FILE"

static const char replay_help[] =
    "Applies the active log sequence of FILE to the file itself and marks the log clean.\n"
    "Running it again changes nothing.\n"
    "  --dry-run   only print what would change\n";

int cmd_replay(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(REPLAY_SYNOPSIS, replay_help);
    int dry = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return cli_usage("replay", REPLAY_SYNOPSIS, "unexpected argument '%s'", argv[i]);
    }
    if (!file)
        return cli_usage("replay", REPLAY_SYNOPSIS, "missing FILE");
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_replay_report r;
    if (vhdx_replay(file, dry, &r, &err) != 0)
        return cli_error(&err);
    if (!r.pending) {
        printf("%s: log is clean, nothing to replay\n", file);
        return EXIT_OK;
    }
    printf("%s: %s %" PRIu32 " log entries: %" PRIu32 " data sectors, %" PRIu64 " bytes zeroed",
           file, dry ? "would replay" : "replayed", r.entries, r.data_sectors, r.zero_bytes);
    if (r.grow_to)
        printf(", file extended to %" PRIu64 " bytes", r.grow_to);
    printf("\n");
    return EXIT_OK;
}
