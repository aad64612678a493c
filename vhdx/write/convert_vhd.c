/* convert_vhd.c: a VHD (v1) chain into a new VHDX or raw file. The input
 * is read through disksrc (vhd.c), blocks the VHD never allocated are
 * skipped unread, and all-zero MiBs are not written (VHDX blocks stay
 * NOT_PRESENT, raw output keeps holes). New files are published whole. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disksrc.h"
#include "vhdx_ops.h"
#include "write_int.h"

#define CHUNK (1u << 20)

static int nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 1;
    return 0;
}

/* Calls put(ctx, data, n, off) for every non-zero MiB of the disk. */
static int walk(struct disksrc *s, int (*put)(void *, const uint8_t *, size_t, uint64_t, struct hv_err *),
                void *ctx, struct hv_err *e)
{
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "convert", "out of memory");
    int rc = 0;
    for (uint64_t off = 0; rc == 0 && off < s->size; off += CHUNK) {
        size_t n = s->size - off < CHUNK ? (size_t)(s->size - off) : CHUNK;
        if (vhdx_src_hole(s, off, n))
            continue;
        rc = vhdx_src_read(s, buf, n, off, e);
        if (rc == 0 && nonzero(buf, n))
            rc = put(ctx, buf, n, off, e);
    }
    free(buf);
    return rc;
}

static int put_vhdx(void *ctx, const uint8_t *p, size_t n, uint64_t off, struct hv_err *e)
{
    return vhdx_builder_write(ctx, p, n, off, e);
}

static int put_raw(void *ctx, const uint8_t *p, size_t n, uint64_t off, struct hv_err *e)
{
    return hv_io_pwrite(ctx, p, n, off, e);
}

static int to_vhdx(struct disksrc *s, const char *out, const struct vhdx_convert_params *p,
                   struct hv_err *e)
{
    struct vhdx_build_params bp = { .type = p->type, .virtual_size = s->size,
                                    .block_size = p->block_size };
    vhdx_builder *b;
    if (vhdx_builder_begin(out, &bp, &b, e) != 0)
        return -1;
    if (walk(s, put_vhdx, b, e) != 0) {
        vhdx_builder_abort(b);
        return -1;
    }
    return vhdx_builder_finish(b, e);
}

static int to_raw(struct disksrc *s, const char *out, struct hv_err *e)
{
    char tmp[4096];
    struct hv_io *io;
    if (hv_tmp_sibling(out, tmp, sizeof tmp, e) != 0 || hv_io_open_file(tmp, HV_IO_CREATE, &io, e) != 0)
        return -1;
    int rc = walk(s, put_raw, io, e) || hv_io_truncate(io, s->size, e) || hv_io_flush(io, e);
    hv_io_close(io);
    if (rc == 0 && hv_publish_tmp(tmp, out, e) == 0)
        return 0;
    unlink(tmp);
    return -1;
}

int vhdx_convert_vhd(const char *in, const char *out, const struct vhdx_convert_params *p,
                     struct hv_err *e)
{
    struct disksrc s;
    if (vhdx_src_open(in, NULL, &s, e) != 0)
        return -1;
    int rc;
    if (!s.vhd) {
        hv_err_file(e, in);
        rc = hv_failx(e, HV_FORMAT, "VHD footer", "not a VHD file");
    } else if (p->out_format == VHDX_CONVERT_RAW)
        rc = to_raw(&s, out, e);
    else
        rc = to_vhdx(&s, out, p, e);
    vhdx_src_close(&s);
    return rc;
}
