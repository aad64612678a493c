/* hrl_plan.h: last-writer-wins restore planning over an ordered list of writes.
 *
 * Replaying a chain of logs entry by entry copies every superseded write too.
 * The plan instead maps each disk range to the one write whose bytes survive
 * at the end, so a restore copies each final byte once. Entries are sector
 * aligned (checked by the caller), so byte ranges here are sector ranges.
 *
 * Cost: O(n log n) time, O(n) memory in the number of writes (a sweep over
 * start/end events with a max-heap of write indices), independent of the
 * disk size and of the payload bytes.
 */
#ifndef HRL_PLAN_H
#define HRL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

/* One selected log entry, in replay order (index = position in the array). */
struct hrl_write {
    uint64_t off;          /* byte offset on the virtual disk */
    uint64_t len;          /* bytes */
    const uint8_t *data;   /* the payload, len bytes (usually mapped from the log) */
    uint32_t log;          /* position of the log in the chain (0-based) */
    uint64_t entry;        /* entry number within its log (0-based) */
};

/* A disk range whose final content is bytes [src, src+len) of one write. */
struct hrl_extent {
    uint64_t off;
    uint64_t len;
    uint64_t write; /* index into the writes array */
    uint64_t src;   /* offset inside that write's payload */
};

struct hrl_plan {
    struct hrl_extent *ext; /* sorted by off, disjoint, maximal per write */
    size_t count;
    uint64_t bytes;         /* sum of extent lengths: bytes that differ from the base */
};

/*! hrl_plan_build() :
 *  Computes the final owner of every byte written by writes[0..n) (later index
 *  wins). Zero-length writes are ignored.
 *  @return 0 and fills *plan (free with hrl_plan_free), or -1 (NOMEM). */
HVK_API int hrl_plan_build(const struct hrl_write *writes, size_t n, struct hrl_plan *plan,
                           struct hv_err *e);
HVK_API void hrl_plan_free(struct hrl_plan *plan); /* accepts a zeroed plan */

/* Index of the first extent that ends after `off` (count if none). */
HVK_API size_t hrl_plan_find(const struct hrl_plan *plan, uint64_t off);

#endif
