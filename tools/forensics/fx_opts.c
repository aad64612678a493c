/* fx_opts.c: option parsing for `hrl files` and `hrl diff`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fx_opts.h"

static int parse_point(const char *s, size_t *out)
{
    char *end;
    if (!s[0] || s[0] == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > SIZE_MAX)
        return -1;
    *out = (size_t)v;
    return 0;
}

int fx_opts_parse(int argc, char **argv, const char *cmd, const char *syn, const char *details,
                  unsigned which, struct fx_opts *o)
{
    static const struct option opts[] = {
        { "base", required_argument, 0, 'b' }, { "point", required_argument, 0, 'p' },
        { "from", required_argument, 0, 'f' }, { "to", required_argument, 0, 't' },
        { "json", no_argument, 0, 'j' },       { "csv", no_argument, 0, 'c' },
        { "bodyfile", no_argument, 0, 'B' },   { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    memset(o, 0, sizeof *o);
    int c, formats = 0;
    while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'b': o->base = optarg; break;
        case 'p': bad = !(which & FX_OPT_POINT) || parse_point(optarg, &o->point) || !o->point; break;
        case 'f': bad = !(which & FX_OPT_SPAN) || parse_point(optarg, &o->from); o->has_from = 1; break;
        case 't': bad = !(which & FX_OPT_SPAN) || parse_point(optarg, &o->to); o->has_to = 1; break;
        case 'j': o->fmt = FX_JSON; formats++; break;
        case 'c': o->fmt = FX_CSV; formats++; break;
        case 'B': o->fmt = FX_BODY; formats++; break;
        case 'h': return cli_help(syn, details);
        default: return cli_usage(cmd, syn, "unknown option");
        }
        if (bad)
            return cli_usage(cmd, syn, "bad value '%s' for --%s", optarg,
                             c == 'p' ? "point" : c == 'f' ? "from" : "to");
    }
    if (formats > 1)
        return cli_usage(cmd, syn, "choose one of --json, --csv, --bodyfile");
    if (!(which & FX_OPT_FORMATS) && (o->fmt == FX_CSV))
        return cli_usage(cmd, syn, "--csv is not available here");
    if (!o->base)
        return cli_usage(cmd, syn, "--base is required");
    if ((which & FX_OPT_SPAN) && (!o->has_from || !o->has_to))
        return cli_usage(cmd, syn, "--from and --to are required");
    if ((which & FX_OPT_SPAN) && o->from >= o->to)
        return cli_usage(cmd, syn, "--from must be an earlier point than --to");
    if (optind >= argc)
        return cli_usage(cmd, syn, "LOG expected");
    return -1;
}
