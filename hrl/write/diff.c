/* diff.c: the difference of two disk images as log writes. Images are raw
 * files (mapped) or VHDX chains (read through vhdx.h only). The comparison
 * runs over 1 MiB chunks so equal stretches cost one memcmp; only a chunk
 * that differs is looked at sector by sector. */
#include <stdlib.h>
#include <string.h>

#include "hrl_diff.h"
#include "hv_io.h"

#define DIFF_CHUNK (1u << 20)
#define DIFF_SECTOR 512u

/* A range of virtual bytes a VHDX chain serves as zeros without reading. */
struct zero_run {
    uint64_t off, end;
};

struct hrl_image {
    char *path;
    vhdx *v;              /* NULL: raw image in `raw` */
    struct hv_map raw;
    uint64_t size;
    struct zero_run *zero; /* VHDX: ascending, merged */
    size_t nzero, zcap;
    size_t zcur;          /* lookup cursor: the diff walks forwards only */
};

static int note_zero_run(const struct vhdx_run *run, void *ctx)
{
    hrl_image *img = ctx;
    if (run->layer >= 0)
        return 0;
    if (img->nzero && img->zero[img->nzero - 1].end == run->voff) {
        img->zero[img->nzero - 1].end += run->len;
        return 0;
    }
    if (img->nzero == img->zcap) {
        size_t cap = img->zcap ? img->zcap * 2 : 64;
        struct zero_run *z = realloc(img->zero, cap * sizeof *z);
        if (!z)
            return 1;
        img->zero = z;
        img->zcap = cap;
    }
    img->zero[img->nzero++] = (struct zero_run){ run->voff, run->voff + run->len };
    return 0;
}

static int open_vhdx(hrl_image *img, const struct vhdx_open_opts *opts, struct hv_err *err)
{
    if (vhdx_open(img->path, opts, &img->v, err))
        return -1;
    img->size = vhdx_virtual_size(img->v);
    int rc = vhdx_map(img->v, note_zero_run, img, err);
    if (rc > 0)
        return hv_failx(err, HV_NOMEM, "diff", "no memory for the allocation map");
    return rc;
}

int hrl_image_open(const char *path, const struct vhdx_open_opts *opts, hrl_image **out,
                   struct hv_err *err)
{
    hrl_image *img = calloc(1, sizeof *img);
    if (!img || !(img->path = strdup(path))) {
        free(img);
        return hv_failx(err, HV_NOMEM, "diff", "no memory");
    }
    int rc = hv_map_file(path, &img->raw, err);
    if (rc == 0 && vhdx_probe(img->raw.p, img->raw.len)) {
        /* The VHDX reader maps the file itself; the raw view is not needed. */
        hv_unmap(&img->raw);
        memset(&img->raw, 0, sizeof img->raw);
        rc = open_vhdx(img, opts, err);
    } else if (rc == 0) {
        img->size = img->raw.len;
    }
    if (rc) {
        hv_err_file(err, path);
        hrl_image_close(img);
        return -1;
    }
    *out = img;
    return 0;
}

void hrl_image_close(hrl_image *img)
{
    if (!img)
        return;
    vhdx_close(img->v);
    hv_unmap(&img->raw);
    free(img->zero);
    free(img->path);
    free(img);
}

uint64_t hrl_image_size(const hrl_image *img)
{
    return img->size;
}

const vhdx *hrl_image_vhdx(const hrl_image *img)
{
    return img->v;
}

/* End of the zero-served range holding `off`, or `off` when it is not in one
 * (always for raw images: a mapped file has no cheap allocation map). */
static uint64_t zero_until(hrl_image *img, uint64_t off)
{
    while (img->zcur < img->nzero && img->zero[img->zcur].end <= off)
        img->zcur++;
    if (img->zcur < img->nzero && img->zero[img->zcur].off <= off)
        return img->zero[img->zcur].end;
    return off;
}

/* Bytes [off, off+n) of `img`: straight from the map for a raw image, else
 * read or zero-padded (raw past its end) into `buf` (>= n bytes). */
static const uint8_t *view(hrl_image *img, uint64_t off, size_t n, uint8_t *buf,
                           struct hv_err *err)
{
    if (img->v) {
        if (vhdx_read(img->v, buf, n, off, err))
            return NULL;
        return buf;
    }
    if (off + n <= img->raw.len)
        return img->raw.p + off;
    size_t have = off < img->raw.len ? (size_t)(img->raw.len - off) : 0;
    if (have)
        memcpy(buf, img->raw.p + off, have);
    memset(buf + have, 0, n - have);
    return buf;
}

struct diff {
    hrl_image *to;
    hrl_writer *w;
    uint64_t max_write;
    uint32_t time;
    uint64_t run, len;       /* the pending write; len 0 = none */
    uint8_t *rbuf;           /* VHDX `to`: the pending write's bytes, re-read */
    size_t rcap;
    struct hrl_diff_stats *stats;
};

/* Emits the pending write. Its bytes are read again from `to` rather than
 * kept while it grows: a run can span chunks, and re-reading only what
 * differs is cheaper than copying every differing sector twice. */
static int flush_run(struct diff *d, struct hv_err *err)
{
    if (!d->len)
        return 0;
    if (d->to->v && d->rcap < d->len) {
        uint8_t *b = realloc(d->rbuf, d->len);
        if (!b)
            return hv_failx(err, HV_NOMEM, "diff", "no memory for a %llu-byte write",
                            (unsigned long long)d->len);
        d->rbuf = b;
        d->rcap = d->len;
    }
    const uint8_t *p = view(d->to, d->run, d->len, d->rbuf, err);
    if (!p || hrl_writer_add(d->w, d->run, p, (uint32_t)d->len, d->time, err))
        return -1;
    d->stats->writes++;
    d->stats->bytes += d->len;
    d->len = 0;
    return 0;
}

/* Grows the pending write by a differing sector, or starts a new one when
 * it is not adjacent or would exceed max_write. */
static int add_sector(struct diff *d, uint64_t off, size_t n, struct hv_err *err)
{
    if (d->len && d->run + d->len == off && d->len + n <= d->max_write) {
        d->len += n;
        return 0;
    }
    if (flush_run(d, err))
        return -1;
    d->run = off;
    d->len = n;
    return 0;
}

static int diff_chunk(struct diff *d, const uint8_t *a, const uint8_t *b, uint64_t off, size_t n,
                      struct hv_err *err)
{
    if (!memcmp(a, b, n))
        return flush_run(d, err);
    for (size_t s = 0; s < n; s += DIFF_SECTOR) {
        size_t m = n - s < DIFF_SECTOR ? n - s : DIFF_SECTOR;
        int rc = memcmp(a + s, b + s, m) ? add_sector(d, off + s, m, err) : flush_run(d, err);
        if (rc)
            return -1;
    }
    return 0;
}

int hrl_diff_check(const hrl_image *from, const hrl_image *to, struct hv_err *err)
{
    if ((!from->v && !to->v) || from->size == to->size)
        return 0;
    return hv_failx(err, HV_MISMATCH, "image sizes",
                    "'%s' is %llu bytes but '%s' is %llu: sizes must match, a log cannot "
                    "resize a VHDX", from->path, (unsigned long long)from->size, to->path,
                    (unsigned long long)to->size);
}

static int diff_all(struct diff *d, hrl_image *from, uint8_t *abuf, uint8_t *bbuf,
                    struct hv_err *err)
{
    uint64_t size = d->to->size;
    for (uint64_t off = 0; off < size;) {
        uint64_t za = zero_until(from, off), zb = zero_until(d->to, off);
        if (za > off && zb > off) { /* unallocated in both: equal without reading */
            if (flush_run(d, err))
                return -1;
            off = za < zb ? za : zb;
            continue;
        }
        size_t n = size - off < DIFF_CHUNK ? (size_t)(size - off) : DIFF_CHUNK;
        const uint8_t *a = view(from, off, n, abuf, err);
        const uint8_t *b = a ? view(d->to, off, n, bbuf, err) : NULL;
        if (!b || diff_chunk(d, a, b, off, n, err))
            return -1;
        off += n;
    }
    return flush_run(d, err);
}

int hrl_diff(hrl_image *from, hrl_image *to, hrl_writer *w, uint64_t max_write, uint32_t time,
             struct hrl_diff_stats *stats, struct hv_err *err)
{
    if (max_write < DIFF_SECTOR || max_write > UINT32_MAX)
        return hv_failx(err, HV_USAGE, "diff", "max_write must be 512 to 4G-1");
    if (hrl_diff_check(from, to, err))
        return -1;
    struct hrl_diff_stats unused = { 0 };
    if (!stats)
        stats = &unused;
    struct diff d = { .to = to, .w = w, .max_write = max_write, .time = time, .stats = stats };
    from->zcur = to->zcur = 0;
    uint8_t *abuf = malloc(DIFF_CHUNK), *bbuf = malloc(DIFF_CHUNK);
    int rc = abuf && bbuf ? diff_all(&d, from, abuf, bbuf, err)
                          : hv_failx(err, HV_NOMEM, "diff", "no memory for the compare buffers");
    free(abuf);
    free(bbuf);
    free(d.rbuf);
    return rc;
}
