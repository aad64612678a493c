/* vhdx.c: the `vhdx` program: its command table and main. Each command lives
 * in tools/vhdx_<cmd>.c as cmd_<cmd>(argc, argv). To add a command: write the
 * file, declare it in vhdx_cmds.h, add a row here, add a test in tests/cli. */
#include "cli.h"
#include "cmds.h"

static const struct cli_cmd commands[] = {
#define X(name, synopsis, summary) { #name, cmd_##name, synopsis, summary },
    VHDX_COMMANDS(X)
#undef X
    { 0, 0, 0, 0 },
};

int main(int argc, char **argv)
{
    return cli_main("vhdx", commands, argc, argv);
}
