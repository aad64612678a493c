/* hv_io.c: the real-file implementation of hv_io, and read-only maps. */
#define _GNU_SOURCE
#include "hv_io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_ctx {
    int fd;
};

static int fd_of(struct hv_io *io)
{
    return ((struct file_ctx *)io->ctx)->fd;
}

static int file_pread(struct hv_io *io, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd_of(io), p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hv_fail_errno(e, errno, "read", "at offset %llu", (unsigned long long)off);
        if (n == 0) /* past the end of the file: reads as zeros (a hole) */
        {
            memset(p, 0, len);
            return 0;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int file_pwrite(struct hv_io *io, const void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd_of(io), p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hv_fail_errno(e, errno, "write", "at offset %llu", (unsigned long long)off);
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int file_flush(struct hv_io *io, struct hv_err *e)
{
    if (fdatasync(fd_of(io)) != 0)
        return hv_fail_errno(e, errno, "flush", "fdatasync");
    return 0;
}

static int file_truncate(struct hv_io *io, uint64_t size, struct hv_err *e)
{
    if (ftruncate(fd_of(io), (off_t)size) != 0)
        return hv_fail_errno(e, errno, "resize", "to %llu bytes", (unsigned long long)size);
    return 0;
}

static int file_size(struct hv_io *io, uint64_t *size, struct hv_err *e)
{
    struct stat st;
    if (fstat(fd_of(io), &st) != 0)
        return hv_fail_errno(e, errno, "stat", "fstat");
    *size = (uint64_t)st.st_size;
    return 0;
}

static void file_close(struct hv_io *io)
{
    close(fd_of(io));
    free(io->ctx);
    free(io);
}

static const struct hv_io_ops file_ops = {
    file_pread, file_pwrite, file_flush, file_truncate, file_size, file_close,
};

/* Wraps an open descriptor (owned by the io from here on). */
static int io_wrap(int fd, const char *path, struct hv_io **out, struct hv_err *e)
{
    struct hv_io *io = calloc(1, sizeof *io);
    struct file_ctx *ctx = calloc(1, sizeof *ctx);
    if (!io || !ctx) {
        free(io);
        free(ctx);
        close(fd);
        return hv_failx(e, HV_NOMEM, "open", "out of memory");
    }
    ctx->fd = fd;
    io->ops = &file_ops;
    io->ctx = ctx;
    snprintf(io->path, sizeof io->path, "%s", path);
    *out = io;
    return 0;
}

/* Opens without blocking (a FIFO or a device would otherwise wait for a
 * peer), refuses anything that is not a regular file or block device, then
 * clears O_NONBLOCK. Returns the fd, or -1 with e naming the file. */
static int open_regular(const char *path, int flags, struct hv_err *e)
{
    int fd = open(path, flags | O_NONBLOCK, 0644);
    if (fd < 0) {
        hv_err_file(e, path);
        if (errno == EEXIST)
            return hv_failx(e, HV_EXISTS, "open", "file exists");
        if (errno == ENOENT)
            return hv_failx(e, HV_NOTFOUND, "open", "no such file");
        return hv_fail_errno(e, errno, "open", "cannot open");
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        hv_err_file(e, path);
        return hv_fail_errno(e, err, "stat", "fstat");
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(fd);
        hv_err_file(e, path);
        return hv_failx(e, HV_USAGE, "open", "not a regular file (%s)",
                        S_ISFIFO(st.st_mode)   ? "a FIFO"
                        : S_ISDIR(st.st_mode)  ? "a directory"
                        : S_ISCHR(st.st_mode)  ? "a character device"
                        : S_ISSOCK(st.st_mode) ? "a socket"
                                               : "a special file");
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int hv_io_open_file(const char *path, int mode, struct hv_io **out, struct hv_err *e)
{
    int flags = O_CLOEXEC;
    if (mode == HV_IO_READ)
        flags |= O_RDONLY;
    else if (mode == HV_IO_WRITE)
        flags |= O_RDWR | O_NOFOLLOW;
    else
        flags |= O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW;
    int fd = open_regular(path, flags, e);
    if (fd < 0)
        return -1;
    return io_wrap(fd, path, out, e);
}

int hv_io_from_fd(int fd, const char *path, struct hv_io **out, struct hv_err *e)
{
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
        hv_err_file(e, path);
        return hv_fail_errno(e, errno, "open", "cannot duplicate the descriptor");
    }
    return io_wrap(own, path, out, e);
}

void hv_io_writeback(struct hv_io *io, uint64_t off, uint64_t len)
{
    if (io && io->ops == &file_ops)
        (void)sync_file_range(fd_of(io), (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
}

int hv_io_allocate(struct hv_io *io, uint64_t off, uint64_t len, struct hv_err *e)
{
    uint64_t size;
    if (hv_io_size(io, &size, e) != 0)
        return -1;
    if (io->ops == &file_ops && len > 0) {
        int rc = posix_fallocate(fd_of(io), (off_t)off, (off_t)len);
        if (rc == 0)
            return 0;
        if (rc != EOPNOTSUPP && rc != EINVAL)
            return hv_fail_errno(e, rc, "allocate", "%llu bytes at offset %llu",
                                 (unsigned long long)len, (unsigned long long)off);
    }
    return size < off + len ? hv_io_truncate(io, off + len, e) : 0;
}

int hv_io_lock(struct hv_io *io, struct hv_err *e)
{
    if (io->ops != &file_ops)
        return 0;
    while (flock(fd_of(io), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            return hv_failx(e, HV_IO, "lock", "in use by another hvkit process");
        return hv_fail_errno(e, errno, "lock", "flock");
    }
    return 0;
}

void hv_io_close(struct hv_io *io)
{
    if (io)
        io->ops->close(io);
}

int hv_map_fd(int fd, const char *path, struct hv_map *m, struct hv_err *e)
{
    m->p = NULL;
    m->len = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        hv_err_file(e, path);
        return hv_fail_errno(e, errno, "stat", "fstat");
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        hv_err_file(e, path);
        return hv_failx(e, HV_USAGE, "open", "not a regular file");
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            hv_err_file(e, path);
            return hv_fail_errno(e, errno, "map", "mmap");
        }
        m->p = p;
        m->len = (size_t)st.st_size;
    }
    return 0;
}

int hv_map_file(const char *path, struct hv_map *m, struct hv_err *e)
{
    m->p = NULL;
    m->len = 0;
    int fd = open_regular(path, O_RDONLY | O_CLOEXEC, e);
    if (fd < 0)
        return -1;
    int rc = hv_map_fd(fd, path, m, e);
    close(fd);
    return rc;
}

int hv_io_map(struct hv_io *io, struct hv_map *m, struct hv_err *e)
{
    m->p = NULL;
    m->len = 0;
    if (!io || io->ops != &file_ops)
        return hv_failx(e, HV_UNSUPPORTED, "map", "not a file");
    return hv_map_fd(fd_of(io), io->path, m, e);
}

void hv_unmap(struct hv_map *m)
{
    if (m && m->p)
        munmap((void *)(uintptr_t)m->p, m->len);
    if (m) {
        m->p = NULL;
        m->len = 0;
    }
}

int hv_fsync_dir_of(const char *path, struct hv_err *e)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hv_fail_errno(e, errno, "open", "directory '%s'", dir);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0)
        return hv_fail_errno(e, err, "flush", "directory '%s'", dir);
    return 0;
}

void hv_map_release(const void *p, uint64_t len)
{
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1), b = ((uintptr_t)p + len) & ~(pg - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_DONTNEED);
}
