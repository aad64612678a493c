/* vhdx_create.c: `vhdx create`: a new empty fixed, dynamic or differencing image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "vhdx_write.h"

#define CREATE_SYNOPSIS \
    "create OUT --size N [--fixed|--dynamic] [--block-size N] [--logical-sector 512|4096] " \
    "[--physical-sector 512|4096] | create OUT --parent PARENT [--parent-win-path PATH] [--block-size N]"

static const char create_help[] =
    "Creates OUT (refusing an existing file). Sizes take K/M/G/T suffixes.\n"
    "  --size N              virtual disk size (a multiple of the logical sector size)\n"
    "  --fixed | --dynamic   allocate every block up front, or on first write (default)\n"
    "  --block-size N        payload block size, 1M..256M power of two (default 32M, 2M for children)\n"
    "  --logical-sector N    512 (default) or 4096\n"
    "  --physical-sector N   512 or 4096 (default)\n"
    "  --parent PARENT       make a differencing child of PARENT (size and sectors copied)\n"
    "  --parent-win-path P   also record P (e.g. 'D:\\VMs\\base.vhdx') as the parent's Windows path\n";

struct create_args {
    const char *out, *parent, *win_path;
    struct vhdx_build_params p;
};

static int parse_u32(const char *opt, const char *val, uint32_t *out)
{
    uint64_t v;
    if (!val || cli_parse_size(val, &v) != 0 || v > UINT32_MAX)
        return cli_usage("create", CREATE_SYNOPSIS, "%s needs a size, got '%s'", opt, val ? val : "");
    *out = (uint32_t)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct create_args *a)
{
    memset(a, 0, sizeof *a);
    a->p.type = VHDX_TYPE_DYNAMIC;
    int have_size = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(o, "--fixed"))
            a->p.type = VHDX_TYPE_FIXED;
        else if (!strcmp(o, "--dynamic"))
            a->p.type = VHDX_TYPE_DYNAMIC;
        else if (!strcmp(o, "--size") && v && cli_parse_size(v, &a->p.virtual_size) == 0)
            have_size = 1, i++;
        else if (!strcmp(o, "--block-size"))
            rc = parse_u32(o, v, &a->p.block_size), i++;
        else if (!strcmp(o, "--logical-sector"))
            rc = parse_u32(o, v, &a->p.logical_sector_size), i++;
        else if (!strcmp(o, "--physical-sector"))
            rc = parse_u32(o, v, &a->p.physical_sector_size), i++;
        else if (!strcmp(o, "--parent") && v)
            a->parent = v, i++;
        else if (!strcmp(o, "--parent-win-path") && v)
            a->win_path = v, i++;
        else if (o[0] != '-' && !a->out)
            a->out = o;
        else
            return cli_usage("create", CREATE_SYNOPSIS, "unexpected argument '%s'", o);
        if (rc)
            return rc;
    }
    if (!a->out)
        return cli_usage("create", CREATE_SYNOPSIS, "missing OUT");
    if (a->parent && have_size)
        return cli_usage("create", CREATE_SYNOPSIS, "--size and --parent exclude each other");
    if (!a->parent && !have_size)
        return cli_usage("create", CREATE_SYNOPSIS, "missing --size");
    if (!a->parent && a->win_path)
        return cli_usage("create", CREATE_SYNOPSIS, "--parent-win-path needs --parent");
    return 0;
}

static int create_child(struct create_args *a)
{
    struct hv_err err;
    hv_err_clear(&err);
    vhdx *parent;
    struct vhdx_open_opts opts = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(a->parent, &opts, &parent, &err) != 0)
        return cli_error(&err);
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    int rc = vhdx_parent_info_from(parent, a->out, a->win_path, &pi, store, sizeof store, &err);
    vhdx_close(parent);
    if (rc != 0)
        return cli_error(&err);
    a->p.type = VHDX_TYPE_DIFFERENCING;
    a->p.parent = &pi;
    if (vhdx_create(a->out, &a->p, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}

int cmd_create(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(CREATE_SYNOPSIS, create_help);
    struct create_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    if (a.parent)
        return create_child(&a);
    struct hv_err err;
    hv_err_clear(&err);
    if (vhdx_create(a.out, &a.p, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}
