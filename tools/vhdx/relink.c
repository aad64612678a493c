/* vhdx_relink.c: `vhdx relink`: point a differencing child at its moved parent. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_write.h"

#define RELINK_SYNOPSIS "relink FILE --parent NEWPATH [--parent-win-path PATH] [--ignore-id-mismatch]"

static const char relink_help[] =
    "Rewrites FILE's parent locator (through the log) to name NEWPATH, with relative_path\n"
    "computed from FILE's directory. NEWPATH must carry the DataWriteGuid FILE was made\n"
    "from and the same virtual and logical sector size. The virtual disk is unchanged.\n"
    "  --parent-win-path P     also record P (e.g. 'D:\\VMs\\base.vhdx') as absolute_win32_path\n"
    "  --ignore-id-mismatch    link to a parent with another DataWriteGuid (its data may differ!)\n";

int cmd_relink(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(RELINK_SYNOPSIS, relink_help);
    const char *file = NULL, *parent = NULL, *win = NULL;
    unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--parent") && v)
            parent = v, i++;
        else if (!strcmp(o, "--parent-win-path") && v)
            win = v, i++;
        else if (!strcmp(o, "--ignore-id-mismatch"))
            flags |= VHDX_RELINK_IGNORE_ID_MISMATCH;
        else if (o[0] != '-' && !file)
            file = o;
        else
            return cli_usage("relink", RELINK_SYNOPSIS, "unexpected argument '%s'", o);
    }
    if (!file || !parent)
        return cli_usage("relink", RELINK_SYNOPSIS, "needs FILE and --parent NEWPATH");
    struct hv_err err;
    hv_err_clear(&err);
    if (vhdx_relink(file, parent, win, flags, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}
