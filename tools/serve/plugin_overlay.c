/* plugin_overlay.c: the writable overlay of the nbdkit plugin (plugin_overlay.h). */
#include "plugin_overlay.h"

#include <stdlib.h>
#include <string.h>

#include <nbdkit-plugin.h>

static int fail(const struct hv_err *e, const char *path)
{
    struct hv_err c = *e;
    char buf[1200];
    if (path)
        hv_err_file(&c, path);
    nbdkit_error("%s", hv_err_format(&c, buf, sizeof buf));
    return -1;
}

int poverlay_create(struct poverlay *o, const char *path, const char *parent, const struct vhdx_open_opts *opts)
{
    memset(o, 0, sizeof *o);
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *p;
    if (vhdx_open(parent, opts, &p, &e) != 0)
        return fail(&e, parent);
    size_t store_len = 3 * 4096;
    char *store = malloc(store_len);
    struct vhdx_parent_info pi;
    int r = store ? vhdx_parent_info_from(p, path, NULL, &pi, store, store_len, &e)
                  : hv_failx(&e, HV_NOMEM, "overlay", "out of memory");
    o->sector = vhdx_logical_sector_size(p);
    vhdx_close(p);
    struct vhdx_build_params bp = { .type = VHDX_TYPE_DIFFERENCING, .parent = &pi };
    if (r == 0 && vhdx_create(path, &bp, &e) != 0) /* copies the strings of pi */
        r = -1;
    free(store);
    if (r != 0)
        return fail(&e, path);
    if (vhdx_open_rw(path, NULL, &o->w, &e) != 0)
        return fail(&e, path);
    o->path = path;
    return 0;
}

int poverlay_write(struct poverlay *o, struct sdisk *reader, const void *buf, uint32_t count, uint64_t off)
{
    struct hv_err e;
    hv_err_clear(&e);
    uint64_t a0 = off / o->sector * o->sector;
    uint64_t a1 = (off + count + o->sector - 1) / o->sector * o->sector;
    if (a1 > reader->size)
        a1 = reader->size; /* the virtual size is a whole number of sectors */
    int r;
    if (a0 == off && a1 == off + count) {
        r = vhdx_write(o->w, buf, count, off, &e);
    } else { /* complete the edge sectors with what the chain holds now */
        uint8_t *span = malloc((size_t)(a1 - a0));
        if (!span) {
            nbdkit_error("out of memory");
            return -1;
        }
        r = sdisk_read(reader, span, (size_t)(a1 - a0), a0, &e);
        if (r == 0) {
            memcpy(span + (off - a0), buf, count);
            r = vhdx_write(o->w, span, (size_t)(a1 - a0), a0, &e);
        }
        free(span);
    }
    o->gen++;
    return r ? fail(&e, o->path) : 0;
}

int poverlay_flush(struct poverlay *o)
{
    struct hv_err e;
    hv_err_clear(&e);
    return vhdx_flush(o->w, &e) ? fail(&e, o->path) : 0;
}

void poverlay_close(struct poverlay *o)
{
    struct hv_err e;
    hv_err_clear(&e);
    if (o->w && vhdx_close_rw(o->w, &e) != 0)
        fail(&e, o->path);
    o->w = NULL;
}
