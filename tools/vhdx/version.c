/* vhdx_version.c: `vhdx version`. */
#include <stdio.h>

#include "cli.h"
#include "cmds.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("%s (hvkit) %s\n", cli_prog(), hvk_version());
    return EXIT_OK;
}
