/* measure.c: the file size a new VHDX of a given geometry and content takes
 * as hvkit writes it (write/builder.c layout: 1 MiB header area, 1 MiB log,
 * 1 MiB metadata, the BAT in whole MiB, then payload blocks; [MS-VHDX] 2.5
 * for the entry count). `required`: only blocks holding a non-zero byte
 * (what convert stores); `fully_allocated`: every block (a fixed image). */
#include <stdlib.h>
#include <string.h>

#include "disksrc.h"
#include "layout.h"
#include "vhdx_ops.h"

#define DEFAULT_BLOCK (32 * MiB)

static int geometry(struct vhdx_measure *m, uint64_t size, uint32_t block_size, uint32_t lss,
                    struct hv_err *e)
{
    struct vhdx_geom g;
    struct hv_err ge;
    hv_err_clear(&ge);
    if (vhdx_bat_geometry(size, block_size, lss, 0, &g, &ge) != 0)
        return hv_failx(e, HV_USAGE, "measure", "%s", ge.msg);
    m->virtual_size = size;
    m->block_size = block_size;
    m->data_blocks = g.data_blocks;
    m->bat_bytes = (g.total_entries * 8 + MiB - 1) / MiB * MiB;
    m->overhead = 3 * MiB + m->bat_bytes;
    m->fully_allocated = m->overhead + g.data_blocks * (uint64_t)block_size;
    m->required = m->overhead;
    return 0;
}

/* Counts blocks of `s` holding a non-zero byte. */
static int used_blocks(struct disksrc *s, struct vhdx_measure *m, struct hv_err *e)
{
    uint8_t *buf = malloc(MiB);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "measure", "out of memory");
    int rc = 0;
    for (uint64_t b = 0; rc == 0 && b < m->data_blocks; b++) {
        uint64_t start = b * m->block_size;
        uint64_t end = start + m->block_size < s->size ? start + m->block_size : s->size;
        for (uint64_t off = start; off < end; off += MiB) {
            size_t n = end - off < MiB ? (size_t)(end - off) : MiB, i = 0;
            if (vhdx_src_hole(s, off, n))
                continue;
            if ((rc = vhdx_src_read(s, buf, n, off, e)) != 0)
                break;
            while (i < n && !buf[i])
                i++;
            if (i < n) {
                m->used_blocks++;
                break;
            }
        }
    }
    free(buf);
    m->required = m->overhead + m->used_blocks * m->block_size;
    return rc;
}

int vhdx_measure(const char *in, const struct vhdx_open_opts *opts, uint64_t size,
                 uint32_t block_size, uint32_t lss, struct vhdx_measure *m, struct hv_err *e)
{
    memset(m, 0, sizeof *m);
    if (!in)
        return geometry(m, size, block_size ? block_size : DEFAULT_BLOCK, lss ? lss : 512, e);
    struct disksrc s;
    if (vhdx_src_open(in, opts, &s, e) != 0)
        return -1;
    uint32_t lsz = lss ? lss : s.img ? vhdx_logical_sector_size(s.img) : 512;
    uint64_t vsize = (s.size + lsz - 1) / lsz * lsz; /* a raw tail becomes a whole sector */
    int rc = geometry(m, vsize, block_size ? block_size : DEFAULT_BLOCK, lsz, e);
    if (rc == 0)
        rc = used_blocks(&s, m, e);
    if (rc != 0)
        hv_err_file(e, in);
    vhdx_src_close(&s);
    return rc;
}
