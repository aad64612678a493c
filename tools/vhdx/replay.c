/* replay.c: `vhdx replay`: apply a pending log in place. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain_opts.h"
#include "cli.h"
#include "cmds.h"
#include "vhdx_probe.h"
#include "vhdx_write.h"

static const struct cli_opt opts[] = {
    { "dry-run", 'n', NULL, "only print what would change; the file is not opened for writing" },
    CLI_OPT_JSON,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx replay --dry-run disk.vhdx", "what a replay would write" },
    { "vhdx replay disk.vhdx", "write the log back so that other tools see a clean file" },
    { 0, 0 },
};
const struct cli_spec spec_replay = {
    "replay", "[options] FILE", "apply a pending log to the file in place",
    "Applies the active log sequence of FILE to the file itself and marks the log clean. Running it again "
    "changes nothing. 'vhdx check' and 'vhdx info' tell whether a replay is pending.",
    opts, examples,
};

int cmd_replay(int argc, char **argv)
{
    int dry = 0, json = 0;
    struct cli_args a;
    cli_args_init(&a, &spec_replay, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        if (c == CLI_STOP)
            return a.status;
        if (c == 'n')
            dry = 1;
        else if (c == 'j')
            json = 1, cli_set_json(1);
    }
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    const char *file = argv[optind];
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(file, 1u << VHDX_KIND_VHDX, &pr, &err) != 0)
        return cli_error(&err);
    struct vhdx_replay_report r;
    if (vhdx_replay(file, dry, &r, &err) != 0) {
        hv_err_file(&err, file);
        return cli_error(&err);
    }
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "action", "replay");
        json_str(&j, "file", file);
        json_bool(&j, "dry_run", dry);
        json_bool(&j, "pending", r.pending);
        json_u64(&j, "entries", r.pending ? r.entries : 0);
        json_u64(&j, "data_sectors", r.pending ? r.data_sectors : 0);
        json_u64(&j, "zero_bytes", r.pending ? r.zero_bytes : 0);
        json_u64(&j, "file_size", r.pending ? r.grow_to : 0);
        json_obj_end(&j);
        json_end(&j);
        return EXIT_OK;
    }
    if (!r.pending) {
        printf("%s: log is clean, nothing to replay\n", file);
        return EXIT_OK;
    }
    char a1[32], a2[32];
    printf("%s: %s %s: %s, %" PRIu64 " bytes zeroed", file, dry ? "would replay" : "replayed",
           cli_plural(r.entries, "log entry", "log entries", a1, sizeof a1),
           cli_plural(r.data_sectors, "data sector", "data sectors", a2, sizeof a2), r.zero_bytes);
    if (r.grow_to)
        printf(", file extended to %" PRIu64 " bytes", r.grow_to);
    printf("\n");
    return EXIT_OK;
}
