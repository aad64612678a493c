/* check.c: `vhdx check`: every problem of a file and its chain, not just the
 * first ([MS-VHDX] 2.2-2.6 rules, docs/vhdx-format.md §4-10).
 *
 *   open layer (notes kept: bad header copy, bad region copy, log warnings)
 *     |-- fatal open error --> one problem, stop
 *   BAT scan: each payload/SB entry: state known, reserved bits, offset
 *     aligned, inside the file, not over header section/log/regions;
 *     then all extents sorted by offset: neighbours must not overlap
 *   sector bitmaps: PARTIALLY_PRESENT needs an SB block in state 6; base
 *     files must have SB entries 0
 *   chain: resolve the parents (as vhdx_open) and check each layer the same way
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhdx_internal.h"

struct checker {
    void (*cb)(const struct vhdx_problem *, void *);
    void *ctx;
    int errors;
    struct {
        dev_t dev;
        ino_t ino;
        struct hv_guid dwg;
    } seen[VHDX_MAX_CHAIN_DEPTH + 2]; /* layers checked so far, for cycles */
    int nseen;
};


static void report(struct checker *k, const char *file, int sev, enum hv_code code,
                   const char *what, uint64_t off, const char *msg)
{
    if (sev == VHDX_ERROR)
        k->errors++;
    struct vhdx_problem p = { what, off, code, msg, sev, file };
    if (k->cb)
        k->cb(&p, k->ctx);
}

struct extent {
    uint64_t off, len, at; /* at = file offset of the BAT entry (0 for fixed structures) */
    const char *name;
};

static int cmp_ext(const void *a, const void *b)
{
    const struct extent *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at; /* equal starts: blame the later entry */
}

struct scan {
    vhdx_scan_fn fn;
    void *ctx;
    int errors;
};

static void problem(struct scan *sc, int sev, enum hv_code code, const char *what, uint64_t off,
                    const char *fmt, ...) HV_PRINTF(6, 7);
static void problem(struct scan *sc, int sev, enum hv_code code, const char *what, uint64_t off,
                    const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == VHDX_ERROR)
        sc->errors++;
    sc->fn(sc->ctx, sev, code, what, off, msg);
}

static int push(struct extent **ex, size_t *n, size_t *cap, struct extent x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct extent *p = realloc(*ex, nc * sizeof *p);
        if (!p)
            return -1;
        *ex = p;
        *cap = nc;
    }
    (*ex)[(*n)++] = x;
    return 0;
}

/* Every BAT entry: state, reserved bits, offset inside the file, and no two
 * extents (blocks, bitmaps, header section, log, regions) overlapping; the
 * overlap test sorts the extents by offset (O(n log n)). */
int vhdx_bat_scan(const struct vhdx *img, vhdx_scan_fn fn, void *ctx)
{
    const struct vhdx_geom *g = &img->g;
    struct scan sc = { fn, ctx, 0 };
    struct extent *ex = NULL;
    size_t n = 0, cap = 0;
    const struct vhdx_header *h = &img->hdr[img->cur];
    int oom = push(&ex, &n, &cap, (struct extent){ 0, MiB, 0, "the header section" });
    if (h->log_length)
        oom |= push(&ex, &n, &cap, (struct extent){ h->log_offset, h->log_length, 0, "the log" });
    for (uint32_t i = 0; i < img->rt.count; i++)
        oom |= push(&ex, &n, &cap,
                    (struct extent){ img->rt.e[i].file_offset, img->rt.e[i].length, 0,
                                     hv_guid_eq(&img->rt.e[i].guid, &VHDX_REGION_BAT) ? "the BAT region"
                                     : hv_guid_eq(&img->rt.e[i].guid, &VHDX_REGION_METADATA)
                                         ? "the metadata region"
                                         : "a region" });
    uint64_t per = (uint64_t)g->chunk_ratio + 1;
    uint32_t pos = 0; /* position in the chunk: avoids a division per entry */
    for (uint64_t i = 0; i < g->total_entries && !oom; i++) {
        uint64_t v = vhdx_bat(img, i);
        uint64_t z = v ? 0 : vhdx_bat_zero_run(img->bat, i, g->total_entries);
        if (z > 1) { /* a sparse stretch: nothing allocated, nothing to check */
            pos = (uint32_t)((pos + z) % per);
            i += z - 1;
            continue;
        }
        int is_sb = pos == g->chunk_ratio;
        pos = is_sb ? 0 : pos + 1;
        unsigned st = bat_state(v);
        /* The common case of a sparse disk: nothing allocated, nothing to check. */
        if (v == 0 || (!is_sb && v == VHDX_BLOCK_ZERO))
            continue;
        uint64_t at = img->bat_region.file_offset + i * 8;
        uint64_t off = bat_file_offset(v), len;
        const char *what = is_sb ? "sector bitmap" : "BAT";
        if (v & BAT_RESERVED_MASK)
            problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at, "entry %llu has reserved bits set (0x%llx)",
                    (unsigned long long)i, (unsigned long long)v);
        if (is_sb) {
            uint64_t c = i / per;
            if (st != SB_NOT_PRESENT && st != SB_PRESENT) {
                problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                        "bitmap entry of chunk %llu has reserved state %u", (unsigned long long)c, st);
                continue;
            }
            if (st == SB_PRESENT && !g->differencing) {
                problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                        "bitmap entry of chunk %llu is present in a file without a parent",
                        (unsigned long long)c);
                continue;
            }
            if (st != SB_PRESENT)
                continue;
            len = SB_BLOCK_SIZE;
        } else {
            uint64_t b = i - i / per;
            if (st == VHDX_BLOCK_RESERVED4) {
                problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at, "block %llu has reserved state 4",
                        (unsigned long long)b);
                continue;
            }
            if (st == VHDX_BLOCK_PARTIALLY_PRESENT) {
                if (!g->differencing) {
                    problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                            "block %llu is PARTIALLY_PRESENT in a file without a parent",
                            (unsigned long long)b);
                    continue;
                }
                uint64_t sbi = bat_sb_index(g, b / g->chunk_ratio);
                if (bat_state(vhdx_bat(img, sbi)) != SB_PRESENT)
                    problem(&sc, VHDX_ERROR, HV_CORRUPT, "sector bitmap",
                            img->bat_region.file_offset + sbi * 8,
                            "block %llu is PARTIALLY_PRESENT but chunk %llu has no bitmap block",
                            (unsigned long long)b, (unsigned long long)(b / g->chunk_ratio));
            }
            if (st != VHDX_BLOCK_FULLY_PRESENT && st != VHDX_BLOCK_PARTIALLY_PRESENT) {
                /* Hyper-V reportedly refuses these; qemu and we read zeros. */
                if (off && (st == VHDX_BLOCK_NOT_PRESENT || st == VHDX_BLOCK_ZERO))
                    problem(&sc, VHDX_WARNING, HV_CORRUPT, what, at,
                            "block %llu in state %s has a file offset 0x%llx", (unsigned long long)b,
                            vhdx_block_state_name((int)st), (unsigned long long)off);
                continue;
            }
            if (b >= g->data_blocks) {
                problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                        "entry %llu allocates a block past the end of the virtual disk",
                        (unsigned long long)i);
                continue;
            }
            uint64_t vend = g->virtual_size - b * g->block_size;
            len = vend < g->block_size ? vend : g->block_size;
        }
        if (off < MiB) {
            problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                    "entry %llu points into the header section", (unsigned long long)i);
            continue;
        }
        if (off >= img->logical_size) {
            problem(&sc, VHDX_ERROR, HV_CORRUPT, what, at,
                    "entry %llu points at 0x%llx, beyond the end of the file (0x%llx bytes)",
                    (unsigned long long)i, (unsigned long long)off,
                    (unsigned long long)img->logical_size);
            continue;
        }
        if (len > img->logical_size - off) {
            /* Starts inside, ends outside: the file was cut short here. */
            problem(&sc, VHDX_ERROR, HV_CORRUPT, what, img->logical_size,
                    "file truncated: entry %llu needs 0x%llx+0x%llx", (unsigned long long)i,
                    (unsigned long long)off, (unsigned long long)len);
            continue;
        }
        oom |= push(&ex, &n, &cap,
                    (struct extent){ off, len, at, is_sb ? "sector bitmap block" : "payload block" });
    }
    if (oom) {
        free(ex);
        return -1;
    }
    qsort(ex, n, sizeof *ex, cmp_ext);
    /* Sorted by start: an extent overlaps an earlier one iff it starts before
     * the furthest end seen so far. */
    uint64_t far_end = 0;
    size_t far_ix = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ex[i].off < far_end) {
            const struct extent *a = &ex[far_ix], *b = &ex[i];
            /* Blame a bitmap entry first, then the later BAT entry. */
            const struct extent *blk = !b->at ? a
                                       : !a->at ? b
                                       : !strcmp(a->name, "sector bitmap block") ? a
                                                                                  : b;
            const struct extent *other = blk == a ? b : a;
            problem(&sc, VHDX_ERROR, HV_CORRUPT,
                    !strcmp(blk->name, "sector bitmap block") ? "sector bitmap" : "BAT", blk->at,
                    "%s at 0x%llx overlaps %s at 0x%llx", blk->name, (unsigned long long)blk->off,
                    other->at ? other->name : other->name, (unsigned long long)other->off);
        }
        if (ex[i].off + ex[i].len > far_end) {
            far_end = ex[i].off + ex[i].len;
            far_ix = i;
        }
    }
    free(ex);
    return sc.errors;
}

struct bat_ctx {
    struct checker *k;
    const char *path;
    unsigned shown;
};

static void bat_report(void *vctx, int sev, enum hv_code code, const char *what, uint64_t off,
                       const char *msg)
{
    struct bat_ctx *b = vctx;
    if (b->shown++ >= 50) { /* a shredded BAT would list millions */
        if (sev == VHDX_ERROR)
            b->k->errors++;
        return;
    }
    report(b->k, b->path, sev, code, what, off, msg);
}

static int check_layer(struct checker *k, const char *path, const struct vhdx_open_opts *o,
                       int depth, struct hv_err *err);

static void check_parent(struct checker *k, struct vhdx *img, const struct vhdx_open_opts *o,
                         int depth)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_open_opts one = *o;
    /* Find only the next layer, leniently; it is checked in full below. */
    one.flags |= VHDX_OPEN_NO_PARENT | VHDX_OPEN_INTERNAL_CHECK;
    if (vhdx_chain_attach(img, &one, &e)) {
        report(k, e.file[0] ? e.file : img->path, VHDX_ERROR, e.code, "parent chain", e.offset, e.msg);
        return;
    }
    if (img->link.linkage == 0 && img->tries)
        for (size_t i = 0; i < img->ntries; i++)
            if (img->tries[i].result == VHDX_TRY_OK && img->tries[i].msg[0])
                report(k, img->path, VHDX_WARNING, HV_MISMATCH, "parent chain", img->loc_file_off,
                       img->tries[i].msg);
    const char *ppath = img->parent->path;
    const struct vhdx *p = img->parent;
    for (int i = 0; i < k->nseen; i++)
        if ((k->seen[i].dev == p->dev && k->seen[i].ino == p->ino) ||
            hv_guid_eq(&k->seen[i].dwg, &p->hdr[p->cur].data_write_guid)) {
            char msg[600];
            snprintf(msg, sizeof msg, "cycle: parent '%.500s' is already in the chain", ppath);
            report(k, img->path, VHDX_ERROR, HV_CORRUPT, "parent chain", img->loc_file_off, msg);
            return;
        }
    struct hv_err pe;
    hv_err_clear(&pe);
    if (check_layer(k, ppath, o, depth + 1, &pe) < 0)
        report(k, ppath, VHDX_ERROR, pe.code, "parent chain", pe.offset, pe.msg);
}

static int check_layer(struct checker *k, const char *path, const struct vhdx_open_opts *o,
                       int depth, struct hv_err *err)
{
    if (depth > VHDX_MAX_CHAIN_DEPTH) {
        report(k, path, VHDX_ERROR, HV_CORRUPT, "parent chain", 0, "chain too deep");
        return 0;
    }
    struct vhdx *img;
    struct hv_err e;
    hv_err_clear(&e);
    if (vhdx_open_layer(path, o->flags | VHDX_OPEN_INTERNAL_CHECK, &img, &e)) {
        if (e.code == HV_IO || e.code == HV_NOMEM || e.code == HV_NOTFOUND ||
            (e.code == HV_USAGE && depth == 0)) {
            *err = e;
            return -1;
        }
        report(k, path, VHDX_ERROR, e.code, vhdx_canon_what(e.what), e.offset, e.msg);
        return 0;
    }
    if (k->nseen < VHDX_MAX_CHAIN_DEPTH + 2) {
        k->seen[k->nseen].dev = img->dev;
        k->seen[k->nseen].ino = img->ino;
        k->seen[k->nseen].dwg = img->hdr[img->cur].data_write_guid;
        k->nseen++;
    }
    for (size_t i = 0; i < img->nnotes; i++) {
        const struct vhdx_note *n = &img->notes[i];
        report(k, path, n->severity, n->code, n->what, n->offset, n->msg);
    }
    struct bat_ctx bc = { k, path, 0 };
    if (vhdx_bat_scan(img, bat_report, &bc) < 0)
        report(k, path, VHDX_ERROR, HV_NOMEM, "BAT", 0, "out of memory scanning the BAT");
    if (img->type == VHDX_TYPE_DIFFERENCING && !(o->flags & VHDX_OPEN_NO_PARENT))
        check_parent(k, img, o, depth);
    vhdx_close(img);
    return 0;
}

int vhdx_check(const char *path, const struct vhdx_open_opts *opts,
               void (*cb)(const struct vhdx_problem *, void *), void *ctx, struct hv_err *err)
{
    static const struct vhdx_open_opts defaults = { 0, NULL, 0, NULL, 0 };
    static const struct checker zero;
    struct checker k = zero;
    k.cb = cb;
    k.ctx = ctx;
    if (check_layer(&k, path, opts ? opts : &defaults, 0, err) < 0) {
        hv_err_file(err, path);
        return -1;
    }
    return k.errors;
}
