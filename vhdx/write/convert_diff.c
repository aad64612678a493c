/* convert_diff.c: a disk (raw or VHDX chain) written as a differencing
 * child of a given parent that holds only the blocks where the two differ
 * ([MS-VHDX] 2.5.1: NOT_PRESENT where equal, ZERO where the disk reads
 * zeros over parent data, FULLY_PRESENT otherwise). The child is built
 * under a temporary name and published whole (builder.c). */
#include <stdlib.h>
#include <string.h>

#include "disksrc.h"
#include "hv_zero.h"
#include "vhdx_ops.h"
#include "write_int.h"

/* Block b of the child: skip, ZERO or stored. */
static int put_diff(vhdx_builder *b, struct disksrc *in, struct disksrc *par, uint64_t blk,
                    uint8_t *bi, uint8_t *bp, struct vhdx_convert_diff_report *r, struct hv_err *e)
{
    uint64_t bs = vhdx_builder_block_size(b), off = blk * bs;
    size_t n = in->size - off < bs ? (size_t)(in->size - off) : (size_t)bs;
    int hi = vhdx_src_hole(in, off, n), hp = vhdx_src_hole(par, off, n);
    if (hi && hp)
        return 0;
    if ((!hi && vhdx_src_read(in, bi, n, off, e)) || (!hp && vhdx_src_read(par, bp, n, off, e)))
        return -1;
    if (hi)
        memset(bi, 0, n);
    if (hp)
        memset(bp, 0, n);
    if (memcmp(bi, bp, n) == 0)
        return 0;
    if (hv_is_zero(bi, n)) {
        r->blocks_zero++;
        return vhdx_builder_put_zero(b, blk, e);
    }
    r->blocks_stored++;
    return vhdx_builder_put_block(b, blk, bi, NULL, e);
}

static int build(struct disksrc *in, struct disksrc *par, const char *out, const char *win_path,
                 uint32_t block_size, struct vhdx_convert_diff_report *r, struct hv_err *e)
{
    char *store = malloc(3 * 4096);
    struct vhdx_parent_info pi;
    if (!store)
        return hv_failx(e, HV_NOMEM, "convert", "out of memory");
    if (vhdx_parent_info_from(par->img, out, win_path, &pi, store, 3 * 4096, e) != 0) {
        free(store);
        return -1;
    }
    struct vhdx_build_params bp = { .type = VHDX_TYPE_DIFFERENCING, .block_size = block_size,
                                    .parent = &pi };
    vhdx_builder *b;
    int rc = vhdx_builder_begin(out, &bp, &b, e);
    free(store); /* strings copied by begin */
    if (rc != 0)
        return -1;
    uint64_t bs = vhdx_builder_block_size(b);
    r->blocks = vhdx_builder_blocks(b);
    uint8_t *bi = malloc(bs), *bpar = malloc(bs);
    rc = bi && bpar ? 0 : hv_failx(e, HV_NOMEM, "convert", "out of memory");
    for (uint64_t blk = 0; rc == 0 && blk < r->blocks; blk++)
        rc = put_diff(b, in, par, blk, bi, bpar, r, e);
    free(bi);
    free(bpar);
    if (rc != 0) {
        vhdx_builder_abort(b);
        return -1;
    }
    return vhdx_builder_finish(b, e);
}

int vhdx_convert_diff(const char *in, const char *out, const char *parent, const char *win_path,
                      uint32_t block_size, struct vhdx_convert_diff_report *r, struct hv_err *e)
{
    struct disksrc si, sp;
    memset(r, 0, sizeof *r);
    if (vhdx_src_open(parent, NULL, &sp, e) != 0)
        return -1;
    if (!sp.img) {
        vhdx_src_close(&sp);
        hv_err_file(e, parent);
        return hv_failx(e, HV_FORMAT, "parent", "not a VHDX file");
    }
    if (vhdx_src_open(in, NULL, &si, e) != 0) {
        vhdx_src_close(&sp);
        return -1;
    }
    int rc = 0;
    if (si.size != sp.size) {
        hv_err_file(e, in);
        rc = hv_failx(e, HV_MISMATCH, "convert", "virtual size %llu differs from the parent's %llu",
                      (unsigned long long)si.size, (unsigned long long)sp.size);
    } else
        rc = build(&si, &sp, out, win_path, block_size, r, e);
    vhdx_src_close(&si);
    vhdx_src_close(&sp);
    return rc;
}
