/* hrl_pointset.h: what the recovery-point commands (restore, apply, points,
 * verify --base, seal) share: LOG arguments (files or directories), the
 * base image and its chain options, the verified log set with its problems
 * printed, point selection, progress. */
#ifndef HRL_POINTSET_H
#define HRL_POINTSET_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "log_args.h"
#include "hrl_points.h"
#include "hrl_restore.h"
#include "vhdx.h"
#include "chain_opts.h"


/* The base: an open VHDX chain and what the logs are checked against. */
struct ps_base {
    vhdx *img;
    struct hrl_base desc;
    const char *path;
};
/* @return 0, or an exit status after printing the error. */
/* `o`: the chain options (vhdx_opts.h: --search-path, --map) for BASE's own parents. */
int ps_base_open(const char *path, const struct vhdx_open_opts *o, struct ps_base *b);
void ps_base_close(struct ps_base *b);

/* log_args_expand() then ps_base_open(): on failure nothing stays allocated.
 * @return 0, or an exit status after printing the error. */
int ps_logs_base_open(char **args, size_t nargs, const char *base_path, const struct vhdx_open_opts *o,
                      struct log_args *logs, struct ps_base *base);

/* Problems of the set, printed to stderr ("hrl: 'F': WHAT at 0xOFF: MSG [kind]")
 * unless quiet, the first ones kept for JSON and for verify's report. */
struct ps_problem {
    size_t log; /* argument index, SIZE_MAX for the set */
    char path[512];
    char kind[32];
    uint64_t offset;
    char what[80];
    char msg[400];
};
struct ps_plist {
    int quiet;
    size_t n;
    struct ps_problem *keep;
    size_t kept, cap;
};
void ps_plist_cb(void *ctx, const struct hrl_set_problem *p);
void ps_plist_free(struct ps_plist *pl);

/* Opens the set (all logs verified). @return 0, or an exit status (2: I/O). */
int ps_set_open(const struct log_args *logs, const struct hrl_base *base, int ignore_guid,
                struct ps_plist *pl, hrl_set **out);

/* --point N | --until TIME | --log UNIQUEID, resolved against the set.
 * Without any: the last point. @return 0 and *point, or an exit status. */
struct ps_select {
    const char *point, *until, *log;
};
int ps_select_point(const hrl_set *set, const struct ps_select *sel, size_t *point);

/* For the commands that write a point (restore, apply): refuses a set with
 * problems ("refusing to VERB: N problems in the logs (listed above); NOTE"),
 * else resolves the point as ps_select_point(). @return 0 and *point, or an exit status. */
int ps_select_sound_point(const hrl_set *set, const struct ps_plist *pl, const struct ps_select *sel,
                          const char *verb, const char *note, size_t *point);

/* Progress on stderr when it is a terminal (--progress / --no-progress force). */
struct ps_progress {
    struct progress p;
    struct hrl_progress hp;
};
void ps_progress_start(struct ps_progress *pp, const char *label, int force);
void ps_progress_stop(struct ps_progress *pp);

/* Parses "2026-11-27T10:00:00Z", "2026-11-27 10:00:00" (UTC) or "@UNIX".
 * @return 0 and *unix_time, or -1. */
int ps_parse_time(const char *s, int64_t *unix_time);

#endif
