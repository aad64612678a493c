/* crash_io.h: a recording hv_io that simulates power loss (SQLite test6 shape).
 *
 * The file lives in memory as two images: `durable` (what survived the last
 * flush) and the current view that reads see. Writes and resizes since the
 * last flush sit in an ordered pending list. On flush number `crash_at`
 * (1-based; 0 = never) the recorder "loses power": each pending operation is,
 * per a seeded RNG, applied, dropped, or (writes only) torn at 512 B or 4 KiB
 * granularity, into `durable`; every later call then fails with HV_IO. The
 * same seed and crash point give the same durable image, so sweeps are
 * reproducible.
 */
#ifndef CRASH_IO_H
#define CRASH_IO_H

#include <stddef.h>
#include <stdint.h>

#include "hv_io.h"

struct crash_io_stats {
    unsigned flushes;  /* flushes seen (including the crashing one) */
    int crashed;       /* 1 once power was lost */
};

/* A recorder starting from `len` bytes of `init` (copied). `crash_at` as above;
 * `seed` drives the fate of pending writes. Returns NULL when out of memory. */
struct hv_io *crash_io_new(const uint8_t *init, size_t len, unsigned crash_at, uint64_t seed);
/* After the run: the durable image (owned by the recorder) and its length. */
const uint8_t *crash_io_durable(struct hv_io *io, size_t *len);
void crash_io_get_stats(struct hv_io *io, struct crash_io_stats *st);

#endif
