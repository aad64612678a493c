/* sparse_copy.c: copy a file's data extents, leaving its holes as holes. */
#define _GNU_SOURCE
#include "sparse_copy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_bytes.h"

#define SC_PIECE (16u << 20) /* progress and checkpoint granularity, copy_file_range request size */
#define SC_BUF (1u << 20)    /* fallback buffer */

struct sc_state {
    int in, out;
    const struct sparse_copy_opts *opts;
    struct sparse_copy_stats *st;
    uint64_t total;
    int use_cfr; /* copy_file_range still worth trying */
    uint8_t *buf;
    struct hv_err *e;
};

static int report(struct sc_state *s, uint64_t n, uint64_t upto)
{
    s->st->data_bytes += n;
    if (s->opts && s->opts->checkpoint && s->opts->checkpoint(upto, s->opts->ctx))
        return -1;
    if (s->opts && s->opts->fail_after && s->st->data_bytes >= s->opts->fail_after)
        return hv_fail_errno(s->e, EIO, "copy", "injected failure after %llu bytes",
                             (unsigned long long)s->st->data_bytes);
    if (s->opts && s->opts->progress)
        s->opts->progress(s->st->data_bytes, s->total, s->opts->ctx);
    return 0;
}

/* pread/pwrite one piece; all-zero 1 MiB pieces are skipped when `skip_zero`
 * (the target is already sized, so skipping leaves a hole). */
static int copy_rw(struct sc_state *s, uint64_t off, uint64_t len, int skip_zero)
{
    if (!s->buf && !(s->buf = malloc(SC_BUF)))
        return hv_failx(s->e, HV_NOMEM, "copy", "out of memory");
    while (len) {
        size_t n = len < SC_BUF ? (size_t)len : SC_BUF;
        ssize_t r = pread(s->in, s->buf, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hv_fail_errno(s->e, errno, "read", "at offset %llu", (unsigned long long)off);
        if (r == 0)
            return hv_failx(s->e, HV_IO, "read", "file shrank at offset %llu", (unsigned long long)off);
        if (!(skip_zero && hv_all_zero(s->buf, (size_t)r))) {
            for (ssize_t w = 0; w < r;) {
                ssize_t k = pwrite(s->out, s->buf + w, (size_t)(r - w), (off_t)off + w);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k < 0)
                    return hv_fail_errno(s->e, errno, "write", "at offset %llu",
                                         (unsigned long long)(off + (uint64_t)w));
                w += k;
            }
        }
        off += (uint64_t)r;
        len -= (uint64_t)r;
        if (report(s, (uint64_t)r, off))
            return -1;
    }
    return 0;
}

static int copy_extent(struct sc_state *s, uint64_t off, uint64_t len)
{
    while (len && s->use_cfr) {
        size_t want = len < SC_PIECE ? (size_t)len : SC_PIECE;
        loff_t io = (loff_t)off, oo = (loff_t)off;
        ssize_t r = copy_file_range(s->in, &io, s->out, &oo, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
                      errno == EBADF)) {
            s->use_cfr = 0; /* e.g. across file systems on old kernels: fall back */
            break;
        }
        if (r < 0)
            return hv_fail_errno(s->e, errno, "copy", "copy_file_range at offset %llu",
                                 (unsigned long long)off);
        if (r == 0)
            return hv_failx(s->e, HV_IO, "read", "file shrank at offset %llu", (unsigned long long)off);
        off += (uint64_t)r;
        len -= (uint64_t)r;
        if (report(s, (uint64_t)r, off))
            return -1;
    }
    return len ? copy_rw(s, off, len, 0) : 0;
}

int sparse_allocated(int fd, uint64_t *bytes, struct hv_err *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return hv_fail_errno(e, errno, "stat", "fstat");
    *bytes = (uint64_t)st.st_blocks * 512u;
    return 0;
}

int sparse_copy_fd(int in, int out, const struct sparse_copy_opts *opts,
                   struct sparse_copy_stats *st, struct hv_err *e)
{
    struct sparse_copy_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    struct stat sb;
    if (fstat(in, &sb) != 0)
        return hv_fail_errno(e, errno, "stat", "source");
    struct sc_state s = { in, out, opts, st, (uint64_t)sb.st_blocks * 512u, 1, NULL, e };
    uint64_t size = (uint64_t)sb.st_size;
    st->size = size;
    if (s.total > size)
        s.total = size;
    /* Size first: everything not written below stays a hole. */
    if (ftruncate(out, (off_t)size) != 0)
        return hv_fail_errno(e, errno, "resize", "target to %llu bytes", (unsigned long long)size);
    int rc = 0;
    uint64_t off = opts ? opts->start : 0;
    while (off < size) {
        off_t d = lseek(in, (off_t)off, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            break; /* only a hole remains */
        if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
            /* no SEEK_DATA here: read everything, skip zero pieces */
            st->extents++;
            rc = copy_rw(&s, off, size - off, 1);
            break;
        }
        if (d < 0) {
            rc = hv_fail_errno(e, errno, "seek", "SEEK_DATA at %llu", (unsigned long long)off);
            break;
        }
        off_t h = lseek(in, d, SEEK_HOLE);
        if (h < 0) {
            rc = hv_fail_errno(e, errno, "seek", "SEEK_HOLE at %lld", (long long)d);
            break;
        }
        if ((uint64_t)h > size)
            h = (off_t)size;
        st->extents++;
        if ((rc = copy_extent(&s, (uint64_t)d, (uint64_t)(h - d))))
            break;
        off = (uint64_t)h;
    }
    free(s.buf);
    return rc;
}
