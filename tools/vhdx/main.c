/* main.c: the `vhdx` program: its command table and main. Each command lives
 * in tools/vhdx/<cmd>.c as spec_<cmd> and cmd_<cmd>(argc, argv). To add a
 * command: write the file, list it in cmds.h, add a test in tests/cli. */
#include "cli.h"
#include "cmds.h"

static const struct cli_cmd commands[] = {
#define X(name) { &spec_##name, cmd_##name },
    VHDX_COMMANDS(X)
#undef X
    { 0, 0 },
};

int main(int argc, char **argv)
{
    return cli_main("vhdx", "inspect, check, create, convert and change VHDX virtual disk images", commands,
                    argc, argv);
}
