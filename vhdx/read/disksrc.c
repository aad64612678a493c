/* disksrc.c: VHDX chain or raw image as one readable virtual disk, with its
 * data runs (see disksrc.h). */
#define _GNU_SOURCE
#include "disksrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_run(struct disksrc *s, uint64_t off, uint64_t len)
{
    if (s->n && s->runs[s->n - 1].off + s->runs[s->n - 1].len == off) {
        s->runs[s->n - 1].len += len;
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct src_run *r = realloc(s->runs, cap * sizeof *r);
        if (!r)
            return -1;
        s->runs = r;
        s->cap = cap;
    }
    s->runs[s->n++] = (struct src_run){ off, len };
    return 0;
}

static int map_cb(const struct vhdx_run *r, void *ctx)
{
    if (r->layer < 0 || (r->state != VHDX_BLOCK_FULLY_PRESENT &&
                         r->state != VHDX_BLOCK_PARTIALLY_PRESENT))
        return 0;
    return add_run(ctx, r->voff, r->len) ? 1 : 0;
}

static int raw_runs(struct disksrc *s, struct hv_err *e)
{
    off_t at = 0;
    while ((uint64_t)at < s->size) {
        off_t d = lseek(s->fd, at, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            break;
        if (d < 0) /* no SEEK_DATA here: all of it may be data */
            return add_run(s, 0, s->size) ? hv_failx(e, HV_NOMEM, "read", "out of memory") : 0;
        off_t h = lseek(s->fd, d, SEEK_HOLE);
        if (h < 0)
            h = (off_t)s->size;
        if (add_run(s, (uint64_t)d, (uint64_t)(h - d)) != 0)
            return hv_failx(e, HV_NOMEM, "read", "out of memory");
        at = h;
    }
    return 0;
}

static int open_raw(const char *path, struct disksrc *s, struct hv_err *e)
{
    struct stat st;
    if (fstat(s->fd, &st) != 0)
        return hv_fail_errno(e, errno, "stat", "fstat");
    s->size = (uint64_t)st.st_size;
    (void)path;
    return raw_runs(s, e);
}

static int open_vhd(const char *path, struct disksrc *s, struct hv_err *e)
{
    if (vhdx_vhd_open(path, 0, &s->vhd, e) != 0)
        return -1;
    struct vhd_info in;
    vhdx_vhd_get_info(s->vhd, &in);
    s->size = in.virtual_size;
    if (!in.block_size)
        return add_run(s, 0, s->size) ? hv_failx(e, HV_NOMEM, "read", "out of memory") : 0;
    for (uint64_t b = 0; b < in.blocks; b++) {
        uint64_t off = b * in.block_size;
        uint64_t len = s->size - off < in.block_size ? s->size - off : in.block_size;
        if (vhdx_vhd_block_used(s->vhd, b) && add_run(s, off, len) != 0)
            return hv_failx(e, HV_NOMEM, "read", "out of memory");
    }
    return 0;
}

int vhdx_src_open(const char *path, const struct vhdx_open_opts *o, struct disksrc *s,
                  struct hv_err *e)
{
    memset(s, 0, sizeof *s);
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        hv_err_file(e, path);
        return errno == ENOENT ? hv_failx(e, HV_NOTFOUND, "open", "no such file")
                               : hv_fail_errno(e, errno, "open", "cannot open");
    }
    uint8_t sig[8];
    int is_vhdx = pread(s->fd, sig, 8, 0) == 8 && vhdx_probe(sig, 8) > 0;
    int rc;
    if (!is_vhdx && vhdx_vhd_probe_file(path)) {
        close(s->fd);
        s->fd = -1;
        rc = open_vhd(path, s, e);
    } else if (!is_vhdx)
        rc = open_raw(path, s, e);
    else {
        close(s->fd);
        s->fd = -1;
        rc = vhdx_open(path, o, &s->img, e);
        if (rc == 0) {
            s->size = vhdx_virtual_size(s->img);
            s->block_size = vhdx_block_size(s->img);
            rc = vhdx_map(s->img, map_cb, s, e) ? -1 : 0;
            if (rc)
                hv_failx(e, HV_NOMEM, "map", "out of memory");
        }
    }
    if (rc != 0) {
        hv_err_file(e, path);
        vhdx_src_close(s);
    }
    return rc;
}

void vhdx_src_close(struct disksrc *s)
{
    vhdx_close(s->img);
    vhdx_vhd_close(s->vhd);
    if (s->fd >= 0)
        close(s->fd);
    free(s->runs);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

int vhdx_src_read(struct disksrc *s, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    size_t n = off >= s->size ? 0 : s->size - off < len ? (size_t)(s->size - off) : len;
    memset((uint8_t *)buf + n, 0, len - n);
    if (n == 0)
        return 0;
    if (s->img)
        return vhdx_read(s->img, buf, n, off, e);
    if (s->vhd)
        return vhdx_vhd_read(s->vhd, buf, n, off, e);
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hv_fail_errno(e, errno, "read", "at offset %llu", (unsigned long long)off);
        if (r == 0) {
            memset(p, 0, n);
            break;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int vhdx_src_hole(struct disksrc *s, uint64_t off, uint64_t len)
{
    /* callers walk forward: resume from the last run looked at */
    if (s->hint > s->n || (s->hint > 0 && s->runs[s->hint - 1].off + s->runs[s->hint - 1].len > off))
        s->hint = 0;
    while (s->hint < s->n && s->runs[s->hint].off + s->runs[s->hint].len <= off)
        s->hint++;
    return s->hint == s->n || s->runs[s->hint].off >= off + len;
}
