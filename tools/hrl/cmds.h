/* cmds.h: the commands of the `hrl` program, listed once. Each command file
 * defines its option table spec_NAME (opt.h) and cmd_NAME(argc, argv). */
#ifndef HRL_CMDS_H
#define HRL_CMDS_H

#include "opt.h"

#define HRL_COMMANDS(X) \
    X(info) X(dump) X(verify) X(extract) X(timeline) X(make) X(points) X(restore) X(apply) X(mount) \
    X(seal) X(files) X(diff) X(version)

#define X(name)                                \
    extern const struct cli_spec spec_##name; \
    int cmd_##name(int argc, char **argv);
HRL_COMMANDS(X)
#undef X

/* `hrl verify --base ...`: recovery-point verification (verify_points.c),
 * parsed with spec_verify. */
int cmd_verify_points(int argc, char **argv);

#endif
