/* vhdx_opts.h: the chain options every chain-opening `vhdx` command shares
 * (--search-path DIR, --map 'WIN=LOCAL'), parsed in one place. */
#ifndef HVK_VHDX_OPTS_H
#define HVK_VHDX_OPTS_H

#include <getopt.h>

#include "vhdx.h"

#define OPT_SEARCH_PATH 0x1001
#define OPT_MAP 0x1002
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
/* Handles OPT_SEARCH_PATH / OPT_MAP: 1 consumed, 0 not ours, -1 malformed. */
int chain_opt(struct chain_opts *c, int opt, const char *arg);
void chain_opts_free(struct chain_opts *c);
/* Opens FILE with the options; prints the error. Returns an exit status. */
int open_image(const char *path, const struct chain_opts *c, unsigned extra_flags, vhdx **out);

/* Parses `CMD [--json] [chain options] FILE` (chain, map, check): *json and
 * `c` (initialised here) filled, FILE is argv[optind]. @return 0 to go on
 * (the caller frees `c`), or -1 with `c` freed and *status the exit status
 * after the usage error or --help was printed. */
int chain_file_args(int argc, char **argv, const char *cmd, const char *syn, const char *help, int *json,
                    struct chain_opts *c, int *status);

#endif
