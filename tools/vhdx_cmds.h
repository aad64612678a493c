/* vhdx_cmds.h: the commands of the `vhdx` program, listed once:
 * X(name, synopsis, summary). Synopses are reused by --help and usage errors. */
#ifndef VHDX_CMDS_H
#define VHDX_CMDS_H

#define VHDX_COMMANDS(X) \
    X(version, "version", "print the version")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
VHDX_COMMANDS(X)
#undef X

#endif
