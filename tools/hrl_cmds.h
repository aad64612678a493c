/* hrl_cmds.h: the commands of the `hrl` program, listed once:
 * X(name, synopsis, summary). Synopses are reused by --help and usage errors. */
#ifndef HRL_CMDS_H
#define HRL_CMDS_H

#define HRL_COMMANDS(X)                                                                        \
    X(info, "info [--json] [--salvage] FILE", "decode the header and summarise the log")      \
    X(dump, "dump [--json|--csv] [--salvage] FILE", "list every entry in log order")           \
    X(verify, "verify [--json] [--salvage] FILE... | verify --base BASE [--digest] [--manifest M] LOG...", \
      "check every checksum and rule; a chain; with --base every recovery point")             \
    X(extract, "extract [--json] [--salvage] FILE (--entry N | --range OFFSET:LENGTH) [-o OUT]",  \
      "write an entry's payload or a replayed disk range")                                     \
    X(timeline, "timeline [--json] [--per second|minute] [--top N] FILE...",                   \
      "writes per second or minute and the hottest disk regions")                              \
    X(make, "make (--from OLD --to NEW | --writes LIST) -o OUT.hrl [options]",                 \
      "write a log from two raw images or a list of writes")                                   \
    X(points, "points [--json] --base BASE LOG...", "list the recovery points of a base and its logs") \
    X(restore, "restore --base BASE --out OUT [--point N | --until TIME | --log UNIQUEID] [--flatten] LOG...", \
      "write a recovery point to a new VHDX (differencing or flattened)")                     \
    X(apply, "apply --target DISK [--point N] LOG...", "apply logs in place to a raw disk or VHDX (destructive)") \
    X(seal, "seal --base BASE LOG... -o MANIFEST", "write the tree digest of every recovery point") \
    X(version, "version", "print the version")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
HRL_COMMANDS(X)
#undef X

/* `hrl verify --base ...`: recovery-point verification (hrl_verify_points.c). */
int cmd_verify_points(int argc, char **argv);

#endif
