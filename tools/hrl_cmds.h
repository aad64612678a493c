/* hrl_cmds.h: the commands of the `hrl` program, listed once:
 * X(name, synopsis, summary). Each synopsis is defined once here and used by
 * the command list, --help and usage errors alike. */
#ifndef HRL_CMDS_H
#define HRL_CMDS_H

#define HRL_SYN_info "info [--json] [--salvage] FILE"
#define HRL_SYN_dump "dump [--json|--csv] [--salvage] FILE"
#define HRL_SYN_verify "verify [--json] [--salvage] FILE..."
#define HRL_SYN_extract \
    "extract [--json] [--salvage] FILE (--entry N | --range OFFSET:LENGTH) [-o OUT]"
#define HRL_SYN_timeline "timeline [--json] [--per second|minute] [--top N] FILE..."
#define HRL_SYN_make "make (--from OLD --to NEW | --writes LIST) -o OUT.hrl [options]"
#define HRL_SYN_version "version"

#define HRL_COMMANDS(X)                                                                      \
    X(info, HRL_SYN_info, "decode the header and summarise the log")                         \
    X(dump, HRL_SYN_dump, "list every entry in log order")                                   \
    X(verify, HRL_SYN_verify, "check every checksum and rule; several files: one chain")     \
    X(extract, HRL_SYN_extract, "write an entry's payload or a replayed disk range")         \
    X(timeline, HRL_SYN_timeline, "writes per second or minute and the hottest regions")     \
    X(make, HRL_SYN_make, "write a log from two raw images or a list of writes")             \
    X(version, HRL_SYN_version, "print the version")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
HRL_COMMANDS(X)
#undef X

#endif
