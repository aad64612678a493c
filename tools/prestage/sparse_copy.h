/* sparse_copy.h: copy a file's bytes keeping its holes.
 *
 * Walks the source's data extents with SEEK_DATA/SEEK_HOLE and copies only
 * those (copy_file_range, falling back to 1 MiB pread/pwrite); the target is
 * sized first with ftruncate so every hole stays a hole. File systems without
 * SEEK_DATA report the whole file as one extent; then all-zero 1 MiB pieces
 * are skipped instead, so a copy is never less sparse than cp --sparse=auto.
 * Does not flush: the caller decides when (prestage fsyncs before rename).
 */
#ifndef HVK_SPARSE_COPY_H
#define HVK_SPARSE_COPY_H

#include <stdint.h>

#include "hv_err.h"

struct sparse_copy_opts {
    /* called after each piece; done/total in data bytes (total = allocated estimate) */
    void (*progress)(uint64_t done, uint64_t total, void *ctx);
    void *ctx;
    /* test hook: fail with an I/O error once this many data bytes are written (0 = never) */
    uint64_t fail_after;
    /* resume: [0, start) of `out` is already right; only data at or after it is copied */
    uint64_t start;
    /* called after each piece: every byte before `upto` is copied (may be NULL);
     * non-zero fails the copy */
    int (*checkpoint)(uint64_t upto, void *ctx);
};

struct sparse_copy_stats {
    uint64_t size;       /* file size (both files) */
    uint64_t data_bytes; /* bytes copied */
    uint64_t extents;    /* data extents seen */
};

/* Copies all of `in` to `out` (an empty file opened for writing, or one whose
 * first opts->start bytes are already right and nothing after them).
 * @return 0, or -1 with e (HV_IO). */
int sparse_copy_fd(int in, int out, const struct sparse_copy_opts *opts,
                   struct sparse_copy_stats *st, struct hv_err *e);

/* Bytes a file occupies on disk (st_blocks * 512). @return 0 or -1 with e. */
int sparse_allocated(int fd, uint64_t *bytes, struct hv_err *e);

#endif
