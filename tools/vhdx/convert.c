/* vhdx_convert.c: `vhdx convert`: raw or VHDX chain -> raw or VHDX. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "vhd.h"
#include "vhdx_ops.h"
#include "vhdx_write.h"

#define CONVERT_SYNOPSIS \
    "convert IN OUT [-O raw|vhdx] [--fixed|--dynamic] [--block-size N] [--logical-sector 512|4096]" \
    " | convert IN OUT --parent PARENT [--parent-win-path P] [--block-size N]"

static const char convert_help[] =
    "Copies the virtual disk of IN (raw, a VHDX or a VHD with its whole parent chain) into a new\n"
    "file OUT (refusing an existing one). All-zero blocks are not stored; raw output is sparse.\n"
    "  -O raw|vhdx          output format (default: vhdx when OUT ends in .vhdx/.avhdx, else raw)\n"
    "  --fixed|--dynamic    VHDX output type (default dynamic)\n"
    "  --block-size N       VHDX block size (default 32M)\n"
    "  --logical-sector N   logical sector size for raw input (default 512)\n"
    "  --parent PARENT      write OUT as a differencing child of PARENT holding only the\n"
    "                       blocks where IN differs from it (block size default 2M)\n"
    "  --parent-win-path P  with --parent: also record P as the parent's Windows path\n";

static int convert_diff(const char *in, const char *out, const char *parent, const char *win,
                        uint32_t bs)
{
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_convert_diff_report r;
    if (vhdx_convert_diff(in, out, parent, win, bs, &r, &err) != 0)
        return cli_error(&err);
    printf("%s: %llu of %llu blocks differ from the parent (%llu stored, %llu zero)\n", out,
           (unsigned long long)(r.blocks_stored + r.blocks_zero), (unsigned long long)r.blocks,
           (unsigned long long)r.blocks_stored, (unsigned long long)r.blocks_zero);
    return EXIT_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static void show_progress(uint64_t done, uint64_t total, void *ctx)
{
    struct progress *pr = ctx;
    pr->total = total;
    progress_update(pr, done);
}

int cmd_convert(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(CONVERT_SYNOPSIS, convert_help);
    struct vhdx_convert_params p = { .type = VHDX_TYPE_DYNAMIC };
    const char *in = NULL, *out = NULL, *fmt = NULL, *parent = NULL, *win = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(o, "-O") && v)
            fmt = v, i++;
        else if (!strcmp(o, "--fixed"))
            p.type = VHDX_TYPE_FIXED;
        else if (!strcmp(o, "--dynamic"))
            p.type = VHDX_TYPE_DYNAMIC;
        else if (!strcmp(o, "--block-size") && v && !cli_parse_size(v, &n) && n <= UINT32_MAX)
            p.block_size = (uint32_t)n, i++;
        else if (!strcmp(o, "--logical-sector") && v && !cli_parse_size(v, &n) && n <= UINT32_MAX)
            p.logical_sector_size = (uint32_t)n, i++;
        else if (!strcmp(o, "--parent") && v)
            parent = v, i++;
        else if (!strcmp(o, "--parent-win-path") && v)
            win = v, i++;
        else if (o[0] != '-' && !in)
            in = o;
        else if (o[0] != '-' && !out)
            out = o;
        else
            return cli_usage("convert", CONVERT_SYNOPSIS, "unexpected argument '%s'", o);
    }
    if (!in || !out)
        return cli_usage("convert", CONVERT_SYNOPSIS, "needs IN and OUT");
    if (parent)
        return convert_diff(in, out, parent, win, p.block_size);
    if (win)
        return cli_usage("convert", CONVERT_SYNOPSIS, "--parent-win-path needs --parent");
    if (fmt && strcmp(fmt, "raw") && strcmp(fmt, "vhdx"))
        return cli_usage("convert", CONVERT_SYNOPSIS, "unknown output format '%s'", fmt);
    int vhdx_out = fmt ? !strcmp(fmt, "vhdx") : (ends_with(out, ".vhdx") || ends_with(out, ".avhdx"));
    p.out_format = vhdx_out ? VHDX_CONVERT_VHDX : VHDX_CONVERT_RAW;
    struct progress pr;
    progress_start(&pr, "convert", 0, -1);
    p.progress = show_progress;
    p.progress_ctx = &pr;
    struct hv_err err;
    hv_err_clear(&err);
    int rc = vhdx_vhd_probe_file(in) ? vhdx_convert_vhd(in, out, &p, &err) : vhdx_convert(in, out, &p, &err);
    progress_stop(&pr);
    return rc == 0 ? EXIT_OK : cli_error(&err);
}
