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
#define HRL_SYN_timeline "timeline [--json] [--per second|minute] [--top N] [--svg OUT [--base BASE]] FILE..."
#define HRL_SYN_make "make (--from OLD --to NEW | --writes LIST) -o OUT.hrl [options]"
#define HRL_SYN_version "version"
/* recovery points (tools/hrl_points.c, hrl_restore.c, hrl_apply.c, hrl_verify_points.c) */
#define HRL_SYN_points "points [--json] [--svg OUT] --base BASE LOG..."
#define HRL_SYN_restore \
    "restore --base BASE --out OUT [--point N | --until TIME | --log UNIQUEID] [--flatten] LOG..."
#define HRL_SYN_apply "apply --target DISK [--point N] [--guid GUID] LOG..."
#define HRL_SYN_mount "mount --base BASE [--point N | --until TIME] [--foreground] LOG... DIR"
#define HRL_SYN_seal "seal --base BASE LOG... -o MANIFEST"
/* file-level forensics (tools/forensics/) */
#define HRL_SYN_files "files [--json|--csv|--bodyfile] --base BASE [--point K] LOG..."
#define HRL_SYN_diff "diff [--json|--csv|--bodyfile] --base BASE --from A --to B LOG..."

#define HRL_COMMANDS(X)                                                                      \
    X(info, HRL_SYN_info, "decode the header and summarise the log")                         \
    X(dump, HRL_SYN_dump, "list every entry in log order")                                   \
    X(verify, HRL_SYN_verify, "check every checksum and rule; several files: one chain; "    \
      "with --base BASE: every recovery point")                                              \
    X(extract, HRL_SYN_extract, "write an entry's payload or a replayed disk range")         \
    X(timeline, HRL_SYN_timeline, "writes per second or minute and the hottest regions")     \
    X(make, HRL_SYN_make, "write a log from two images (raw or VHDX) or a list of writes") \
    X(points, HRL_SYN_points, "list the recovery points of a base and its logs")             \
    X(restore, HRL_SYN_restore, "write a recovery point to a new VHDX (differencing or flat)") \
    X(apply, HRL_SYN_apply, "apply logs in place to a raw disk or VHDX (destructive)")       \
    X(mount, HRL_SYN_mount, "serve a recovery point and its partitions as read-only files (FUSE)") \
    X(seal, HRL_SYN_seal, "write the tree digest of every recovery point")                   \
    X(files, HRL_SYN_files, "the guest files each log wrote to, created, deleted or renamed") \
    X(diff, HRL_SYN_diff, "guest files created, deleted, renamed, modified between two points") \
    X(version, HRL_SYN_version, "print the version")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
HRL_COMMANDS(X)
#undef X

/* `hrl verify --base ...`: recovery-point verification (hrl_verify_points.c). */
int cmd_verify_points(int argc, char **argv);

#endif
