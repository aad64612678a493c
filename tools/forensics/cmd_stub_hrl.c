/* cmd_stub_hrl.c: `hrl files` and `hrl diff` in a build without libtsk. */
#include "cli.h"
#include "fx_cmds.h"

int cmd_files(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_errorf("files: this build has no file-system support (install libtsk-dev and rebuild)");
}

int cmd_diff(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_errorf("diff: this build has no file-system support (install libtsk-dev and rebuild)");
}
