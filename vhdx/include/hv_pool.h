/* hv_pool.h: the one way hvkit runs work in parallel. A parallel loop over
 * independent items: worker threads (and the calling thread) claim items one
 * at a time, in order, until none is left. When a thread cannot be started
 * the others do its share, so the loop always completes. */
#ifndef HVK_HV_POOL_H
#define HVK_HV_POOL_H

#include <stddef.h>

#include "hv_err.h"

/* Upper bound on threads a loop uses, whatever the machine has. */
#define HV_POOL_MAX_THREADS 16

/*! hv_cpu_count() : online processors, clamped to [1, max] (max 0 = no clamp
 *  beyond HV_POOL_MAX_THREADS). */
HVK_API unsigned hv_cpu_count(unsigned max);

/*! hv_parallel_for() :
 *  Calls fn(ctx, i) once for every i in [0, n), on up to `threads` threads
 *  including the caller (0 = hv_cpu_count(0)). fn must only touch what item i
 *  owns, or synchronise itself. Returns when every item is done. */
HVK_API void hv_parallel_for(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx);

#endif
