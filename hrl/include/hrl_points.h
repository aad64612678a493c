/* hrl_points.h: a base disk plus a chain of .hrl logs as a list of recovery
 * points, verified as a whole before anything is written.
 *
 * Recovery point k (1-based) is the base with logs 1..k of the chain applied
 * in order; point 0 is the base itself. HRL files carry no markers inside a
 * log, so points fall on log boundaries.
 *
 * What "verified" means here (hrl_set_open):
 *   - every log opens, and every header, metadata block, entry and present
 *     DataChecksum is good (libhrl reader, problems reported, not fatal);
 *   - the logs form one chain by UniqueId/PreviousUniqueId (libhrl chain
 *     ordering: no gap, fork, duplicate or foreign log);
 *   - GUID rule: the FIRST log's Vhd2DataWriteGuid equals the base's VHDX
 *     DataWriteGuid, and every later log carries that same value. Hyper-V
 *     stamps each log with the DataWriteGuid of the primary's VHDX while
 *     change tracking runs; the guid only changes when the disk was written
 *     outside tracking (opened offline), which forces a resync, i.e. a new
 *     base. So within one chain the value is constant, and it names the base.
 *     A zero Vhd2DataWriteGuid (version-1 logs) cannot be checked and is noted.
 *   - every entry lies inside the virtual size and is aligned to the base's
 *     logical sector size (offset and length).
 * A point is usable when logs 1..k all pass.
 */
#ifndef HRL_POINTS_H
#define HRL_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include "hrl.h"
#include "hrl_plan.h"
#include "hv_err.h"
#include "hv_guid.h"

/* What the logs are checked against. */
struct hrl_base {
    uint64_t virtual_size;
    uint32_t sector_size;            /* logical sector size */
    int has_guid;                    /* 0 for a raw base: GUID not checkable */
    struct hv_guid data_write_guid;  /* the base VHDX's header DataWriteGuid */
};

/* One problem of the set: a libhrl problem of one log, or one of ours. */
struct hrl_set_problem {
    size_t log;        /* index of the log in the argument list; SIZE_MAX: the set */
    const char *path;  /* the log file, NULL for the set */
    const char *kind;  /* libhrl kind ("entry-checksum", "chain-gap", ...) or
                          "unreadable", "guid-mismatch", "entry-range",
                          "entry-alignment" */
    uint64_t offset;   /* file offset of the bad field (0 when none) */
    const char *what;
    const char *msg;
};
typedef void (*hrl_set_problem_fn)(void *ctx, const struct hrl_set_problem *p);

struct hrl_set_opts {
    int ignore_guid;               /* report GUID mismatches as notes, not problems */
    hrl_set_problem_fn on_problem; /* may be NULL */
    void *ctx;
};

/* One log of the set, in chain order. */
struct hrl_set_log {
    const char *path;
    size_t arg;            /* index in the argument list */
    hrl_log *log;          /* NULL when it could not be opened. Problems it reports
                              after hrl_set_open() are kept by the set, not reported */
    struct hrl_info info;
    size_t first_write;    /* its entries: writes[first_write .. first_write + nwrites) */
    size_t nwrites;
    uint64_t problems;     /* problems attributed to this log */
};

typedef struct hrl_set hrl_set;

/*! hrl_set_open() :
 *  Opens and verifies every log completely (see the top of this file) and
 *  orders them. Problems do not fail the call: they are reported and counted,
 *  and hrl_set_usable() says how many leading points are sound.
 *  @return 0 and *out, or -1 with `err` only when a log cannot be read at all
 *          (HV_IO: missing or unreadable file, HV_NOMEM). */
HVK_API int hrl_set_open(const char *const *paths, size_t n, const struct hrl_base *base,
                         const struct hrl_set_opts *opts, hrl_set **out, struct hv_err *err);
HVK_API void hrl_set_close(hrl_set *s); /* accepts NULL */

/* Number of logs (= recovery points after the base). */
HVK_API size_t hrl_set_count(const hrl_set *s);
/* Log i (0-based, chain order). */
HVK_API const struct hrl_set_log *hrl_set_log_at(const hrl_set *s, size_t i);
/* The k such that points 1..k are sound (all of logs 1..k passed); k == count
 * means every point is sound. */
HVK_API size_t hrl_set_usable(const hrl_set *s);
/* Total problems over the set. */
HVK_API uint64_t hrl_set_problems(const hrl_set *s);
/* Every entry of every opened log, in replay order; *n receives the count.
 * Point k uses writes[0 .. hrl_set_point_writes(s, k)). */
HVK_API const struct hrl_write *hrl_set_writes(const hrl_set *s, size_t *n);
HVK_API size_t hrl_set_point_writes(const hrl_set *s, size_t point);
/* End time of log i (seconds since 2000): its last entry time, or the header's
 * LastModifiedTimeStamp (or TimeStamp) when it has no entries. */
HVK_API uint32_t hrl_set_log_end_time(const hrl_set *s, size_t i);

#endif
