/* hrl_mount.c: `hrl mount`: a recovery point (base + logs 1..k) as a read-only
 * FUSE file DIR/disk (and DIR/p1, p2, ... for MBR/GPT partitions), read in
 * place from the base and the logs. Every log is verified first, with the
 * refusals of `hrl restore`: exit 1 for problems in the logs, 2 usage or I/O. */
#include <getopt.h>
#include <stdio.h>

#include "fusedisk.h"
#include "cmds.h"
#include "pointset.h"

#define SYNOPSIS                                                                                  \
    "mount --base BASE [--point N | --until TIME | --log UNIQUEID] [--foreground]\n"             \
    "        [--ignore-guid] [--search-path DIR] [--map WIN=LOCAL] LOG... DIR"
#define DETAILS                                                                                   \
    "Mounts a read-only FUSE file system on DIR holding 'disk', recovery point k (BASE\n"        \
    "with logs 1..k applied; default the last), and p1, p2, ... for the partitions of an\n"      \
    "MBR or GPT. Nothing is written: bytes come from the logs or BASE as they are read.\n"       \
    "The logs are verified as 'hrl restore' verifies them; any problem refuses the mount.\n"     \
    "Runs in the background once mounted; unmount with 'fusermount3 -u DIR' (SIGTERM or\n"       \
    "SIGINT also unmount cleanly).\n"                                                            \
    "  --base BASE        the VHDX the first log applies to (opened read-only)\n"                \
    "  --point N, --until TIME, --log UNIQUEID   which point (as 'hrl restore')\n"               \
    "  -f, --foreground   stay in the foreground (messages on stderr)\n"                         \
    "  --ignore-guid      accept logs whose Vhd2DataWriteGuid does not match\n"                  \
    "  --search-path DIR, --map WIN=LOCAL   find BASE's own parents (as 'vhdx cat')\n"

/* Mounts the point once the set is verified and the point chosen. */
static int serve_point(struct ps_base *base, const hrl_set *set, size_t point, const char *dir, int fg)
{
    struct sdisk d;
    struct hv_err e;
    hv_err_clear(&e);
    if (sdisk_from_point(&d, base->img, 0, set, point, &e) != 0) {
        cli_error(&e);
        return e.code == HV_CORRUPT ? EXIT_PROBLEMS : EXIT_ERROR;
    }
    struct fmount_opts mo = { fg, base->path };
    int rc = fmount_run(&d, dir, &mo, &e) ? cli_error(&e) : EXIT_OK;
    sdisk_close(&d);
    return rc;
}

static int mount_main(int argc, char **argv, struct chain_opts *chain)
{
    static const struct option opts[] = {
        { "base", required_argument, 0, 'b' }, { "point", required_argument, 0, 'p' },
        { "until", required_argument, 0, 'u' }, { "log", required_argument, 0, 'l' },
        { "ignore-guid", no_argument, 0, 'g' }, { "foreground", no_argument, 0, 'f' },
        CHAIN_LONGOPTS,                         { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *base_path = NULL;
    struct ps_select sel = { 0 };
    int ignore_guid = 0, fg = 0, c;
    while ((c = getopt_long(argc, argv, "b:p:u:l:gfh", opts, NULL)) != -1) {
        int r = chain_opt(chain, c, optarg);
        if (r < 0)
            return cli_usage("mount", SYNOPSIS, "bad --map or --search-path value");
        if (r > 0)
            continue;
        switch (c) {
        case 'b': base_path = optarg; break;
        case 'p': sel.point = optarg; break;
        case 'u': sel.until = optarg; break;
        case 'l': sel.log = optarg; break;
        case 'g': ignore_guid = 1; break;
        case 'f': fg = 1; break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("mount", SYNOPSIS, "unknown option");
        }
    }
    if (!base_path)
        return cli_usage("mount", SYNOPSIS, "--base is required");
    if (argc - optind < 2)
        return cli_usage("mount", SYNOPSIS, "LOG... and DIR expected");
    const char *dir = argv[argc - 1];
    struct log_args logs;
    struct ps_base base;
    int rc = ps_logs_base_open(argv + optind, (size_t)(argc - optind - 1), base_path, &chain->o, &logs, &base);
    if (rc)
        return rc;
    struct ps_plist pl = { 0 };
    hrl_set *set = NULL;
    size_t point;
    if ((rc = ps_set_open(&logs, &base.desc, ignore_guid, &pl, &set)) == 0 &&
        (rc = ps_select_sound_point(set, &pl, &sel, "mount", "nothing mounted", &point)) == 0)
        rc = serve_point(&base, set, point, dir, fg);
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_base_close(&base);
    log_args_free(&logs);
    return rc;
}

int cmd_mount(int argc, char **argv)
{
    return chain_opts_run(argc, argv, mount_main);
}
