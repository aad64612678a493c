/* vhdx_digest.c: `vhdx digest`: the tree digest (and optionally the plain
 * SHA-256) of the virtual disk of an image or a whole chain. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hv_digest.h"
#include "vhdx.h"
#include "vhdx_cmds.h"

#define SYNOPSIS "digest [--sha256] [--json] [--search-path DIR] [--map WIN=LOCAL] FILE"
#define DETAILS                                                                                    \
    "Prints the tree digest of FILE's virtual disk (through its parent chain): SHA-256 over the\n" \
    "concatenated SHA-256 digests of each 1 MiB piece (the last piece may be shorter). Shell\n"    \
    "equivalent on a raw copy: split -b 1M disk p. && for f in p.*; do sha256sum <$f | xxd -r\n"  \
    "-p; done | sha256sum. Unallocated MiBs are not read: their digest is precomputed.\n"          \
    "  --sha256          also the plain SHA-256 of the whole virtual disk\n"                        \
    "  --json            machine-readable output\n"                                                 \
    "  --search-path DIR, --map WIN=LOCAL   where to look for parents\n"                           \
    "  --[no-]progress   progress on stderr (default: when stderr is a terminal)\n"

#define MAX_OPTS 32

struct prog {
    struct progress p;
};

static void on_progress(void *ctx, uint64_t done)
{
    progress_update(&((struct prog *)ctx)->p, done);
}

int cmd_digest(int argc, char **argv)
{
    enum { O_PROGRESS = 256, O_NO_PROGRESS };
    static const struct option opts[] = {
        { "sha256", no_argument, 0, 's' },          { "json", no_argument, 0, 'j' },
        { "search-path", required_argument, 0, 'S' }, { "map", required_argument, 0, 'm' },
        { "progress", no_argument, 0, O_PROGRESS }, { "no-progress", no_argument, 0, O_NO_PROGRESS },
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    int sha = 0, json = 0, force = -1, c;
    const char *search[MAX_OPTS];
    struct vhdx_path_map maps[MAX_OPTS];
    char mapbuf[MAX_OPTS][512];
    struct vhdx_open_opts oo = { 0, search, 0, maps, 0 };
    while ((c = getopt_long(argc, argv, "sjS:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sha = 1; break;
        case 'j': json = 1; break;
        case 'S':
            if (oo.n_search_paths >= MAX_OPTS)
                return cli_usage("digest", SYNOPSIS, "too many --search-path");
            search[oo.n_search_paths++] = optarg;
            break;
        case 'm': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || oo.n_maps >= MAX_OPTS || (size_t)(eq - optarg) >= sizeof mapbuf[0])
                return cli_usage("digest", SYNOPSIS, "--map wants WIN=LOCAL");
            snprintf(mapbuf[oo.n_maps], sizeof mapbuf[0], "%.*s", (int)(eq - optarg), optarg);
            maps[oo.n_maps] = (struct vhdx_path_map){ mapbuf[oo.n_maps], eq + 1 };
            oo.n_maps++;
            break;
        }
        case O_PROGRESS: force = 1; break;
        case O_NO_PROGRESS: force = 0; break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("digest", SYNOPSIS, "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("digest", SYNOPSIS, "one FILE expected");
    const char *path = argv[optind];
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img = NULL;
    hv_tree *t = NULL;
    struct hv_vhdx_source src = { 0 };
    int rc = EXIT_ERROR;
    if (vhdx_open(path, &oo, &img, &e) != 0) {
        hv_err_file(&e, path);
        cli_error(&e);
        return e.code == HV_FORMAT || e.code == HV_CORRUPT || e.code == HV_UNSUPPORTED || e.code == HV_MISMATCH
                   ? EXIT_PROBLEMS
                   : EXIT_ERROR;
    }
    uint64_t size = vhdx_virtual_size(img);
    if (hv_vhdx_source_init(&src, img, &e) != 0 || hv_tree_new(size, &t, &e) != 0) {
        cli_error(&e);
        goto out;
    }
    struct prog pg;
    progress_start(&pg.p, "digest", size, force);
    src.on_progress = on_progress;
    src.progress_ctx = &pg;
    uint8_t whole[HV_DIGEST_LEN], root[HV_DIGEST_LEN];
    int hr = hv_tree_hash(t, &src.src, 0, hv_tree_pieces(t), sha ? whole : NULL, &e);
    progress_stop(&pg.p);
    if (hr != 0) {
        hv_err_file(&e, path);
        cli_error(&e);
        rc = e.code == HV_CORRUPT ? EXIT_PROBLEMS : EXIT_ERROR;
        goto out;
    }
    hv_tree_root(t, root);
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
    hv_tree_free(t);
    hv_vhdx_source_fini(&src);
    vhdx_close(img);
    return rc;
}
