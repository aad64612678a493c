/* vhdx_digest.c: `vhdx digest`: the tree digest (and optionally the plain
 * SHA-256) of the virtual disk of an image or a whole chain. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hv_digest.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

#define SYNOPSIS "digest [--sha256] [--json] [--search-path DIR] [--map WIN=LOCAL] FILE"
#define DETAILS                                                                                    \
    "Prints the tree digest of FILE's virtual disk (through its parent chain): SHA-256 over the\n" \
    "concatenated SHA-256 digests of each 1 MiB piece (the last piece may be shorter). Shell\n"    \
    "equivalent on a raw copy: split -b 1M disk p. && for f in p.*; do sha256sum <$f | xxd -r\n"  \
    "-p; done | sha256sum. Unallocated MiBs are not read: their digest is precomputed.\n"          \
    "  --sha256          also the plain SHA-256 of the whole virtual disk\n"                        \
    "  --json            machine-readable output\n"                                                 \
    CHAIN_HELP                                                                                     \
    "  --[no-]progress   progress on stderr (default: when stderr is a terminal)\n"

struct prog {
    struct progress p;
};

static void on_progress(void *ctx, uint64_t done)
{
    progress_update(&((struct prog *)ctx)->p, done);
}

int cmd_digest(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sha256", no_argument, 0, 's' },          { "json", no_argument, 0, 'j' },
        CHAIN_LONGOPTS,
        PROGRESS_LONGOPTS,
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    int sha = 0, json = 0, force = -1, c;
    struct chain_opts co;
    chain_opts_init(&co);
    while ((c = getopt_long(argc, argv, "sjh", opts, NULL)) != -1) {
        int r = chain_opt(&co, c, optarg);
        if (r < 0) {
            chain_opts_free(&co);
            return cli_usage("digest", SYNOPSIS, "bad --map or --search-path value");
        }
        if (r > 0)
            continue;
        if (progress_opt(c, &force))
            continue;
        switch (c) {
        case 's': sha = 1; break;
        case 'j': json = 1; break;
        case 'h': chain_opts_free(&co); return cli_help(SYNOPSIS, DETAILS);
        default: chain_opts_free(&co); return cli_usage("digest", SYNOPSIS, "unknown option");
        }
    }
    if (optind != argc - 1) {
        chain_opts_free(&co);
        return cli_usage("digest", SYNOPSIS, "one FILE expected");
    }
    const char *path = argv[optind];
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img = NULL;
    struct hv_vhdx_source src = { 0 };
    int rc = EXIT_ERROR;
    if (vhdx_open(path, &co.o, &img, &e) != 0) {
        chain_opts_free(&co);
        hv_err_file(&e, path);
        cli_error(&e);
        return e.code == HV_FORMAT || e.code == HV_CORRUPT || e.code == HV_UNSUPPORTED || e.code == HV_MISMATCH
                   ? EXIT_PROBLEMS
                   : EXIT_ERROR;
    }
    uint64_t size = vhdx_virtual_size(img);
    if (hv_vhdx_source_init(&src, img, &e) != 0) {
        cli_error(&e);
        goto out;
    }
    struct prog pg;
    progress_start(&pg.p, "digest", size, force);
    src.on_progress = on_progress;
    src.progress_ctx = &pg;
    uint8_t whole[HV_DIGEST_LEN], root[HV_DIGEST_LEN];
    /* Streaming: memory does not grow with the virtual size. */
    int hr = hv_tree_digest(size, &src.src, root, sha ? whole : NULL, &e);
    progress_stop(&pg.p);
    if (hr != 0) {
        hv_err_file(&e, path);
        cli_error(&e);
        rc = e.code == HV_CORRUPT ? EXIT_PROBLEMS : EXIT_ERROR;
        goto out;
    }
    char h1[65], h2[65];
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "file", path);
        json_u64(&j, "virtual_size", size);
        json_u64(&j, "piece_size", HV_DIGEST_PIECE);
        json_str(&j, "tree_digest", hv_digest_hex(root, h1));
        if (sha)
            json_str(&j, "sha256", hv_digest_hex(whole, h2));
        json_obj_end(&j);
        json_end(&j);
    } else {
        printf("tree   %s  %s\n", hv_digest_hex(root, h1), path);
        if (sha)
            printf("sha256 %s  %s\n", hv_digest_hex(whole, h2), path);
    }
    rc = EXIT_OK;
out:
    hv_vhdx_source_fini(&src);
    vhdx_close(img);
    chain_opts_free(&co);
    return rc;
}
