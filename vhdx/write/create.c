/* create.c: an empty fixed, dynamic or differencing image ([MS-VHDX] 2.6,
 * docs/vhdx-format.md §7.6, §8.5) in one call, through the builder. */
#include "write_int.h"

int vhdx_create(const char *path, const struct vhdx_build_params *p, struct hv_err *e)
{
    vhdx_builder *b;
    if (vhdx_builder_begin(path, p, &b, e) != 0)
        return -1;
    /* fixed: the builder allocates every block; others: all NOT_PRESENT */
    return vhdx_builder_finish(b, e);
}
