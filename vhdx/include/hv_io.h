/* hv_io.h: how hvkit touches files.
 *
 * Readers map files read-only (hv_map) and parse the mapped bytes through
 * hv_span. Writers never store through a mapping: every write, flush, resize
 * goes through a struct hv_io held in the handle (no globals), so tests can
 * substitute a recorder that simulates power cuts (tests/crash) or injects
 * errors.
 */
#ifndef HV_IO_H
#define HV_IO_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

struct hv_io;

struct hv_io_ops {
    int (*pread)(struct hv_io *io, void *buf, size_t len, uint64_t off, struct hv_err *e);
    int (*pwrite)(struct hv_io *io, const void *buf, size_t len, uint64_t off, struct hv_err *e);
    int (*flush)(struct hv_io *io, struct hv_err *e);
    int (*truncate)(struct hv_io *io, uint64_t size, struct hv_err *e);
    int (*size)(struct hv_io *io, uint64_t *size, struct hv_err *e);
    void (*close)(struct hv_io *io); /* frees io */
};

struct hv_io {
    const struct hv_io_ops *ops;
    void *ctx;
    char path[512];
};

enum {
    HV_IO_READ = 0,
    HV_IO_WRITE = 1,      /* open an existing file read-write */
    HV_IO_CREATE = 2,     /* create; fail if it exists (O_EXCL) */
};

/* Opens a real file (never blocking; only regular files and block devices).
 * Returns 0 and *out, or -1 with e naming the file. */
HVK_API int hv_io_open_file(const char *path, int mode, struct hv_io **out, struct hv_err *e);
HVK_API void hv_io_close(struct hv_io *io); /* accepts NULL */
/* The same over an open descriptor (read-write for writers); the io keeps its
 * own duplicate, so the caller still closes `fd`. `path` names it in messages. */
HVK_API int hv_io_from_fd(int fd, const char *path, struct hv_io **out, struct hv_err *e);

static inline int hv_io_pread(struct hv_io *io, void *b, size_t n, uint64_t off, struct hv_err *e)
{
    return io->ops->pread(io, b, n, off, e);
}
static inline int hv_io_pwrite(struct hv_io *io, const void *b, size_t n, uint64_t off, struct hv_err *e)
{
    return io->ops->pwrite(io, b, n, off, e);
}
static inline int hv_io_flush(struct hv_io *io, struct hv_err *e)
{
    return io->ops->flush(io, e);
}
static inline int hv_io_truncate(struct hv_io *io, uint64_t size, struct hv_err *e)
{
    return io->ops->truncate(io, size, e);
}
static inline int hv_io_size(struct hv_io *io, uint64_t *size, struct hv_err *e)
{
    return io->ops->size(io, size, e);
}

/* Starts write-back of [off, off+len) (len 0: to the end of the file) without
 * waiting for it, so a later flush finds little left to write: writers that
 * end with a flush call it every few MiB to overlap the disk with their own
 * work. A hint: a no-op for non-file io and where the kernel refuses. */
HVK_API void hv_io_writeback(struct hv_io *io, uint64_t off, uint64_t len);

/* Makes [off, off+len) of the file really allocated (posix_fallocate), so a
 * fixed image holds its space up front; the file grows to off+len if
 * shorter. Filesystems without fallocate and non-file io only extend the
 * size. Does not flush. @return 0, or -1 with e (HV_IO, e.g. disk full). */
HVK_API int hv_io_allocate(struct hv_io *io, uint64_t off, uint64_t len, struct hv_err *e);

/* Takes an exclusive advisory lock (flock) on the file without waiting, so
 * two hvkit processes never modify one file; released when io is closed.
 * A no-op for non-file io. @return 0, or -1 with e (HV_IO "in use"). */
HVK_API int hv_io_lock(struct hv_io *io, struct hv_err *e);

/* A read-only memory map of a whole file. Empty files map to len 0. */
struct hv_map {
    const uint8_t *p;
    size_t len;
};

/* Opens with O_NONBLOCK and refuses what is not a regular file (or block
 * device), naming `path`: a FIFO named by a parent locator must not hang. */
HVK_API int hv_map_file(const char *path, struct hv_map *m, struct hv_err *e);
/* The same over an open descriptor (not closed); `path` names it in messages. */
HVK_API int hv_map_fd(int fd, const char *path, struct hv_map *m, struct hv_err *e);
/*! hv_io_map() : a read-only map of the file behind `io` as it is now.
 *  @return 0, or -1 with e (HV_UNSUPPORTED when `io` is not a file). */
HVK_API int hv_io_map(struct hv_io *io, struct hv_map *m, struct hv_err *e);
HVK_API void hv_unmap(struct hv_map *m); /* accepts a zeroed map */
/* Drops the whole pages of [p, p+len) of a read-only mapping from this
 * process (they stay in the page cache): a long sequential pass over a map
 * keeps peak memory independent of the file size. */
HVK_API void hv_map_release(const void *p, uint64_t len);

/* Writes the whole of `path`'s containing directory entry durably (fsync of
 * the directory), after a rename. */
HVK_API int hv_fsync_dir_of(const char *path, struct hv_err *e);

#endif
