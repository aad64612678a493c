/* spec_legacy.c: command-table entries of the `hrl` commands that still parse
 * their own options (no option table yet): their --help is their own, and
 * their man page points to it. */
#include "cmds.h"

#define LEGACY(n, syn, sum) const struct cli_spec spec_##n = { #n, syn, sum, "", NULL, NULL };
LEGACY(mount, "--base BASE [--point N | --until TIME] [--foreground] LOG... DIR",
       "serve a recovery point and its partitions as read-only files (FUSE)")
LEGACY(files, "[--json|--csv|--bodyfile] --base BASE [--point K] LOG...",
       "the guest files each log wrote to, created, deleted or renamed")
LEGACY(diff, "[--json|--csv|--bodyfile] --base BASE --from A --to B LOG...",
       "guest files created, deleted, renamed, modified between two points")
