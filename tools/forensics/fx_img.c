/* fx_img.c: a Sleuth Kit image (TSK_IMG_TYPE_EXTERNAL) whose reads go to an
 * fx_source callback, so TSK examines a disk state that exists only as a
 * VHDX chain or a base plus logs. */
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"

/* TSK needs the TSK_IMG_INFO first; the source follows it. */
struct fx_img {
    TSK_IMG_INFO img;
    const struct fx_source *src;
};

static ssize_t img_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    const struct fx_img *fi = (const struct fx_img *)img;
    const struct fx_source *src = fi->src;
    if (off < 0 || (uint64_t)off >= src->size)
        return 0;
    uint64_t avail = src->size - (uint64_t)off;
    if (len > avail)
        len = (size_t)avail;
    if (len == 0)
        return 0;
    if (src->read(src->ctx, buf, len, (uint64_t)off) != 0) {
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("disk read failed at byte %lld", (long long)off);
        return -1;
    }
    return (ssize_t)len;
}

static void img_close(TSK_IMG_INFO *img)
{
    free(img);
}

static void img_stat(TSK_IMG_INFO *img, FILE *f)
{
    fprintf(f, "hvkit disk state, %lld bytes\n", (long long)img->size);
}

TSK_IMG_INFO *fx_img_open(const struct fx_source *src)
{
    struct fx_img *fi = calloc(1, sizeof *fi);
    if (!fi)
        return NULL;
    fi->img.tag = TSK_IMG_INFO_TAG;
    fi->src = src;
    unsigned sector = src->sector ? src->sector : 512;
    TSK_IMG_INFO *img = tsk_img_open_external(fi, (TSK_OFF_T)src->size, sector, img_read, img_close,
                                              img_stat);
    if (!img)
        free(fi);
    return img;
}
