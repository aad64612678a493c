/* cmds.h: the commands of the `vhdx` program, listed once. Each command file
 * defines its option table spec_NAME (opt.h) and cmd_NAME(argc, argv). */
#ifndef VHDX_CMDS_H
#define VHDX_CMDS_H

#include "opt.h"

#define VHDX_COMMANDS(X) \
    X(info) X(check) X(map) X(cat) X(chain) X(create) X(convert) X(replay) X(prestage) \
    X(relink) X(merge) X(write) X(digest) X(files) X(mount) X(resize) X(compact) X(compare) X(measure) \
    X(set) X(version)

#define X(name)                                \
    extern const struct cli_spec spec_##name; \
    int cmd_##name(int argc, char **argv);
VHDX_COMMANDS(X)
#undef X

#endif
