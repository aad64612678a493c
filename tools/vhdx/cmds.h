/* vhdx_cmds.h: the commands of the `vhdx` program, listed once:
 * X(name, synopsis, summary). Synopses are reused by --help and usage errors. */
#ifndef VHDX_CMDS_H
#define VHDX_CMDS_H

#define VHDX_COMMANDS(X) \
    X(info, "info [--json] FILE", "show headers, metadata, log state and BAT counts of one file") \
    X(check, "check [--json] [--search-path DIR] [--map WIN=LOCAL] FILE", "find every problem in a file and its chain") \
    X(map, "map [--json] [--search-path DIR] [--map WIN=LOCAL] FILE", "list allocation runs of the virtual disk") \
    X(cat, "cat [--search-path DIR] [--map WIN=LOCAL] FILE", "write the whole virtual disk to standard output") \
    X(chain, "chain [--json] [--search-path DIR] [--map WIN=LOCAL] FILE", "show each layer of a differencing chain") \
    X(create, "create OUT --size N [--fixed|--dynamic] | create OUT --parent PARENT", \
      "create a fixed, dynamic or differencing image") \
    X(convert, "convert IN OUT [-O raw|vhdx] [--fixed|--dynamic] [--block-size N]", \
      "copy a raw image or VHDX chain into a new raw or VHDX file") \
    X(replay, "replay [--dry-run] FILE", "apply a pending log to the file in place") \
    X(prestage, "prestage plan|copy [--json] --source-map 'WIN=DIR'... --target-map 'WIN=DIR'... [--relink] [--dry-run] [--replace-stale] CHILD...", \
      "plan and copy differencing-chain parents onto a migration target") \
    X(relink, "relink FILE --parent NEWPATH [--parent-win-path PATH] [--ignore-id-mismatch]", \
      "point a differencing image at its moved parent") \
    X(merge, "merge CHILD [--keep-child] [--into ANCESTOR [--dry-run] [--json]]", "fold a differencing image into its parent") \
    X(write, "write FILE OFFSET INPUT | write FILE OFFSET --discard LEN", \
      "write bytes into an image in place (through the log)") \
    X(digest, "digest [--sha256] [--json] [--search-path DIR] [--map WIN=LOCAL] FILE", \
      "tree digest (SHA-256 of per-MiB SHA-256s) of the virtual disk") \
    X(files, "files [--json] [--search-path DIR] [--map WIN=LOCAL] FILE --range OFFSET:LENGTH", \
      "which guest files own a byte range of the virtual disk") \
    X(mount, "mount [--foreground] [--search-path DIR] [--map WIN=LOCAL] FILE DIR", \
      "serve the virtual disk and its partitions as read-only files (FUSE)") \
    X(resize, "resize [--json] FILE --size [+|-]N", "grow or shrink the virtual disk in place") \
    X(compact, "compact [--json] FILE", "unallocate zero blocks, move data down, truncate (in place)") \
    X(compare, "compare [--json] [--strict] [--search-path DIR] [--map WIN=LOCAL] A B", \
      "find the first offset where two virtual disks differ") \
    X(measure, "measure [--json] [--block-size N] [--logical-sector 512|4096] (--size N | FILE)", \
      "file size a VHDX of a disk or a size needs") \
    X(set, "set [--json] FILE [--physical-sector 512|4096] [--reset-disk-id] [--new-data-write-guid] [--parent PATH]", \
      "change identity, reported sector size or parent path in place") \
    X(version, "version", "print the version")

#define X(name, synopsis, summary) int cmd_##name(int argc, char **argv);
VHDX_COMMANDS(X)
#undef X

#endif
