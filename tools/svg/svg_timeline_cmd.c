/* svg_timeline_cmd.c: `hrl timeline --svg OUT [--base BASE]`: the base (when
 * given) sets the disk size and, through The Sleuth Kit where the build has
 * it, the partitions drawn on the heat map. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "svg_render.h"
#ifdef HVK_HAVE_FX
#include "fx.h"
#include "fx_source.h"
#endif

#define MAX_BANDS 64

static size_t base_bands(vhdx *img, struct svg_band *b)
{
    size_t n = 0;
#ifdef HVK_HAVE_FX
    struct fx_source src;
    fx_source_vhdx(&src, img);
    fx_snap *s;
    char err[200];
    if (fx_snap_open(&src, &s, err, sizeof err) != 0)
        return 0;
    for (size_t v = 0; v < fx_snap_volumes(s) && n < MAX_BANDS; v++) {
        const struct fx_volume *vol = fx_snap_volume(s, v);
        b[n].off = vol->off;
        b[n].len = vol->len;
        snprintf(b[n].label, sizeof b[n].label, "partition %zu: %s", v + 1, vol->fs[0] ? vol->fs : vol->desc);
        n++;
    }
    fx_snap_close(s);
#else
    (void)img, (void)b;
#endif
    return n;
}

int svg_timeline_cmd(const char *out, const char *base, char **logs, size_t n)
{
    struct svg_band bands[MAX_BANDS];
    size_t nb = 0;
    uint64_t size = 0;
    if (base) {
        vhdx *img;
        struct hv_err e;
        hv_err_clear(&e);
        if (vhdx_open(base, NULL, &img, &e) != 0) {
            hv_err_file(&e, base);
            return cli_error(&e);
        }
        size = vhdx_virtual_size(img);
        nb = base_bands(img, bands);
        vhdx_close(img);
    }
    return svg_timeline(out, logs, n, bands, nb, size);
}
