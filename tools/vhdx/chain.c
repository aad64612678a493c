/* vhdx_chain.c: `vhdx chain [--json] FILE`: each layer, how it was found
 * (locator key, map or search path) and the identity check result. */
#include <stdio.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

static const struct cli_opt opts[] = { CLI_OPT_JSON, CLI_OPT_CHAIN, CLI_OPT_END };
static const struct cli_example examples[] = {
    { "vhdx chain snap.avhdx", "show every layer and how each parent was found" },
    { "vhdx chain --search-path /mnt/old-host snap.avhdx",
      "also look for parents by file name in /mnt/old-host" },
    { 0, 0 },
};
const struct cli_spec spec_chain = {
    "chain", "[options] FILE", "show each layer of a differencing chain",
    "Opens the whole chain and shows, for every layer, its path, how it was found from its child's parent "
    "locator and whether its DataWriteGuid matched.",
    opts, examples,
};

static const char *result_name(enum vhdx_try_result r)
{
    static const char *const n[] = { "ok", "missing", "open-failed", "mismatch", "cycle" };
    return (unsigned)r < 5 ? n[r] : "?";
}

static const char *linkage_name(int l)
{
    return l == 1 ? "parent_linkage" : l == 2 ? "parent_linkage2" : "mismatch ignored";
}

int cmd_chain(int argc, char **argv)
{
    int as_json, rc;
    struct chain_opts co;
    if (chain_file_args(argc, argv, &spec_chain, &as_json, &co, &rc) != 0)
        return rc;
    vhdx *img;
    rc = open_image(argv[optind], &co, 0, &img);
    chain_opts_free(&co);
    if (rc)
        return rc;
    struct json j;
    if (as_json) {
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "file", argv[optind]);
        json_arr_begin(&j, "layers");
    }
    int layer = 0;
    char g[40];
    for (const vhdx *l = img; l; l = vhdx_parent(l), layer++) {
        struct vhdx_info in;
        vhdx_get_info(l, &in);
        const struct vhdx_parent_link *pl = vhdx_parent_link(l);
        if (as_json) {
            json_obj_begin(&j, NULL);
            json_i64(&j, "layer", layer);
            json_str(&j, "path", vhdx_path(l));
            json_str(&j, "data_write_guid", hv_guid_format(&in.data_write_guid, 1, g));
            json_u64(&j, "virtual_size", in.virtual_size);
            if (pl) {
                json_obj_begin(&j, "parent");
                json_str(&j, "path", pl->path);
                json_str(&j, "key", pl->key);
                json_str(&j, "via", pl->via);
                json_str(&j, "identity", linkage_name(pl->linkage));
                json_arr_begin(&j, "tried");
                for (size_t i = 0; i < pl->n_tries; i++) {
                    json_obj_begin(&j, NULL);
                    json_str(&j, "path", pl->tries[i].path);
                    json_str(&j, "key", pl->tries[i].key);
                    json_str(&j, "via", pl->tries[i].via);
                    json_str(&j, "result", result_name(pl->tries[i].result));
                    json_str(&j, "message", pl->tries[i].msg);
                    json_obj_end(&j);
                }
                json_arr_end(&j);
                json_obj_end(&j);
            }
            json_obj_end(&j);
        } else {
            /* Paths, keys and messages quote locator text: escaped for the terminal. */
            char e1[HV_ESCAPE_CAP(4096)], e2[HV_ESCAPE_CAP(256)], e3[HV_ESCAPE_CAP(256)],
                e4[HV_ESCAPE_CAP(1024)];
            printf("layer %d: %s\n", layer, hv_text_escape(vhdx_path(l), e1, sizeof e1));
            printf("  data write guid: %s\n", hv_guid_format(&in.data_write_guid, 1, g));
            if (pl) {
                printf("  parent: %s (from %s via %s; identity: %s)\n",
                       hv_text_escape(pl->path, e1, sizeof e1), hv_text_escape(pl->key, e2, sizeof e2),
                       hv_text_escape(pl->via, e3, sizeof e3), linkage_name(pl->linkage));
                for (size_t i = 0; i < pl->n_tries; i++)
                    printf("    tried %s (%s via %s): %s%s%s\n",
                           hv_text_escape(pl->tries[i].path, e1, sizeof e1),
                           hv_text_escape(pl->tries[i].key, e2, sizeof e2),
                           hv_text_escape(pl->tries[i].via, e3, sizeof e3),
                           result_name(pl->tries[i].result), pl->tries[i].msg[0] ? ": " : "",
                           hv_text_escape(pl->tries[i].msg, e4, sizeof e4));
            }
        }
    }
    if (as_json) {
        json_arr_end(&j);
        json_obj_end(&j);
        json_end(&j);
    }
    vhdx_close(img);
    return EXIT_OK;
}
