/* vhdx_opts.c: --search-path and --map for every command that opens a chain. */
#include "chain_opts.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

void chain_opts_init(struct chain_opts *c)
{
    memset(c, 0, sizeof *c);
}

int chain_opt(struct chain_opts *c, int opt, const char *arg)
{
    if (opt == OPT_SEARCH_PATH) {
        const char **p = realloc(c->search, (c->o.n_search_paths + 1) * sizeof *p);
        if (!p)
            return -1;
        c->search = p;
        p[c->o.n_search_paths++] = arg;
        c->o.search_paths = p;
        return 1;
    }
    if (opt == OPT_MAP) {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1])
            return -1;
        struct vhdx_path_map *m = realloc(c->maps, (c->o.n_maps + 1) * sizeof *m);
        if (!m)
            return -1;
        c->maps = m;
        char *from = strndup(arg, (size_t)(eq - arg));
        if (!from)
            return -1;
        m[c->o.n_maps].from = from;
        m[c->o.n_maps].to = eq + 1;
        c->o.n_maps++;
        c->o.maps = m;
        return 1;
    }
    return 0;
}

void chain_opts_free(struct chain_opts *c)
{
    for (size_t i = 0; i < c->o.n_maps; i++)
        free((char *)c->maps[i].from);
    free(c->maps);
    free(c->search);
    memset(c, 0, sizeof *c);
}

int open_image(const char *path, const struct chain_opts *c, unsigned extra_flags, vhdx **out)
{
    struct vhdx_open_opts o = c->o;
    o.flags |= extra_flags;
    struct hv_err e;
    hv_err_clear(&e);
    if (vhdx_open(path, &o, out, &e))
        return cli_error(&e);
    return EXIT_OK;
}

int chain_file_args(int argc, char **argv, const char *cmd, const char *syn, const char *help, int *json,
                    struct chain_opts *co, int *status)
{
    static const struct option lo[] = { { "json", no_argument, 0, 'j' },
                                        { "help", no_argument, 0, 'h' },
                                        CHAIN_LONGOPTS,
                                        { 0, 0, 0, 0 } };
    *json = 0;
    chain_opts_init(co);
    int c;
    while ((c = getopt_long(argc, argv, "jh", lo, NULL)) != -1) {
        int r = chain_opt(co, c, optarg);
        if (r == 1)
            continue;
        if (r < 0) {
            chain_opts_free(co);
            *status = cli_usage(cmd, syn, "malformed option value '%s'", optarg);
            return -1;
        }
        if (c == 'j') {
            *json = 1;
        } else {
            chain_opts_free(co);
            *status = c == 'h' ? cli_help(syn, help) : cli_usage(cmd, syn, "unknown option");
            return -1;
        }
    }
    if (optind + 1 != argc) {
        chain_opts_free(co);
        *status = cli_usage(cmd, syn, "expected one FILE");
        return -1;
    }
    return 0;
}
