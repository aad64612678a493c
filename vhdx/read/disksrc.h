/* disksrc.h: a virtual disk to read for compare, measure and convert: a
 * VHDX chain (through vhdx_read), a VHD chain (vhd.h) or, when the file
 * carries neither format's signature, a raw image. Both know where their data lies (VHDX: present runs of the map;
 * raw: SEEK_DATA extents), so all-zero stretches are skipped unread. */
#ifndef HVK_DISKSRC_H
#define HVK_DISKSRC_H

#include <stdint.h>

#include "vhd.h"
#include "vhdx.h"

struct src_run {
    uint64_t off, len;
};

struct disksrc {
    vhdx *img;      /* VHDX input, or NULL */
    vhd *vhd;       /* VHD input, or NULL */
    int fd;         /* raw input, -1 otherwise */
    uint64_t size;  /* virtual size */
    uint32_t block_size; /* VHDX block size, 0 for raw */
    struct src_run *runs; /* where data may be, sorted, disjoint */
    size_t n, cap;
    size_t hint;    /* index of the last run looked at */
};

int vhdx_src_open(const char *path, const struct vhdx_open_opts *o, struct disksrc *s,
                  struct hv_err *e);
void vhdx_src_close(struct disksrc *s);
/* Reads [off, off+len); bytes past the size read as zeros. */
int vhdx_src_read(struct disksrc *s, void *buf, size_t len, uint64_t off, struct hv_err *e);
/* 1 when [off, off+len) holds no data run (reads as zeros), 0 otherwise. */
int vhdx_src_hole(struct disksrc *s, uint64_t off, uint64_t len);

#endif
