/* create.c: `vhdx create`: a new empty fixed, dynamic or differencing image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_opts.h"
#include "cli.h"
#include "cmds.h"
#include "vhdx.h"
#include "vhdx_write.h"

enum { O_FIXED = 'F', O_DYNAMIC = 'D', O_SIZE = 's', O_PARENT = 'P', O_BLOCK = 0x2001, O_LSS, O_PSS, O_WIN };

static const struct cli_opt opts[] = {
    { "size", O_SIZE, "N", "virtual disk size, a multiple of the logical sector size; K/M/G/T suffixes "
                            "(powers of 1024), e.g. 64M, 10G, 1.5T" },
    { "fixed", O_FIXED, NULL, "allocate every block up front" },
    { "dynamic", O_DYNAMIC, NULL, "allocate blocks on first write (the default)" },
    { "block-size", O_BLOCK, "N", "payload block size, a power of two from 1M to 256M (default 32M, 2M for "
                                  "differencing images)" },
    { "logical-sector", O_LSS, "N", "logical sector size: 512 (default) or 4096" },
    { "physical-sector", O_PSS, "N", "physical sector size: 512 or 4096 (default)" },
    { "parent", O_PARENT, "PARENT", "make a differencing image of PARENT (size and sectors copied)" },
    { "parent-win-path", O_WIN, "PATH", "also record PATH (e.g. 'D:\\VMs\\base.vhdx') as the parent's "
                                        "Windows path" },
    CLI_OPT_JSON,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx create disk.vhdx --size 64G", "a dynamic 64 GiB image that grows as it is written" },
    { "vhdx create disk.vhdx --size 1G --fixed --logical-sector 4096", "a fixed image with 4K sectors" },
    { "vhdx create snap.avhdx --parent base.vhdx --parent-win-path 'D:\\VMs\\base.vhdx'",
      "a differencing image that Hyper-V on Windows will also find" },
    { 0, 0 },
};
const struct cli_spec spec_create = {
    "create", "OUT --size N [options] | OUT --parent PARENT [options]",
    "create a fixed, dynamic or differencing image",
    "Creates OUT (refusing an existing file): an empty fixed or dynamic image of --size bytes, or an empty "
    "differencing image of PARENT.",
    opts, examples,
};

struct create_args {
    const char *out, *parent, *win_path;
    struct vhdx_build_params p;
    int json, fixed, dynamic;
};

static int parse_u32(const char *name, const char *val, uint32_t *out)
{
    uint64_t v;
    if (cli_size_arg(name, val, &v) != 0)
        return EXIT_ERROR;
    if (v > UINT32_MAX)
        return cli_bad("--%s: %s is too large", name, val);
    *out = (uint32_t)v;
    return 0;
}

static int sector_ok(const char *name, uint32_t v)
{
    if (v && v != 512 && v != 4096)
        return cli_bad("--%s: %u is not a sector size; give 512 or 4096", name, v);
    return 0;
}

/* Checks what the format requires ([MS-VHDX] 2.6.2) before anything is written. */
static int validate(struct create_args *a, int have_size)
{
    if (a->fixed && a->dynamic)
        return cli_bad("--fixed and --dynamic exclude each other");
    if (a->parent && have_size)
        return cli_bad("--size and --parent exclude each other (a differencing image has its parent's size)");
    if (a->parent && (a->fixed || a->p.logical_sector_size || a->p.physical_sector_size))
        return cli_bad("a differencing image takes its type and sector sizes from PARENT");
    if (!a->parent && !have_size)
        return cli_bad("--size N is needed (e.g. --size 64G), or --parent PARENT for a differencing image");
    if (!a->parent && a->win_path)
        return cli_bad("--parent-win-path needs --parent");
    if (sector_ok("logical-sector", a->p.logical_sector_size) || sector_ok("physical-sector", a->p.physical_sector_size))
        return EXIT_ERROR;
    uint32_t b = a->p.block_size;
    if (b && (b < (1u << 20) || b > (256u << 20) || (b & (b - 1))))
        return cli_bad("--block-size: %u is not a power of two from 1M to 256M; e.g. --block-size 32M", b);
    uint32_t lss = a->p.logical_sector_size ? a->p.logical_sector_size : 512;
    if (have_size && (a->p.virtual_size == 0 || a->p.virtual_size % lss))
        return cli_bad("--size: %llu bytes is not a non-zero multiple of the logical sector size %u; "
                       "e.g. --size 64M",
                       (unsigned long long)a->p.virtual_size, lss);
    if (have_size && a->p.virtual_size > (64ull << 40))
        return cli_bad("--size: at most 64T (the VHDX limit)");
    return check_out_name("", a->out, 0);
}

static int parse_args(int argc, char **argv, struct create_args *a)
{
    memset(a, 0, sizeof *a);
    a->p.type = VHDX_TYPE_DYNAMIC;
    int have_size = 0, rc = 0;
    struct cli_args ar;
    cli_args_init(&ar, &spec_create, argc, argv);
    for (int c; (c = cli_next(&ar)) != CLI_END && rc == 0;) {
        switch (c) {
        case CLI_STOP: return ar.status == EXIT_OK ? -1 : ar.status;
        case O_FIXED: a->fixed = 1, a->p.type = VHDX_TYPE_FIXED; break;
        case O_DYNAMIC: a->dynamic = 1; break;
        case O_SIZE: rc = cli_size_arg("size", ar.arg, &a->p.virtual_size), have_size = 1; break;
        case O_BLOCK: rc = parse_u32("block-size", ar.arg, &a->p.block_size); break;
        case O_LSS: rc = parse_u32("logical-sector", ar.arg, &a->p.logical_sector_size); break;
        case O_PSS: rc = parse_u32("physical-sector", ar.arg, &a->p.physical_sector_size); break;
        case O_PARENT: a->parent = ar.arg; break;
        case O_WIN: a->win_path = ar.arg; break;
        case 'j': a->json = 1, cli_set_json(1); break;
        }
    }
    if (rc)
        return rc;
    if (optind == argc)
        return cli_bad("OUT, the name of the new image, is needed");
    if (optind + 1 != argc)
        return cli_bad("one OUT expected; '%s' is one too many", argv[optind + 1]);
    a->out = argv[optind];
    return validate(a, have_size);
}

static int create_child(struct create_args *a)
{
    struct hv_err err;
    hv_err_clear(&err);
    vhdx *parent;
    struct chain_opts co;
    chain_opts_init(&co);
    int rc = open_image(a->parent, &co, VHDX_OPEN_NO_PARENT, &parent);
    if (rc)
        return rc;
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    rc = vhdx_parent_info_from(parent, a->out, a->win_path, &pi, store, sizeof store, &err);
    vhdx_close(parent);
    if (rc != 0)
        return cli_error(&err);
    a->p.type = VHDX_TYPE_DIFFERENCING;
    a->p.parent = &pi;
    if (vhdx_create(a->out, &a->p, &err) != 0)
        return cli_error_out(&err, a->out);
    return EXIT_OK;
}

int cmd_create(int argc, char **argv)
{
    struct create_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc; /* -1: --help was shown */
    cli_cleanup_on_signal(a.out);
    if (a.parent) {
        rc = create_child(&a);
    } else {
        struct hv_err err;
        hv_err_clear(&err);
        rc = vhdx_create(a.out, &a.p, &err) != 0 ? cli_error_out(&err, a.out) : EXIT_OK;
    }
    if (rc == EXIT_OK && a.json)
        json_written_image("create", a.out, a.parent);
    return rc;
}
