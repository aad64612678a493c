/* cli.h: what every command of the `vhdx` and `hrl` programs shares:
 * the command table, error printing, exit codes, JSON output, progress.
 * No format knowledge lives in tools/.
 *
 * Exit codes: one policy, cli_exit_for() below (table in README.md and in
 * every man page): 0 success; 1 the input was read and has problems; 2 usage
 * error, or an input not of the expected format or that cannot be read.
 * Options: opt.h.
 */
#ifndef HVK_CLI_H
#define HVK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_err.h"
#include "opt.h"

enum { EXIT_OK = 0, EXIT_PROBLEMS = 1, EXIT_ERROR = 2 };

struct cli_spec;
struct cli_cmd {
    const struct cli_spec *spec; /* name, synopsis, options: opt.h */
    int (*fn)(int argc, char **argv);
};

/* Dispatches argv[1] through the table; handles --help, --version,
 * `help CMD` (= CMD --help) and the hidden generators (`--man [CMD]`,
 * `--completion bash|zsh`, `--gen-docs DIR`). Flushes and checks stdout at
 * the end (an output failure is a failure). `what` is the program's one-line
 * description. */
int cli_main(const char *prog, const char *what, const struct cli_cmd *cmds, int argc, char **argv);

/* The program name ("vhdx" or "hrl") for messages. */
const char *cli_prog(void);

/* The exit policy, in one place: the status for an error of this kind.
 *   0  OK
 *   1  CORRUPT: the input was read and has problems (damage)
 *   2  USAGE, IO, NOMEM, NOTFOUND, FORMAT (not the expected format),
 *      UNSUPPORTED (beyond what hvkit implements, or an operation this kind
 *      of file does not allow), MISMATCH (inputs that do not belong together, e.g. a parent of another
 *      size or identity), EXISTS: nothing was judged
 * Commands that list problems (check, verify, info) return 1 when they
 * listed any. */
int cli_exit_for(enum hv_code c);

/* Prints "PROG: MESSAGE" (one line) on stderr for a library error (and, after
 * --json, an {"version", "error"} object on stdout if no JSON was written
 * yet); returns cli_exit_for(e->code). */
int cli_error(const struct hv_err *e);
/* Prints "PROG: MESSAGE" on stderr; returns EXIT_ERROR. */
int cli_errorf(const char *fmt, ...) HV_PRINTF(1, 2);
/* A usage error of the command being parsed: "PROG CMD: MESSAGE", its
 * synopsis and a pointer to --help, on stderr; returns EXIT_ERROR. */
int cli_bad(const char *fmt, ...) HV_PRINTF(1, 2);
/* For commands not yet on an option table (tools/forensics): a usage error
 * with the given synopsis, and a help text. Return EXIT_ERROR / EXIT_OK. */
int cli_usage(const char *cmd, const char *synopsis, const char *fmt, ...) HV_PRINTF(3, 4);
int cli_help(const char *synopsis, const char *details);
#define PROGRESS_LONGOPTS                                   \
    { "progress", no_argument, 0, OPT_PROGRESS },           \
    { "no-progress", no_argument, 0, OPT_NO_PROGRESS }
/* New files are written under a hidden temporary name beside OUT
 * (.OUT.tmp-PID-...): after this call, SIGINT, SIGTERM and SIGHUP remove
 * this process's temporary files for OUT before the program dies. */
void cli_cleanup_on_signal(const char *out);
/* Notes that --json was asked for (errors are then also reported as JSON). */
void cli_set_json(int on);
/* "1 entry" / "2 entries": n and the right one of the two words. */
const char *cli_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len);

/* Parses sizes such as "4096", "1M", "32MiB", "10G", "2T", "1.5G" (a
 * fraction only when the result is a whole number of bytes). No sign, no
 * overflow. Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* Parses a size option value, or prints "--NAME: 'V' is not a size (...)". @return 0 or EXIT_ERROR. */
int cli_size_arg(const char *name, const char *v, uint64_t *out);
/* Parses a decimal or 0x number without sign or wrap-around, at most max. @return 0 or EXIT_ERROR after printing. */
int cli_u64_arg(const char *name, const char *v, uint64_t max, uint64_t *out);
/* Parses a GUID: "{…}" or "…" with dashes, or 32 hex digits. @return 0 or -1. */
struct hv_guid;
int cli_parse_guid(const char *s, struct hv_guid *g);
/* Parses one time syntax: ISO-8601 "2026-11-27T10:00:00Z", with an offset
 * "+01:00"/"-0500", a space instead of T, seconds optional; or "@UNIX".
 * @return 0 and *unix_time, or -1. */
int cli_parse_time(const char *s, int64_t *unix_time);

/* ---- JSON writer (git json-writer shape): escaping done once, here ---- */
struct json {
    FILE *f;
    int depth;
    bool need_comma[64];
    bool pretty;
    bool versioned; /* "version" written at the top (a second one is dropped) */
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
/* The one problem object of both programs (docs/json/problem.schema.json):
 * offset is always a file offset (null when the problem has no place). */
void json_problem(struct json *j, const char *severity, const char *code, const char *structure,
                  const char *file, int has_offset, uint64_t offset, const char *message);
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
    double last, start;
};

void progress_start(struct progress *p, const char *label, uint64_t total, int force /* -1 auto */);
void progress_update(struct progress *p, uint64_t done);
void progress_stop(struct progress *p);

/* Sets *force (1 / 0) for OPT_PROGRESS / OPT_NO_PROGRESS. @return 1 consumed, 0 not ours. */
int progress_opt(int opt, int *force);

/* Formats bytes as "1.5 GiB". */
const char *cli_human(uint64_t bytes, char *buf, size_t len);
/* Formats a Unix time as ISO-8601 UTC "2017-02-08T04:13:00Z". */
const char *cli_iso8601(int64_t unix_time, char *buf, size_t len);

#endif
