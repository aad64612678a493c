/* fx_cli.h: what `hrl files`, `hrl diff` and `vhdx files` share: the base and
 * its logs as recovery points, snapshots of points, per-owner entry times,
 * and the table / CSV / JSON / body-file writers for the rows. */
#ifndef HVK_FX_CLI_H
#define HVK_FX_CLI_H

#include <stdio.h>

#include "cli.h"
#include "fx.h"
#include "fx_source.h"
#include "hrl_points.h"

#include "log_args.h"

/* A base VHDX and its logs, verified as recovery points. */
struct fx_chain {
    const char *base_path;
    struct log_args logs;
    vhdx *base;
    hrl_set *set;
    const struct hrl_write *writes;
    size_t nwrites;
    uint32_t *times; /* entry time (seconds since 2000) of each write */
    int problems;    /* the set reported problems (exit 1) */
};
/* @return 0, or an exit status after printing the error. */
int fx_chain_open(struct fx_chain *c, const char *base, char **logs, size_t nlogs);
void fx_chain_close(struct fx_chain *c);

/* One examined state: point k of the chain. */
struct fx_state {
    struct fx_point point;
    struct fx_source src;
    fx_snap *snap;
};
/* @return 0, or an exit status after printing the error. Volume problems are
 * printed once per state (plain words, the user's file, the partition). */
int fx_state_open(struct fx_state *st, struct fx_chain *c, size_t point, int *damaged);
void fx_state_close(struct fx_state *st);

/* Prints each volume whose file system could not be (fully) read, plain
 * words first, then the file, the point (`where`, may be NULL) and the
 * partition. @return 1 if any was printed (exit 1: the input has problems). */
int fx_report_volumes(const char *file, const char *where, const fx_snap *s);

/* Written ranges of writes [from, to) (merged, sorted). */
int fx_chain_ranges(const struct fx_chain *c, size_t from, size_t to, struct fx_range **out, size_t *n);

/* First and last entry time of the writes touching each row's owner. */
struct fx_times {
    uint32_t *tmin, *tmax; /* per owner of the before (a) and after (b) states */
    uint32_t *amin, *amax;
};
int fx_times_build(struct fx_times *t, const struct fx_chain *c, size_t from, size_t to, const fx_snap *a,
                   const fx_snap *b);
void fx_times_free(struct fx_times *t);

/* Output of diff rows. */
enum fx_format { FX_TEXT, FX_JSON, FX_CSV, FX_BODY };
struct fx_out {
    enum fx_format fmt;
    FILE *f;
    struct json j;
    int header_done;
};
struct fx_group {       /* the rows of one log (files) or of one A..B span (diff) */
    size_t from, to;    /* points */
    const char *log;    /* the log's file for `hrl files`, NULL for diff */
    const fx_snap *a, *b;
};
void fx_out_begin(struct fx_out *o, const char *command, const char *base);
void fx_out_group(struct fx_out *o, const struct fx_group *g, const struct fx_diff_row *rows, size_t n,
                  const struct fx_times *t);
void fx_out_end(struct fx_out *o);

/* Time formatting (ISO-8601 UTC) for HRL and Unix seconds. */
const char *fx_hrl_time(uint32_t t, char *buf, size_t len);
/* Exit status for a library error class. */
int fx_exit_for(enum hv_code c);

#endif
