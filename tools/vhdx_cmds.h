/* vhdx_cmds.h: the commands of the `vhdx` program, listed once:
 * X(name, synopsis, summary). Synopses are reused by --help and usage errors. */
#ifndef VHDX_CMDS_H
#define VHDX_CMDS_H

#define VHDX_COMMANDS(X) \
    X(version, "version", "print the version") \
    X(create, "create OUT --size N [--fixed|--dynamic] | create OUT --parent PARENT", \
      "create a fixed, dynamic or differencing image") \
    X(convert, "convert IN OUT [-O raw|vhdx] [--fixed|--dynamic] [--block-size N]", \
      "copy a raw image or VHDX chain into a new raw or VHDX file") \
    X(replay, "replay [--dry-run] FILE", "apply a pending log to the file in place")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
VHDX_COMMANDS(X)
#undef X

#endif
