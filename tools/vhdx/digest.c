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

static const struct cli_opt opts[] = {
    { "sha256", 's', NULL, "also the plain SHA-256 of the whole virtual disk" },
    CLI_OPT_JSON, CLI_OPT_CHAIN, CLI_OPT_PROGRESS, CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx digest disk.vhdx", "the tree digest of the virtual disk" },
    { "vhdx digest --sha256 restored.vhdx", "also the SHA-256 that sha256sum prints for a raw copy" },
    { "split -b 1M disk.raw p. && for f in p.*; do sha256sum <$f | xxd -r -p; done | sha256sum",
      "the same tree digest computed with shell tools from a raw copy" },
    { 0, 0 },
};
const struct cli_spec spec_digest = {
    "digest", "[options] FILE", "tree digest (SHA-256 of per-MiB SHA-256s) of the virtual disk",
    "Prints the tree digest of FILE's virtual disk (through its parent chain): SHA-256 over the "
    "concatenated SHA-256 digests of each 1 MiB piece (the last piece may be shorter). Unallocated MiBs "
    "are not read: their digest is precomputed.",
    opts, examples,
};

struct prog {
    struct progress p;
};

static void on_progress(void *ctx, uint64_t done)
{
    progress_update(&((struct prog *)ctx)->p, done);
}

int cmd_digest(int argc, char **argv)
{
    int sha = 0, json = 0, force = -1;
    struct chain_opts co;
    chain_opts_init(&co);
    struct cli_args a;
    cli_args_init(&a, &spec_digest, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        int r = c == CLI_STOP ? -1 : chain_opt(&co, c, a.arg);
        if (r < 0) {
            chain_opts_free(&co);
            return c == CLI_STOP ? a.status : EXIT_ERROR;
        }
        if (r > 0 || progress_opt(c, &force))
            continue;
        if (c == 's')
            sha = 1;
        else if (c == 'j')
            json = 1, cli_set_json(1);
    }
    if (optind != argc - 1) {
        chain_opts_free(&co);
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    }
    const char *path = argv[optind];
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img = NULL;
    struct hv_vhdx_source src = { 0 };
    int rc = EXIT_ERROR;
    int orc = open_image(path, &co, 0, &img);
    if (orc != 0) {
        chain_opts_free(&co);
        return orc;
    }
    uint64_t size = vhdx_virtual_size(img);
    if (hv_vhdx_source_init(&src, img, &e) != 0) {
        rc = cli_error(&e);
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
        rc = cli_error(&e);
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
