/* hrl_util.h: what the `hrl` commands share: opening a log with its problems
 * printed (and kept for JSON), exit statuses, times, interval unions. */
#ifndef HRL_UTIL_H
#define HRL_UTIL_H

#include <stdio.h>

#include "cli.h"
#include "hrl.h"

/* Problems of one file: printed to stderr as they come ("hrl: 'F': WHAT: MSG
 * [kind at 0xOFF]") unless quiet, the first HRL_KEEP kept for JSON output. */
#define HRL_KEEP 1000
struct hrl_plist {
    const char *file;
    int quiet;
    size_t n;       /* problems seen */
    struct hrl_problem *keep;
    size_t kept, cap;
};

void hrl_plist_init(struct hrl_plist *pl, const char *file, int quiet);
void hrl_plist_free(struct hrl_plist *pl);
void hrl_plist_cb(void *ctx, const struct hrl_problem *p);
void hrl_plist_json(struct json *j, const char *key, const struct hrl_plist *pl);

/* Opens `path` with problems going to pl. @return 0, or an exit status (1 when
 * the file is not a usable log, 2 for I/O) after printing the error. */
int hrl_tool_open(const char *path, unsigned flags, struct hrl_plist *pl, hrl_log **log);
/* hrl_plist_init(pl, path, 0), then hrl_tool_open(); on failure pl is freed. */
int hrl_tool_open_file(const char *path, unsigned flags, struct hrl_plist *pl, hrl_log **log);

/* Parses `[--json] [--salvage]` (info, verify): *json, *flags (HRL_OPEN_SALVAGE).
 * @return 0 to go on (FILEs from argv[optind]), or -1 with *status the exit
 * status after --help or a usage error was printed. */
int hrl_json_salvage_args(int argc, char **argv, const struct cli_spec *spec, int *json, unsigned *flags,
                          int *status);

/* Exit status of an hv_code: cli_exit_for(), the one policy. */
int hrl_exit_for(enum hv_code c);

/* "2017-02-08T04:13:00Z" for an HRL time (seconds since 2000). */
const char *hrl_time_str(uint32_t t, char *buf, size_t len);

/* A union of byte intervals with bounded memory: intervals are buffered, and
 * when the buffer fills it is sorted and merged in place; if it is still more
 * than half full the merged run is spilled to a temporary file and the runs
 * are merged at the end. */
struct ivset {
    uint64_t (*v)[2];
    size_t n, cap;
    FILE *spill;
    size_t runs;
    size_t run_len[256];
};
int ivset_init(struct ivset *s, size_t cap);
int ivset_add(struct ivset *s, uint64_t start, uint64_t end); /* [start, end) */
/* Calls cb for each maximal interval in order; @return total bytes covered. */
uint64_t ivset_walk(struct ivset *s, void (*cb)(void *ctx, uint64_t a, uint64_t b), void *ctx);
void ivset_free(struct ivset *s);

/* Parses "123", "0x1f000", "4K", "1MiB". @return 0 or -1. */
int hrl_parse_u64(const char *s, uint64_t *out);

#endif
