/* version.c: `vhdx version` and `hrl version`, one command for both programs. */
#include <stdio.h>

#include "cli.h"
#include "opt.h"

static const struct cli_opt opts[] = { CLI_OPT_END };
const struct cli_spec spec_version = { "version", "", "print the version", "", opts, NULL };

int cmd_version(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, &spec_version, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;)
        if (c == CLI_STOP)
            return a.status;
    if (optind != argc)
        return cli_bad("no arguments expected");
    printf("%s (hvkit) %s\n", cli_prog(), hvk_version());
    return EXIT_OK;
}
