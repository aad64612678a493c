/* hrl_restore.h: turning a verified log set into disks: restore a recovery
 * point into a new VHDX, apply logs in place, digest every point.
 *
 * All three take an hrl_set that the caller has opened and checked
 * (hrl_set_usable() >= point): they never write on a set with problems in the
 * selected logs, and refuse with HV_CORRUPT if asked to. Only the final bytes
 * of each disk range are copied (hrl_plan: last writer wins); apply does so
 * per log, so that each flush leaves a whole recovery point.
 *
 * The disk is reached only through libvhdx (vhdx.h, vhdx_write.h, hv_io.h).
 */
#ifndef HRL_RESTORE_H
#define HRL_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "hrl_points.h"
#include "hv_digest.h"
#include "hv_io.h"
#include "vhdx.h"
#include "vhdx_write.h"

struct hrl_progress {
    void (*fn)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
};

struct hrl_restore_stats {
    uint64_t entries;        /* selected log entries */
    uint64_t log_bytes;      /* their payload bytes */
    uint64_t final_bytes;    /* bytes that survive (copied once each) */
    uint64_t extents;        /* disk ranges in the plan */
    uint64_t blocks_full;    /* output blocks stored FULLY_PRESENT */
    uint64_t blocks_partial; /* ... PARTIALLY_PRESENT (differencing) */
    uint64_t blocks_base;    /* flatten: blocks holding only base data */
};

enum { HRL_RESTORE_FLATTEN = 1 };

/*! hrl_restore() :
 *  Writes recovery point `point` (1..hrl_set_count) of `set` over `base` (an
 *  open VHDX chain; never written) to a new VHDX at `out`:
 *    default: a differencing VHDX whose parent is `base_path` (relative
 *      locator path, linkage = the base's DataWriteGuid); blocks fully covered
 *      by the logs are FULLY_PRESENT, others PARTIALLY_PRESENT with a sector
 *      bitmap; untouched blocks stay NOT_PRESENT (read from the parent).
 *    HRL_RESTORE_FLATTEN: a standalone dynamic VHDX holding base + logs;
 *      all-zero blocks are not stored.
 *  `out` is written under a temporary sibling name and linked into place only
 *  on success (an existing `out` is refused with HV_EXISTS); on failure
 *  nothing is left at `out`.
 *  @return 0, or -1 with `err`. */
HVK_API int hrl_restore(vhdx *base, const char *base_path, const hrl_set *set, size_t point,
                        const char *out, unsigned flags, const struct hrl_progress *progress,
                        struct hrl_restore_stats *stats, struct hv_err *err);

/*! hrl_apply_io() :
 *  Applies logs 1..point to a raw disk in place, through `disk`, one log at a
 *  time (pwrite of that log's final extents, then flush): after a power cut,
 *  logs 1..j are applied and each sector of log j+1 is old or new. The disk must be at least the set's
 *  virtual size. Destructive: the old content of written ranges is gone.
 *  @return 0, or -1 with `err`. */
HVK_API int hrl_apply_io(struct hv_io *disk, const hrl_set *set, size_t point,
                         const struct hrl_progress *progress, struct hrl_restore_stats *stats,
                         struct hv_err *err);

/*! hrl_apply_vhdx() : the same into an image opened with vhdx_open_rw(), so
 *  every change goes through the VHDX log (crash-safe). Closing `w` is the
 *  caller's job. @return 0, or -1 with `err`. */
HVK_API int hrl_apply_vhdx(vhdx_rw *w, const hrl_set *set, size_t point,
                           const struct hrl_progress *progress, struct hrl_restore_stats *stats,
                           struct hv_err *err);

/*! hrl_point_digests() :
 *  Tree digest (hv_digest.h) of point 0 (the base) and of every point
 *  1..npoints, computed incrementally: the base is hashed once, then for each
 *  point only the MiB pieces its log touched are rebuilt (base bytes under
 *  the newest write of each sector) and rehashed. cb(ctx, k, root) is called
 *  for k = 0..npoints in order; a non-zero return stops the walk.
 *  `base` supplies the base bytes (hv_vhdx_source for a VHDX chain).
 *  @return 0, cb's non-zero value, or -1 with `err`. */
HVK_API int hrl_point_digests(const struct hv_digest_source *base, uint64_t size, const hrl_set *set,
                              size_t npoints,
                              int (*cb)(void *ctx, size_t point, const uint8_t root[HV_DIGEST_LEN]),
                              void *ctx, const struct hrl_progress *progress, struct hv_err *err);

#endif
