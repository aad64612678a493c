/* main.c: the `hrl` program: its command table and main. Each command lives
 * in tools/hrl/<cmd>.c as spec_<cmd> and cmd_<cmd>(argc, argv). */
#include "cli.h"
#include "cmds.h"

static const struct cli_cmd commands[] = {
#define X(name) { &spec_##name, cmd_##name },
    HRL_COMMANDS(X)
#undef X
    { 0, 0 },
};

int main(int argc, char **argv)
{
    return cli_main("hrl", "read, verify, write and apply Hyper-V Replica logs (.hrl)", commands, argc, argv);
}
