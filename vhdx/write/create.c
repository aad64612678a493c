/* create.c: an empty fixed, dynamic or differencing image ([MS-VHDX] 2.6,
 * docs/vhdx-format.md §7.6, §8.5) in one call, through the builder. */
#include "write_int.h"

/* A fixed image holds its space from the start (New-VHD -Fixed): the
 * builder leaves zero blocks as holes, so they are allocated here. */
static int allocate_all(const char *path, struct hv_err *e)
{
    struct hv_io *io;
    uint64_t size;
    if (hv_io_open_file(path, HV_IO_WRITE, &io, e) != 0)
        return -1;
    int rc = hv_io_size(io, &size, e) || hv_io_allocate(io, 0, size, e) || hv_io_flush(io, e);
    hv_io_close(io);
    return rc ? -1 : 0;
}

int vhdx_create(const char *path, const struct vhdx_build_params *p, struct hv_err *e)
{
    vhdx_builder *b;
    if (vhdx_builder_begin(path, p, &b, e) != 0)
        return -1;
    /* fixed: the builder allocates every block; others: all NOT_PRESENT */
    if (vhdx_builder_finish(b, e) != 0)
        return -1;
    return p->type == VHDX_TYPE_FIXED ? allocate_all(path, e) : 0;
}
