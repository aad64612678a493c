/* vhdx_mount.c: `vhdx mount [--foreground] [chain options] FILE DIR`: the
 * virtual disk of a chain as a read-only file DIR/disk (and DIR/p1, p2, ...
 * for MBR/GPT partitions), served in place through FUSE: nothing is written,
 * a pending log is replayed in memory. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fusedisk.h"
#include "cmds.h"
#include "chain_opts.h"

#define SYN "mount [--foreground] [--search-path DIR] [--map WIN=LOCAL] FILE DIR"
static const char *const HELP =
    "Mounts a read-only FUSE file system on DIR holding 'disk', the whole virtual disk\n"
    "of FILE and its parents, and p1, p2, ... for the partitions of an MBR or GPT.\n"
    "Runs in the background once mounted; unmount with 'fusermount3 -u DIR'\n"
    "(SIGTERM or SIGINT also unmount cleanly).\n\n"
    "  -f, --foreground   stay in the foreground (messages on stderr)\n" CHAIN_HELP;

static int mount_main(int argc, char **argv, struct chain_opts *co)
{
    static const struct option lo[] = { { "foreground", no_argument, 0, 'f' },
                                        { "help", no_argument, 0, 'h' },
                                        CHAIN_LONGOPTS,
                                        { 0, 0, 0, 0 } };
    struct fmount_opts mo = { 0 };
    int c;
    while ((c = getopt_long(argc, argv, "fh", lo, NULL)) != -1) {
        int r = chain_opt(co, c, optarg);
        if (r < 0)
            return cli_usage("mount", SYN, "bad --map or --search-path value");
        if (r > 0)
            continue;
        switch (c) {
        case 'f': mo.foreground = 1; break;
        case 'h': return cli_help(SYN, HELP);
        default: return cli_usage("mount", SYN, "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage("mount", SYN, "FILE and DIR expected");
    vhdx *img;
    int rc = open_image(argv[optind], co, 0, &img);
    if (rc)
        return rc;
    struct sdisk d;
    sdisk_from_vhdx(&d, img, 1);
    mo.fsname = argv[optind];
    struct hv_err e;
    hv_err_clear(&e);
    rc = fmount_run(&d, argv[optind + 1], &mo, &e) ? cli_error(&e) : EXIT_OK;
    sdisk_close(&d);
    return rc;
}

int cmd_mount(int argc, char **argv)
{
    struct chain_opts co;
    chain_opts_init(&co);
    int rc = mount_main(argc, argv, &co);
    chain_opts_free(&co);
    return rc;
}
