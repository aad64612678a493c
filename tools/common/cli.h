/* cli.h: what every command of the `vhdx` and `hrl` programs shares:
 * the command table, error printing, exit codes, JSON output, progress.
 * No format knowledge lives in tools/.
 *
 * Exit codes (README.md): 0 success; 1 the input has problems (check and
 * verify found damage); 2 usage or I/O error, or an input that cannot be
 * opened at all.
 */
#ifndef HVK_CLI_H
#define HVK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_err.h"

enum { EXIT_OK = 0, EXIT_PROBLEMS = 1, EXIT_ERROR = 2 };

struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis; /* one line after "usage: PROG " */
    const char *summary;  /* one line for the command list */
};

/* Dispatches argv[1] through the table; handles --help and --version.
 * Flushes and checks stdout at the end (an output failure is a failure). */
int cli_main(const char *prog, const struct cli_cmd *cmds, int argc, char **argv);

/* The program name ("vhdx" or "hrl") for messages. */
const char *cli_prog(void);

/* Prints "PROG: MESSAGE" (one line) on stderr for a library error; returns EXIT_ERROR. */
int cli_error(const struct hv_err *e);
/* Prints "PROG: MESSAGE" on stderr; returns EXIT_ERROR. */
int cli_errorf(const char *fmt, ...) HV_PRINTF(1, 2);
/* Prints a usage error and the synopsis of cmd; returns EXIT_ERROR. */
int cli_usage(const char *cmd, const char *synopsis, const char *fmt, ...) HV_PRINTF(3, 4);
/* Prints "usage: PROG SYNOPSIS" and extra help text to stdout; returns EXIT_OK. */
int cli_help(const char *synopsis, const char *details);

/* Parses sizes such as "4096", "1M", "32MiB", "10G", "2T". Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);

/* ---- JSON writer (git json-writer shape): escaping done once, here ---- */
struct json {
    FILE *f;
    int depth;
    bool need_comma[64];
    bool pretty;
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);  /* key NULL inside arrays / at top */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val); /* val NULL -> null */
void json_strn(struct json *j, const char *key, const char *val, size_t n);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
void json_double(struct json *j, const char *key, double val);
void json_end(struct json *j); /* final newline */
/* Writes a JSON string literal (quotes included, escaped) to f. */
void json_write_escaped(FILE *f, const char *s, size_t n);
/* File-derived text for a text line: controls, backslashes and bytes that are
 * not UTF-8 become \xHH (\\ and \" for a backslash and a quote); the result
 * is cut to fit buf.
 * @return buf. */
const char *cli_text(const char *s, size_t n, char *buf, size_t len);

/* ---- progress on stderr, only when stderr is a terminal ---- */
struct progress {
    bool on;
    const char *label;
    uint64_t total;
    uint64_t done;
    double last;
};

void progress_start(struct progress *p, const char *label, uint64_t total, int force /* -1 auto */);
void progress_update(struct progress *p, uint64_t done);
void progress_stop(struct progress *p);

/* --progress / --no-progress, for getopt_long tables and loops. */
#define OPT_PROGRESS 0x1101
#define OPT_NO_PROGRESS 0x1102
#define PROGRESS_LONGOPTS                                   \
    { "progress", no_argument, 0, OPT_PROGRESS },           \
    { "no-progress", no_argument, 0, OPT_NO_PROGRESS }
/* Sets *force (1 / 0) for OPT_PROGRESS / OPT_NO_PROGRESS. @return 1 consumed, 0 not ours. */
int progress_opt(int opt, int *force);

/* Formats bytes as "1.5 GiB". */
const char *cli_human(uint64_t bytes, char *buf, size_t len);
/* Formats a Unix time as ISO-8601 UTC "2017-02-08T04:13:00Z". */
const char *cli_iso8601(int64_t unix_time, char *buf, size_t len);

#endif
