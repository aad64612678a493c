/* vhdx_map.c: `vhdx map [--json] FILE`: the allocation map of the chain, as
 * runs of virtual bytes served alike (state, layer, file offset). */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "svg_render.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

static const struct cli_opt opts[] = {
    CLI_OPT_JSON,
    { "svg", OPT_SVG, "OUT", "draw the allocation (one band per chain layer) as a self-contained SVG" },
    CLI_OPT_CHAIN,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx map disk.vhdx", "show which byte ranges hold data, read as zeros or come from a parent" },
    { "vhdx map --json child.avhdx | jq '.runs[] | select(.layer == 0)'",
      "the runs the child itself holds" },
    { 0, 0 },
};
const struct cli_spec spec_map = {
    "map", "[options] FILE", "list allocation runs of the virtual disk",
    "Lists runs: virtual offset, length, block state, layer serving them (0 = FILE, 1 = its parent, ..., "
    "'zero' = zeros, 'no-parent' = parent not opened) and the offset in that layer's file.",
    opts, examples,
};

struct out {
    int json;
    struct json j;
};

static const char *layer_name(int l, char *buf, size_t n)
{
    if (l == VHDX_LAYER_ZERO)
        return "zero";
    if (l == VHDX_LAYER_NO_PARENT)
        return "no-parent";
    snprintf(buf, n, "%d", l);
    return buf;
}

static int on_run(const struct vhdx_run *r, void *vctx)
{
    struct out *o = vctx;
    char b[16];
    if (o->json) {
        json_obj_begin(&o->j, NULL);
        json_u64(&o->j, "offset", r->voff);
        json_u64(&o->j, "length", r->len);
        json_str(&o->j, "state", vhdx_block_state_name(r->state));
        json_i64(&o->j, "layer", r->layer);
        if (r->layer >= 0)
            json_u64(&o->j, "file_offset", r->file_off);
        else
            json_null(&o->j, "file_offset");
        json_obj_end(&o->j);
    } else if (r->layer >= 0) {
        printf("0x%012" PRIx64 " 0x%012" PRIx64 " %-17s %-9s 0x%" PRIx64 "\n", r->voff, r->len,
               vhdx_block_state_name(r->state), layer_name(r->layer, b, sizeof b), r->file_off);
    } else {
        printf("0x%012" PRIx64 " 0x%012" PRIx64 " %-17s %-9s -\n", r->voff, r->len,
               vhdx_block_state_name(r->state), layer_name(r->layer, b, sizeof b));
    }
    return 0;
}

int cmd_map(int argc, char **argv)
{
    struct out o = { 0 };
    struct chain_opts co;
    int rc;
    const char *svg = svg_take_opt(&argc, argv);
    if (chain_file_args(argc, argv, &spec_map, &o.json, &co, &rc) != 0)
        return rc;
    vhdx *img;
    rc = open_image(argv[optind], &co, 0, &img);
    chain_opts_free(&co);
    if (rc)
        return rc;
    if (svg) {
        rc = svg_map(svg, img);
        vhdx_close(img);
        return rc;
    }
    if (o.json) {
        json_init(&o.j, stdout);
        json_obj_begin(&o.j, NULL);
        json_str(&o.j, "file", argv[optind]);
        json_u64(&o.j, "virtual_size", vhdx_virtual_size(img));
        json_arr_begin(&o.j, "runs");
    } else {
        printf("%-14s %-14s %-17s %-9s %s\n", "offset", "length", "state", "layer", "file_offset");
    }
    struct hv_err e;
    hv_err_clear(&e);
    rc = vhdx_map(img, on_run, &o, &e);
    if (o.json) {
        json_arr_end(&o.j);
        json_obj_end(&o.j);
        json_end(&o.j);
    }
    vhdx_close(img);
    if (rc < 0)
        return cli_error(&e);
    return EXIT_OK;
}
