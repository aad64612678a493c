/* convert.c: raw or any VHDX chain (flattened: each run from the topmost
 * layer holding it) into a new raw or VHDX file, written under a temporary
 * name and published on success.
 *
 * Speed comes from touching each byte once and keeping the disk busy:
 *  - only data is visited: extents of a raw input from SEEK_DATA/SEEK_HOLE;
 *    present runs of a VHDX input from vhdx_map(), thinned by the holes the
 *    layer's file has inside them (hv_data_next: qemu-img leaves the unwritten
 *    part of a block as a hole), so holes are never read;
 *  - the input is mapped (raw: mmap of the file; VHDX: vhdx_run_data), so the
 *    zero check reads the page cache in place and write() copies straight
 *    from it: one copy instead of read() + write();
 *  - all-zero 4 KiB pages (hv_zero_run) are not written (holes in raw output;
 *    VHDX blocks that only ever see zeros are never allocated); the rest goes
 *    out in writes of up to 8 MiB;
 *  - write-back is started every 32 MiB (hv_io_writeback), so the final
 *    fdatasync that crash safety needs finds little left to write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv_zero.h"
#include "write_int.h"

#define PAGE HV_ZERO_UNIT     /* zero-check unit and hole granularity (qemu-img's -S default) */
#define MAX_LAYERS (VHDX_MAX_CHAIN_DEPTH + 1)
#define WRITE_MAX (8u * MiB)  /* largest single write */
#define BOUNCE (8u * MiB)     /* VHDX runs not wholly inside the file are read through this */
#define WRITEBACK_STEP (32 * MiB)

struct source {
    vhdx *img;         /* VHDX input, or NULL for raw */
    int fd;            /* raw input */
    struct hv_map map; /* raw input */
    uint64_t size;
    uint32_t lss;
    int layer_fd[MAX_LAYERS]; /* VHDX input: each layer's file, for its holes; -1 if not */
};

static int is_vhdx_file(int fd)
{
    uint8_t sig[8] = { 0 };
    return pread(fd, sig, 8, 0) == 8 && vhdx_probe(sig, 8) > 0;
}

static int source_open(struct source *s, const char *in, const struct vhdx_convert_params *p,
                       struct hv_err *e)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < MAX_LAYERS; i++)
        s->layer_fd[i] = -1;
    s->fd = open(in, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        hv_err_file(e, in);
        return errno == ENOENT ? hv_failx(e, HV_NOTFOUND, "open", "no such file")
                               : hv_fail_errno(e, errno, "open", "cannot open");
    }
    if (is_vhdx_file(s->fd)) {
        if (vhdx_open(in, p->open_opts, &s->img, e) != 0)
            return -1;
        s->size = vhdx_virtual_size(s->img);
        s->lss = vhdx_logical_sector_size(s->img);
        vhdx_advise_sequential(s->img);
        int L = 0;
        for (const vhdx *l = s->img; l && L < MAX_LAYERS; l = vhdx_parent(l), L++)
            s->layer_fd[L] = open(vhdx_path(l), O_RDONLY | O_CLOEXEC);
        return 0;
    }
    s->size = (uint64_t)lseek(s->fd, 0, SEEK_END); /* also right for block devices */
    s->lss = p->logical_sector_size ? p->logical_sector_size : 512;
    if (s->size == 0)
        return 0;
    void *m = mmap(NULL, (size_t)s->size, PROT_READ, MAP_SHARED, s->fd, 0);
    if (m == MAP_FAILED) {
        hv_err_file(e, in);
        return hv_fail_errno(e, errno, "map", "mmap");
    }
    s->map.p = m;
    s->map.len = (size_t)s->size;
    (void)madvise(m, s->map.len, MADV_SEQUENTIAL); /* a hint: readahead for a cold input */
    return 0;
}

static void source_close(struct source *s)
{
    vhdx_close(s->img);
    hv_unmap(&s->map);
    if (s->fd >= 0)
        close(s->fd);
    for (int i = 0; i < MAX_LAYERS; i++)
        if (s->layer_fd[i] >= 0)
            close(s->layer_fd[i]);
}

/* Where converted data goes. */
struct sink {
    vhdx_builder *b;       /* VHDX output (starts its own write-back) */
    struct hv_io *io;      /* raw output */
    uint64_t unkicked;     /* raw: bytes written since write-back was last started */
    char tmp[4096];
};

static int sink_open(struct sink *k, const char *out, const struct source *s, uint32_t bs,
                     const struct vhdx_convert_params *p, struct hv_err *e)
{
    memset(k, 0, sizeof *k);
    if (p->out_format == VHDX_CONVERT_VHDX) {
        if (s->size % s->lss)
            return hv_failx(e, HV_USAGE, "convert", "input size %llu is not a multiple of the %u-byte logical sector",
                            (unsigned long long)s->size, s->lss);
        struct vhdx_build_params bp = { .type = p->type == VHDX_TYPE_FIXED ? VHDX_TYPE_FIXED : VHDX_TYPE_DYNAMIC,
                                        .virtual_size = s->size, .block_size = bs,
                                        .logical_sector_size = s->lss,
                                        .physical_sector_size = s->img ? vhdx_physical_sector_size(s->img) : 0 };
        return vhdx_builder_begin(out, &bp, &k->b, e);
    }
    if (access(out, F_OK) == 0) {
        hv_err_file(e, out);
        return hv_failx(e, HV_EXISTS, "create", "file exists; refusing to overwrite");
    }
    if (hv_tmp_sibling(out, k->tmp, sizeof k->tmp, e) || hv_io_open_file(k->tmp, HV_IO_CREATE, &k->io, e))
        return -1;
    return hv_io_truncate(k->io, s->size, e);
}

static int sink_put(struct sink *k, const uint8_t *buf, size_t len, uint64_t off, struct hv_err *e)
{
    if (k->b)
        return vhdx_builder_write(k->b, buf, len, off, e);
    if (hv_io_pwrite(k->io, buf, len, off, e) != 0)
        return -1;
    k->unkicked += len;
    if (k->unkicked >= WRITEBACK_STEP) {
        hv_io_writeback(k->io, 0, 0);
        k->unkicked = 0;
    }
    return 0;
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
        rc = hv_publish_tmp(k->tmp, out, e);
    if (rc != 0)
        unlink(k->tmp);
    return rc;
}

/* One conversion in progress. */
struct conv {
    struct source *s;
    struct sink *k;
    const struct vhdx_convert_params *p;
    uint8_t *bounce;
    struct hv_err *e;
};

/* Writes the non-zero pages of the len bytes at p (virtual offset off),
 * contiguous ones coalesced into one write (len is at most WRITE_MAX). */
static int put_window(struct conv *c, const uint8_t *p, uint64_t len, uint64_t off)
{
    uint64_t i = 0;
    while (i < len) {
        i += hv_zero_run(p + i, (size_t)(len - i), PAGE, 1);
        if (i >= len)
            break;
        uint64_t n = hv_zero_run(p + i, (size_t)(len - i), PAGE, 0);
        if (c->p->progress)
            c->p->progress(off + i, c->s->size, c->p->progress_ctx);
        if (sink_put(c->k, p + i, (size_t)n, off + i, c->e) != 0)
            return -1;
        i += n;
    }
    return 0;
}

/* put_window() over mapped input, WRITE_MAX at a time, releasing each. */
static int put_data(struct conv *c, const uint8_t *p, uint64_t len, uint64_t off, int mapped)
{
    for (uint64_t w = 0; w < len; w += WRITE_MAX) {
        uint64_t n = len - w < WRITE_MAX ? len - w : WRITE_MAX;
        if (put_window(c, p + w, n, off + w) != 0)
            return -1;
        if (mapped)
            hv_map_release(p + w, n);
    }
    return 0;
}

/* Raw input: only the data extents (SEEK_DATA/SEEK_HOLE; a file system
 * without them reports one extent, which the zero check then thins). */
static int copy_raw(struct conv *c)
{
    struct source *s = c->s;
    uint64_t d, h;
    for (uint64_t at = 0; hv_data_next(s->fd, at, s->size, &d, &h); at = h)
        if (put_data(c, s->map.p + d, h - d, d, 1) != 0)
            return -1;
    return 0;
}

/* VHDX input: present runs, from the mapping when wholly inside the file. */
static int on_run(const struct vhdx_run *run, void *ctx)
{
    struct conv *c = ctx;
    if (run->layer < 0)
        return 0;
    const uint8_t *p = vhdx_run_data(c->s->img, run);
    int fd = run->layer < MAX_LAYERS ? c->s->layer_fd[run->layer] : -1;
    if (p && fd < 0)
        return put_data(c, p, run->len, run->voff, 1);
    uint64_t end = run->file_off + run->len, d, h;
    for (uint64_t at = run->file_off; p && hv_data_next(fd, at, end, &d, &h); at = h)
        if (put_data(c, p + (d - run->file_off), h - d, run->voff + (d - run->file_off), 1) != 0)
            return -1;
    if (p)
        return 0;
    for (uint64_t done = 0; done < run->len;) { /* log-extended tail: vhdx_read zero-fills */
        uint64_t n = run->len - done < BOUNCE ? run->len - done : BOUNCE;
        if (vhdx_read(c->s->img, c->bounce, (size_t)n, run->voff + done, c->e) != 0 ||
            put_data(c, c->bounce, n, run->voff + done, 0) != 0)
            return -1;
        done += n;
    }
    return 0;
}

static int copy_data(struct source *s, struct sink *k, const struct vhdx_convert_params *p,
                     struct hv_err *e)
{
    struct conv c = { s, k, p, NULL, e };
    if (!s->img)
        return copy_raw(&c);
    c.bounce = malloc(BOUNCE);
    if (!c.bounce)
        return hv_failx(e, HV_NOMEM, "convert", "out of memory");
    int rc = vhdx_map(s->img, on_run, &c, e) == 0 ? 0 : -1;
    free(c.bounce);
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
    int rc = source_open(&s, in, p, e);
    if (rc == 0)
        rc = sink_open(&k, out, &s, bs, p, e);
    if (rc == 0)
        rc = copy_data(&s, &k, p, e);
    if (k.b || k.io)
        rc = sink_finish(&k, out, rc == 0, e) == 0 ? rc : -1;
    source_close(&s);
    return rc;
}
