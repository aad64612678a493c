/* hrl_view.h: read a recovery point without restoring it.
 *
 * A view is point k of a verified log set (hrl_points.h) laid over an open
 * base VHDX: each byte comes from the last log entry that wrote it (hrl_plan,
 * last writer wins) or, where no log wrote, from the base chain. Nothing is
 * written anywhere; the plan is the only memory it takes (O(writes)).
 *
 *   hrl_set_open() --> hrl_view_open(base, set, k) --+--> hrl_view_read()
 *                                                   +--> hrl_view_map()
 *                                                   +--> hrl_view_close()
 *
 * The view borrows `base` and `set`: both must stay open until it is closed.
 * Like a vhdx handle it may be used by one thread at a time (it reads the
 * base through vhdx_read()); open one view per thread to read in parallel.
 */
#ifndef HRL_VIEW_H
#define HRL_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "hrl_points.h"
#include "hv_err.h"
#include "vhdx.h"

typedef struct hrl_view hrl_view;

/*! hrl_view_open() :
 *  Prepares point `point` (0 = the base itself) of `set` over `base`.
 *  Refuses a point whose logs have problems, as hrl_restore() does.
 *  @return 0 and *out, or -1 with `err` (HV_USAGE point beyond the logs,
 *          HV_CORRUPT problems in logs 1..point, HV_MISMATCH the set was
 *          verified against another virtual size, HV_NOMEM). */
HVK_API int hrl_view_open(vhdx *base, const hrl_set *set, size_t point, hrl_view **out,
                          struct hv_err *err);
HVK_API void hrl_view_close(hrl_view *v); /* accepts NULL */

/* The virtual size of the disk (the base's) and the point shown. */
HVK_API uint64_t hrl_view_size(const hrl_view *v);
HVK_API size_t hrl_view_point(const hrl_view *v);
/* Bytes that differ from the base (the plan's final bytes). */
HVK_API uint64_t hrl_view_log_bytes(const hrl_view *v);

/*! hrl_view_read() : bytes [off, off+len) of the point.
 *  @return 0, or -1 with `err` (HV_USAGE outside the disk, or a base read error). */
HVK_API int hrl_view_read(hrl_view *v, void *buf, size_t len, uint64_t off, struct hv_err *err);

/* A run of the point's bytes: data (from a log or a base layer) or zeros
 * (no layer of the base holds them and no log wrote them). */
struct hrl_view_run {
    uint64_t off, len;
    int data;     /* 0: reads as zeros */
    int from_log; /* 1: every byte of the run comes from the logs */
};

/*! hrl_view_map() : calls cb for consecutive runs covering the whole disk,
 *  adjacent runs of the same kind merged. A non-zero return from cb stops.
 *  @return 0, cb's non-zero value, or -1 with `err`. */
HVK_API int hrl_view_map(const hrl_view *v, int (*cb)(const struct hrl_view_run *run, void *ctx),
                         void *ctx, struct hv_err *err);

#endif
