/* vhdx_opts.h: the chain options every chain-opening `vhdx` command shares
 * (--search-path DIR, --map 'WIN=LOCAL'), parsed in one place. */
#ifndef HVK_VHDX_OPTS_H
#define HVK_VHDX_OPTS_H

#include <getopt.h>

#include "opt.h"

#include "vhdx.h"

/* For commands not yet on an option table (tools/forensics). */
#define CHAIN_LONGOPTS                                             \
    { "search-path", required_argument, 0, OPT_SEARCH_PATH },      \
    { "map", required_argument, 0, OPT_MAP }
#define CHAIN_HELP                                                                          \
    "  --search-path DIR   also look for parents by file name in DIR (repeatable)\n"         \
    "  --map 'WIN=LOCAL'   replace the Windows path prefix WIN of a parent locator path\n"   \
    "                      with LOCAL, e.g. --map 'D:\\VMs\\=/srv/vms/' (repeatable)\n"

struct chain_opts {
    struct vhdx_open_opts o;
    const char **search;
    struct vhdx_path_map *maps;
};

void chain_opts_init(struct chain_opts *c);
/* Handles OPT_SEARCH_PATH / OPT_MAP: 1 consumed, 0 not ours, -1 malformed
 * (after printing a usage error). */
int chain_opt(struct chain_opts *c, int opt, const char *arg);
void chain_opts_free(struct chain_opts *c);
/* Runs a command body that fills chain options, and frees them on every
 * return path: cmd_X(argc, argv) { return chain_opts_run(argc, argv, X_main); } */
int chain_opts_run(int argc, char **argv, int (*body)(int argc, char **argv, struct chain_opts *c));
/* Opens FILE with the options after checking it is a VHDX at all
 * (vhdx_probe_expect); prints the error. Returns an exit status. */
int open_image(const char *path, const struct chain_opts *c, unsigned extra_flags, vhdx **out);

/* Parses `CMD [--json] [chain options] FILE` (chain, map, check): *json and
 * `c` (initialised here) filled, FILE is argv[optind]. @return 0 to go on
 * (the caller frees `c`), or -1 with `c` freed and *status the exit status
 * after the usage error or --help was printed. */
int chain_file_args(int argc, char **argv, const struct cli_spec *spec, int *json, struct chain_opts *c,
                    int *status);

/* After a command wrote or changed `path`: its JSON description
 * ({"version", "action", "file", "type", "virtual_size", ...}) on stdout. */
void json_written_image(const char *action, const char *path, const char *parent);

/* A library error about a file the command was writing: the user's name
 * `path` replaces the temporary one in the message. Returns the exit status. */
int cli_error_out(struct hv_err *e, const char *path);

/* Refuses an output name whose extension promises another format (.vhd,
 * .qcow2, .vmdk, .vdi, .iso, .img is fine) and a directory; prints the usage
 * error. @return 0 or EXIT_ERROR. */
int check_out_name(const char *opt, const char *path, int allow_raw_ext);

#endif
