/* fx_opts.h: the options of `hrl files` and `hrl diff`, parsed in one place. */
#ifndef HVK_FX_OPTS_H
#define HVK_FX_OPTS_H

#include <stddef.h>

#include "fx_cli.h"

enum { FX_OPT_POINT = 1, FX_OPT_SPAN = 2, FX_OPT_FORMATS = 4 };

struct fx_opts {
    const char *base;
    size_t point;          /* --point K (0: every log) */
    size_t from, to;       /* --from A --to B */
    int has_from, has_to;
    enum fx_format fmt;
};

/* Parses argv (LOG arguments start at optind afterwards).
 * @return -1 to go on, or an exit status (usage error or --help printed). */
int fx_opts_parse(int argc, char **argv, const char *cmd, const char *syn, const char *details,
                  unsigned which, struct fx_opts *o);

#endif
