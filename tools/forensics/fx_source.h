/* fx_source.h: disk states for the forensics library, read through hvkit's
 * public APIs: a VHDX chain (vhdx_read), or a recovery point (a base VHDX
 * plus logs, as an overlay of the last writer of each byte: hrl_plan.h). */
#ifndef HVK_FX_SOURCE_H
#define HVK_FX_SOURCE_H

#include "fx.h"
#include "hrl_plan.h"
#include "vhdx.h"

/* A VHDX chain as a source; `img` must outlive it. */
void fx_source_vhdx(struct fx_source *src, vhdx *img);

/* The base with writes[0..n) applied (later writes win), without writing
 * anything out. */
struct fx_point {
    vhdx *base;
    const struct hrl_write *writes;
    struct hrl_plan plan;
};
/* @return 0, or -1 with `e` (no memory). Free with fx_point_free(). */
int fx_point_init(struct fx_point *p, vhdx *base, const struct hrl_write *writes, size_t n,
                  struct hv_err *e);
void fx_point_free(struct fx_point *p);
void fx_source_point(struct fx_source *src, struct fx_point *p);

#endif
