/* relink.c: `vhdx relink`: point a differencing child at its moved parent. */
#include <stdio.h>
#include <string.h>

#include "chain_opts.h"
#include "cli.h"
#include "cmds.h"
#include "vhdx_probe.h"
#include "vhdx_write.h"

enum { O_PARENT = 'P', O_WIN = 0x2001, O_NO_WIN, O_IGNORE };

static const struct cli_opt opts[] = {
    { "parent", O_PARENT, "NEWPATH", "the parent's new location (required)" },
    { "parent-win-path", O_WIN, "PATH", "record PATH (e.g. 'D:\\VMs\\base.vhdx') as absolute_win32_path "
                                        "(default: keep the one FILE has)" },
    { "no-win-path", O_NO_WIN, NULL, "drop the absolute_win32_path entry instead of keeping it" },
    { "ignore-id-mismatch", O_IGNORE, NULL, "link to a parent with another DataWriteGuid (its data may differ!)" },
    CLI_OPT_JSON,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx relink snap.avhdx --parent /srv/vms/base.vhdx", "after moving base.vhdx to /srv/vms" },
    { "vhdx relink snap.avhdx --parent base.vhdx --parent-win-path 'E:\\VMs\\base.vhdx'",
      "also tell Hyper-V where the parent lives on the Windows host" },
    { 0, 0 },
};
const struct cli_spec spec_relink = {
    "relink", "FILE --parent NEWPATH [options]", "point a differencing image at its moved parent",
    "Rewrites FILE's parent locator (through the log) to name NEWPATH, with relative_path computed from "
    "FILE's directory. NEWPATH must carry the DataWriteGuid FILE was made from and the same virtual and "
    "logical sector size. The virtual disk is unchanged. The absolute_win32_path entry FILE already has "
    "is kept unless --parent-win-path or --no-win-path says otherwise.",
    opts, examples,
};

/* The absolute_win32_path FILE records now, copied into buf (empty if none). */
static void current_win_path(const char *file, char *buf, size_t len)
{
    buf[0] = 0;
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    struct hv_err e;
    hv_err_clear(&e);
    if (vhdx_open(file, &o, &img, &e) != 0)
        return;
    struct vhdx_info in;
    vhdx_get_info(img, &in);
    for (size_t i = 0; i < in.locator_entries; i++) {
        const char *k, *v;
        if (vhdx_locator_entry(img, i, &k, &v) == 0 && !strcmp(k, "absolute_win32_path"))
            snprintf(buf, len, "%s", v);
    }
    vhdx_close(img);
}

int cmd_relink(int argc, char **argv)
{
    const char *parent = NULL, *win = NULL;
    unsigned flags = 0;
    int json = 0, no_win = 0;
    struct cli_args a;
    cli_args_init(&a, &spec_relink, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        switch (c) {
        case CLI_STOP: return a.status;
        case O_PARENT: parent = a.arg; break;
        case O_WIN: win = a.arg; break;
        case O_NO_WIN: no_win = 1; break;
        case O_IGNORE: flags |= VHDX_RELINK_IGNORE_ID_MISMATCH; break;
        case 'j': json = 1, cli_set_json(1); break;
        }
    }
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("FILE, the differencing image, is needed")
                              : cli_bad("one FILE expected, got %d", argc - optind);
    if (!parent)
        return cli_bad("--parent NEWPATH is needed");
    if (win && no_win)
        return cli_bad("--parent-win-path and --no-win-path exclude each other");
    const char *file = argv[optind];
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(file, 1u << VHDX_KIND_VHDX, &pr, &err) != 0 ||
        vhdx_probe_expect(parent, 1u << VHDX_KIND_VHDX, &pr, &err) != 0)
        return cli_error(&err);
    char kept[1024];
    if (!win && !no_win) {
        current_win_path(file, kept, sizeof kept);
        if (kept[0])
            win = kept;
    }
    if (vhdx_relink(file, parent, win, flags, &err) != 0) {
        hv_err_file(&err, file);
        return cli_error(&err);
    }
    if (json)
        json_written_image("relink", file, parent);
    return EXIT_OK;
}
