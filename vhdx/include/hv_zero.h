/* hv_zero.h: where the data is. One zero check and one hole query for every
 * path that copies disk contents (cat, convert, digest, restore, make), so
 * holes are never read or written and all-zero pages stay holes in sparse
 * outputs.
 *
 *   hv_data_next(fd, off, end)   the next data extent of a file (SEEK_DATA/SEEK_HOLE)
 *   hv_zero_run(p, n, unit)      how far the all-zero (or not-all-zero) units reach
 *   hv_is_zero(p, n)             all n bytes zero
 */
#ifndef HV_ZERO_H
#define HV_ZERO_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h" /* HVK_API */

/* The zero-check unit of sparse outputs: a page, qemu-img's -S default. */
#define HV_ZERO_UNIT 4096u

/*! hv_is_zero() : @return non-zero when all n bytes at p are zero. Reads whole
 *  cache lines with wide ORs (vectorised by the compiler) and stops at the
 *  first non-zero line, so random data costs one line per call. */
HVK_API int hv_is_zero(const void *p, size_t n);

/*! hv_zero_run() :
 *  Splits p[0, n) into units of `unit` bytes (the last may be short) and
 *  measures the leading run of units that are all zero (`zero` non-zero) or
 *  that each hold a non-zero byte (`zero` 0).
 *  @return the run's length in bytes (0..n). */
HVK_API size_t hv_zero_run(const void *p, size_t n, size_t unit, int zero);

/*! hv_data_next() :
 *  Finds the first data extent of the file `fd` inside [off, end), as the
 *  file system reports it (SEEK_DATA/SEEK_HOLE): bytes outside it are holes
 *  and read as zeros. A file system that cannot tell reports all of
 *  [off, end) as data.
 *  @return 1 and [*data, *data_end) clipped to [off, end), or 0 when only
 *          holes remain in the range. */
HVK_API int hv_data_next(int fd, uint64_t off, uint64_t end, uint64_t *data, uint64_t *data_end);

#endif
