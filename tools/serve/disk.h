/* disk.h: one read-only virtual disk to serve (NBD export or FUSE file):
 * a VHDX chain, or a recovery point (base chain + logs 1..k, hrl_view.h).
 * Both are read in place; nothing is ever written to an input file. */
#ifndef HVK_SERVE_DISK_H
#define HVK_SERVE_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "hrl_view.h"
#include "hv_err.h"
#include "vhdx.h"

struct sdisk {
    vhdx *img;      /* the chain, or the base of the point */
    hrl_view *view; /* NULL: serve `img` itself */
    uint64_t size;
    int own_img;    /* close `img` with the disk */
};

/* Serve a chain. `own`: the disk closes img. */
void sdisk_from_vhdx(struct sdisk *d, vhdx *img, int own);
/* Serve point `point` of `set` over `base`. @return 0, or -1 with `e`. */
int sdisk_from_point(struct sdisk *d, vhdx *base, int own, const hrl_set *set, size_t point,
                     struct hv_err *e);
void sdisk_close(struct sdisk *d);

/* @return 0, or -1 with `e`. */
int sdisk_read(struct sdisk *d, void *buf, size_t len, uint64_t off, struct hv_err *e);

/* The data/zero map of the disk, computed once: sorted, disjoint, covering it. */
struct srun {
    uint64_t off, len;
    int data; /* 0: reads as zeros (no layer and no log holds these bytes) */
};
struct sruns {
    struct srun *r;
    size_t n, cap;
};
/* @return 0, or -1 with `e`. */
int sdisk_runs(const struct sdisk *d, struct sruns *out, struct hv_err *e);
void sruns_free(struct sruns *r);
/* Index of the run holding `off` (n if beyond the disk). */
size_t sruns_find(const struct sruns *r, uint64_t off);

#endif
