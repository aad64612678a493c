/* opt.h: one declarative table per command. The same table drives the
 * getopt_long parser, `--help`, the man page (`--man`) and the shell
 * completions, so the three can never disagree with what is parsed.
 *
 *   static const struct cli_opt opts[] = { CLI_OPT_JSON, { "sha256", 's', NULL, "..." }, CLI_OPT_END };
 *   const struct cli_spec spec_digest = { "digest", "[options] FILE", "summary", "description",
 *                                         opts, examples };
 *   struct cli_args a;  cli_args_init(&a, &spec_digest, argc, argv);
 *   for (int c; (c = cli_next(&a)) != CLI_END;) { if (c == CLI_STOP) return a.status; switch (c) ... }
 */
#ifndef HVK_OPT_H
#define HVK_OPT_H

#include <getopt.h>
#include <stdio.h>

/* One option. `key` is a short letter (also accepted as -x) or an OPT_* id
 * above 0xff (long form only); `arg` is NULL for a flag, else the value's
 * placeholder shown in help ("N", "DIR"). */
struct cli_opt {
    const char *name;
    int key;
    const char *arg;
    const char *help;
};
#define CLI_OPT_END { 0, 0, 0, 0 }

/* One example: the command line and what it does. */
struct cli_example {
    const char *cmdline;
    const char *what;
};

struct cli_spec {
    const char *name;        /* "digest" */
    const char *synopsis;    /* after "PROG NAME ": "[options] FILE" ('|' separates forms) */
    const char *summary;     /* one line for the command list and the man page NAME */
    const char *description; /* paragraphs, '\n'-separated, no option list */
    const struct cli_opt *opts;  /* NULL: a command that still parses by itself (its --help is its own) */
    const struct cli_example *examples; /* ends with { 0, 0 } */
};

/* Long-only option ids shared by several commands (defined once here). */
enum {
    OPT_SEARCH_PATH = 0x1001,
    OPT_MAP,
    OPT_PROGRESS = 0x1101,
    OPT_NO_PROGRESS,
    OPT_FORMAT,
    OPT_SVG,
};

/* The options several commands share, each described once. */
#define CLI_OPT_JSON { "json", 'j', NULL, "print one JSON object on standard output (see docs/json/)" }
#define CLI_OPT_PROGRESS                                                                      \
    { "progress", OPT_PROGRESS, NULL, "show progress on standard error even when it is not a terminal" }, \
    { "no-progress", OPT_NO_PROGRESS, NULL, "never show progress (default: shown on a terminal)" }
#define CLI_OPT_CHAIN                                                                              \
    { "search-path", OPT_SEARCH_PATH, "DIR", "also look for parents by file name in DIR (repeatable)" }, \
    { "map", OPT_MAP, "WIN=LOCAL",                                                                 \
      "replace the Windows path prefix WIN of a parent locator path with LOCAL, "                   \
      "e.g. --map 'D:\\VMs\\=/srv/vms/' (repeatable)" }
#define CLI_OPT_POINT { "point", 'p', "N", "recovery point N (0 = the base itself; default: the last)" }
#define CLI_OPT_UNTIL                                                                          \
    { "until", 'u', "TIME",                                                                      \
      "the last recovery point at or before TIME: ISO-8601 with Z or an offset "                  \
      "(2026-11-27T10:00:00Z, 2026-11-27T11:00:00+01:00) or @UNIXSECONDS" }
#define CLI_OPT_LOG { "log", 'l', "UNIQUEID", "the recovery point that ends with the log of this UniqueId (GUID)" }
#define CLI_OPT_FORMAT                                                                          \
    { "format", OPT_FORMAT, "raw", "read an input without a known signature as raw even if its name suggests otherwise" }

enum { CLI_END = -1, CLI_STOP = -2 };

struct cli_args {
    const struct cli_spec *spec;
    int argc;
    char **argv;
    struct option lo[64];
    char so[160];
    const char *arg;  /* the value of the option just returned */
    const char *name; /* its long name, for messages */
    int status;       /* exit status when cli_next() returned CLI_STOP */
};

/* Prepares the parser (resets getopt). */
void cli_args_init(struct cli_args *a, const struct cli_spec *spec, int argc, char **argv);
/* The next option's key; CLI_END after the last option (operands from
 * argv[optind]); CLI_STOP after --help, --man or a usage error was printed,
 * with a->status the exit status. */
int cli_next(struct cli_args *a);

/* The spec of the command being parsed (for usage errors). */
const struct cli_spec *cli_current(void);

/* Writers generated from the tables. `cmds` ends with a NULL spec. */
void cli_print_help(FILE *f, const struct cli_spec *s);
void cli_print_man(FILE *f, const struct cli_spec *s);
void cli_print_prog_man(FILE *f, const struct cli_spec *const *cmds, const char *what);
void cli_print_completion(FILE *f, const char *shell, const struct cli_spec *const *cmds);

#endif
