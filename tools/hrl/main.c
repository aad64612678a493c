/* hrl.c: the `hrl` program: its command table and main. Each command lives in
 * tools/hrl_<cmd>.c as cmd_<cmd>(argc, argv). To add a command: write the
 * file, declare it in hrl_cmds.h, add a test in tests/cli/hrl_cli.sh. */
#include "cli.h"
#include "cmds.h"

static const struct cli_cmd commands[] = {
#define X(name, synopsis, summary) { #name, cmd_##name, synopsis, summary },
    HRL_COMMANDS(X)
#undef X
    { 0, 0, 0, 0 },
};

int main(int argc, char **argv)
{
    return cli_main("hrl", commands, argc, argv);
}
