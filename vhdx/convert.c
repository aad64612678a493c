/* convert.c: raw or any VHDX chain (flattened through vhdx_read) into a new
 * raw or VHDX file, written under a temporary name and published on success.
 *
 * Speed comes from not touching what is known to be zero: holes of a raw
 * input are found with SEEK_DATA, unallocated runs of a VHDX input with
 * vhdx_map(); what is read is zero-checked with a vectorised memcmp, and
 * all-zero blocks are not stored (VHDX) or left as holes (raw).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "write_int.h"

#define RAW_PAGE 4096 /* granularity of holes in raw output (qemu-img's -S default) */
#define CHUNK (1024 * 1024) /* read/check/write unit: small enough to stay in cache */

struct source {
    vhdx *img;         /* VHDX input, or NULL for raw */
    int fd;            /* raw input */
    uint64_t size;
    uint32_t lss;
    uint8_t *maybe;    /* per block of `bs`: 1 = may hold non-zero bytes */
    uint32_t bs;
    uint64_t blocks;
};

static int all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int is_vhdx_file(int fd)
{
    uint8_t sig[8] = { 0 };
    return pread(fd, sig, 8, 0) == 8 && vhdx_probe(sig, 8) > 0;
}

/* Marks the blocks touched by [off, off+len) as maybe holding data. */
static void mark(struct source *s, uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    for (uint64_t b = off / s->bs; b <= (off + len - 1) / s->bs && b < s->blocks; b++)
        s->maybe[b] = 1;
}

static void mark_raw_data(struct source *s)
{
    off_t pos = 0;
    while ((uint64_t)pos < s->size) {
        off_t data = lseek(s->fd, pos, SEEK_DATA);
        if (data < 0) /* ENXIO: only a hole remains; other errors: assume data */
        {
            if (errno != ENXIO)
                mark(s, (uint64_t)pos, s->size - (uint64_t)pos);
            return;
        }
        off_t hole = lseek(s->fd, data, SEEK_HOLE);
        if (hole < 0)
            hole = (off_t)s->size;
        mark(s, (uint64_t)data, (uint64_t)(hole - data));
        pos = hole;
    }
}

static int map_cb(const struct vhdx_run *run, void *ctx)
{
    if (run->layer >= 0)
        mark(ctx, run->voff, run->len);
    return 0;
}

static int source_open(struct source *s, const char *in, const struct vhdx_convert_params *p,
                       uint32_t bs, struct hv_err *e)
{
    memset(s, 0, sizeof *s);
    s->fd = open(in, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        hv_err_file(e, in);
        return errno == ENOENT ? hv_failx(e, HV_NOTFOUND, "open", "no such file")
                               : hv_fail_errno(e, errno, "open", "cannot open");
    }
    s->bs = bs;
    if (is_vhdx_file(s->fd)) {
        if (vhdx_open(in, p->open_opts, &s->img, e) != 0)
            return -1;
        s->size = vhdx_virtual_size(s->img);
        s->lss = vhdx_logical_sector_size(s->img);
    } else {
        s->size = (uint64_t)lseek(s->fd, 0, SEEK_END);
        s->lss = p->logical_sector_size ? p->logical_sector_size : 512;
    }
    s->blocks = (s->size + bs - 1) / bs;
    s->maybe = calloc(s->blocks ? s->blocks : 1, 1);
    if (!s->maybe)
        return hv_failx(e, HV_NOMEM, "convert", "out of memory");
    if (s->img)
        return vhdx_map(s->img, map_cb, s, e) < 0 ? -1 : 0;
    mark_raw_data(s);
    return 0;
}

static void source_close(struct source *s)
{
    vhdx_close(s->img);
    if (s->fd >= 0)
        close(s->fd);
    free(s->maybe);
}

static int source_read(struct source *s, uint8_t *buf, size_t len, uint64_t off, struct hv_err *e)
{
    if (s->img)
        return vhdx_read(s->img, buf, len, off, e);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(s->fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? hv_fail_errno(e, errno, "read", "at offset %llu",
                                         (unsigned long long)(off + done))
                         : hv_failx(e, HV_IO, "read", "input shrank while reading");
        done += (size_t)n;
    }
    return 0;
}

/* Where converted blocks go. */
struct sink {
    vhdx_builder *b;       /* VHDX output */
    struct hv_io *io;      /* raw output */
    char tmp[4096];
};

/* Raw output: writes the non-zero 4 KiB pages of a block, in runs. */
static int raw_put(struct sink *k, const uint8_t *buf, size_t len, uint64_t off, struct hv_err *e)
{
    size_t i = 0;
    while (i < len) {
        size_t n = len - i < RAW_PAGE ? len - i : RAW_PAGE;
        if (all_zero(buf + i, n)) {
            i += n;
            continue;
        }
        size_t start = i;
        while (i < len) {
            n = len - i < RAW_PAGE ? len - i : RAW_PAGE;
            if (all_zero(buf + i, n))
                break;
            i += n;
        }
        if (hv_io_pwrite(k->io, buf + start, i - start, off + start, e) != 0)
            return -1;
    }
    return 0;
}

static int sink_open(struct sink *k, const char *out, const struct source *s,
                     const struct vhdx_convert_params *p, struct hv_err *e)
{
    memset(k, 0, sizeof *k);
    if (p->out_format == VHDX_CONVERT_VHDX) {
        if (s->size % s->lss)
            return hv_failx(e, HV_USAGE, "convert", "input size %llu is not a multiple of the %u-byte logical sector",
                            (unsigned long long)s->size, s->lss);
        struct vhdx_build_params bp = { .type = p->type == VHDX_TYPE_FIXED ? VHDX_TYPE_FIXED : VHDX_TYPE_DYNAMIC,
                                        .virtual_size = s->size, .block_size = s->bs,
                                        .logical_sector_size = s->lss,
                                        .physical_sector_size = s->img ? vhdx_physical_sector_size(s->img) : 0 };
        return vhdx_builder_begin(out, &bp, &k->b, e);
    }
    if (access(out, F_OK) == 0) {
        hv_err_file(e, out);
        return hv_failx(e, HV_EXISTS, "create", "file exists; refusing to overwrite");
    }
    if (tmp_sibling(out, k->tmp, sizeof k->tmp, e) || hv_io_open_file(k->tmp, HV_IO_CREATE, &k->io, e))
        return -1;
    return hv_io_truncate(k->io, s->size, e);
}

static int sink_put(struct sink *k, const uint8_t *buf, size_t len, uint64_t off, struct hv_err *e)
{
    if (k->b)
        return vhdx_builder_write(k->b, buf, len, off, e);
    return raw_put(k, buf, len, off, e);
}

static int sink_finish(struct sink *k, const char *out, int ok, struct hv_err *e)
{
    if (k->b) {
        if (!ok) {
            vhdx_builder_abort(k->b);
            return -1;
        }
        return vhdx_builder_finish(k->b, e);
    }
    if (!k->io)
        return -1;
    int rc = ok ? hv_io_flush(k->io, e) : -1;
    hv_io_close(k->io);
    if (rc == 0)
        rc = publish_tmp(k->tmp, out, e);
    if (rc != 0)
        unlink(k->tmp);
    return rc;
}

/* Copies the non-zero 1 MiB chunks of block b. */
static int copy_block(struct source *s, struct sink *k, uint64_t b, uint8_t *buf, struct hv_err *e)
{
    uint64_t end = (b + 1) * (uint64_t)s->bs < s->size ? (b + 1) * (uint64_t)s->bs : s->size;
    for (uint64_t off = b * (uint64_t)s->bs; off < end; off += CHUNK) {
        size_t len = (size_t)(end - off < CHUNK ? end - off : CHUNK);
        if (source_read(s, buf, len, off, e) != 0)
            return -1;
        if (!all_zero(buf, len) && sink_put(k, buf, len, off, e) != 0)
            return -1;
    }
    return 0;
}

static int copy_blocks(struct source *s, struct sink *k, const struct vhdx_convert_params *p,
                       struct hv_err *e)
{
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "convert", "out of memory");
    int rc = 0;
    for (uint64_t b = 0; b < s->blocks && rc == 0; b++) {
        if (p->progress)
            p->progress(b * s->bs, s->size, p->progress_ctx);
        if (s->maybe[b])
            rc = copy_block(s, k, b, buf, e);
    }
    free(buf);
    return rc;
}

int vhdx_convert(const char *in, const char *out, const struct vhdx_convert_params *p,
                 struct hv_err *e)
{
    uint32_t bs = p->block_size ? p->block_size : (uint32_t)(32 * MiB);
    if (!hv_is_pow2(bs) || bs < MiB || bs > 256 * MiB)
        return hv_failx(e, HV_USAGE, "convert", "block size %u is not a power of two in 1M..256M", bs);
    struct source s;
    struct sink k;
    memset(&k, 0, sizeof k);
    int rc = source_open(&s, in, p, bs, e);
    if (rc == 0)
        rc = sink_open(&k, out, &s, p, e);
    if (rc == 0)
        rc = copy_blocks(&s, &k, p, e);
    if (k.b || k.io)
        rc = sink_finish(&k, out, rc == 0, e) == 0 ? rc : -1;
    source_close(&s);
    return rc;
}
