/* spec_legacy.c: command-table entries of the `vhdx` commands that still parse
 * their own options (no option table yet): their --help is their own, and
 * their man page points to it. */
#include "cmds.h"

#define LEGACY(n, syn, sum) const struct cli_spec spec_##n = { #n, syn, sum, "", NULL, NULL };
LEGACY(convert, "IN OUT [-O raw|vhdx] [--fixed|--dynamic] [--block-size N] [--logical-sector 512|4096] | "
                "IN OUT --parent PARENT [--parent-win-path P] [--block-size N]",
       "copy a raw image, VHD or VHDX chain into a new raw or VHDX file")
LEGACY(prestage, "plan|copy [--json] --source-map 'WIN=DIR'... --target-map 'WIN=DIR'... [--relink] [--dry-run] "
                 "[--replace-stale] CHILD...",
       "plan and copy differencing-chain parents onto a migration target")
LEGACY(merge, "CHILD [--keep-child] [--into ANCESTOR [--dry-run] [--json]]", "fold a differencing image into its parent")
LEGACY(files, "[--json] [--search-path DIR] [--map WIN=LOCAL] FILE --range OFFSET:LENGTH",
       "which guest files own a byte range of the virtual disk")
LEGACY(mount, "[--foreground] [--search-path DIR] [--map WIN=LOCAL] FILE DIR",
       "serve the virtual disk and its partitions as read-only files (FUSE)")
LEGACY(resize, "[--json] FILE --size [+|-]N", "grow or shrink the virtual disk in place")
LEGACY(compact, "[--json] FILE", "unallocate zero blocks, move data down, truncate (in place)")
LEGACY(compare, "[--json] [--strict] [--search-path DIR] [--map WIN=LOCAL] A B",
       "find the first offset where two virtual disks differ")
LEGACY(measure, "[--json] [--block-size N] [--logical-sector 512|4096] (--size N | FILE)",
       "file size a VHDX of a disk or a size needs")
LEGACY(set, "[--json] FILE [--physical-sector 512|4096] [--reset-disk-id] [--new-data-write-guid] [--parent PATH]",
       "change identity, reported sector size or parent path in place")
