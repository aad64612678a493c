/* check.c: `vhdx check`: every problem of a file and its chain, not just the
 * first ([MS-VHDX] 2.2-2.6 rules, notes sections 4-10).
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
    unsigned reported; /* per-file cap: a shredded BAT would print millions */
};

#define MAX_REPORTS_PER_KIND 20

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
    uint64_t off, len, at; /* at = file offset of the BAT entry (or region entry) */
    const char *name;
};

static int cmp_ext(const void *a, const void *b)
{
    const struct extent *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

struct kinds {
    unsigned n[16];
};

static void bad(struct checker *k, struct kinds *kc, int kind, const struct vhdx *img,
                enum hv_code code, const char *what, uint64_t off, const char *fmt, ...)
    HV_PRINTF(8, 9);
static void bad(struct checker *k, struct kinds *kc, int kind, const struct vhdx *img,
                enum hv_code code, const char *what, uint64_t off, const char *fmt, ...)
{
    kc->n[kind]++;
    if (kc->n[kind] > MAX_REPORTS_PER_KIND) {
        k->errors++;
        return;
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(k, img->path, VHDX_ERROR, code, what, off, msg);
}

static void check_bat(struct checker *k, const struct vhdx *img)
{
    const struct vhdx_geom *g = &img->g;
    struct kinds kc;
    memset(&kc, 0, sizeof kc);
    size_t cap = 8, n = 0;
    struct extent *ex = malloc(cap * sizeof *ex);
    if (!ex)
        return;
    const struct vhdx_header *h = &img->hdr[img->cur];
    ex[n++] = (struct extent){ 0, MiB, 0, "header section" };
    if (h->log_length)
        ex[n++] = (struct extent){ h->log_offset, h->log_length, 0, "log" };
    for (uint32_t i = 0; i < img->rt.count; i++) {
        if (n == cap) {
            struct extent *p = realloc(ex, (cap *= 2) * sizeof *p);
            if (!p) {
                free(ex);
                return;
            }
            ex = p;
        }
        ex[n++] = (struct extent){ img->rt.e[i].file_offset, img->rt.e[i].length, 0, "region" };
    }
    size_t fixed_n = n;
    for (uint64_t i = 0; i < g->total_entries; i++) {
        uint64_t v = vhdx_bat(img, i);
        uint64_t at = img->bat_region.file_offset + i * 8;
        int is_sb = (i % ((uint64_t)g->chunk_ratio + 1)) == g->chunk_ratio;
        unsigned st = bat_state(v);
        uint64_t off = bat_file_offset(v);
        uint64_t len;
        if (v & BAT_RESERVED_MASK)
            bad(k, &kc, 0, img, HV_CORRUPT, "BAT", at, "entry %llu has reserved bits set (0x%llx)",
                (unsigned long long)i, (unsigned long long)v);
        if (is_sb) {
            uint64_t c = i / ((uint64_t)g->chunk_ratio + 1);
            if (st != SB_NOT_PRESENT && st != SB_PRESENT) {
                bad(k, &kc, 1, img, HV_CORRUPT, "BAT", at,
                    "sector bitmap entry %llu has reserved state %u", (unsigned long long)c, st);
                continue;
            }
            if (st == SB_PRESENT && !g->differencing) {
                bad(k, &kc, 1, img, HV_CORRUPT, "BAT", at,
                    "sector bitmap entry %llu present in a file without a parent",
                    (unsigned long long)c);
            }
            if (st != SB_PRESENT)
                continue;
            len = SB_BLOCK_SIZE;
        } else {
            uint64_t b = i - i / ((uint64_t)g->chunk_ratio + 1);
            if (st == VHDX_BLOCK_RESERVED4) {
                bad(k, &kc, 2, img, HV_CORRUPT, "BAT", at, "block %llu has reserved state 4",
                    (unsigned long long)b);
                continue;
            }
            if (st == VHDX_BLOCK_PARTIALLY_PRESENT) {
                if (!g->differencing) {
                    bad(k, &kc, 2, img, HV_CORRUPT, "BAT", at,
                        "block %llu PARTIALLY_PRESENT in a file without a parent",
                        (unsigned long long)b);
                    continue;
                }
                uint64_t sbi = bat_sb_index(g, b / g->chunk_ratio);
                uint64_t sv = vhdx_bat(img, sbi);
                if (bat_state(sv) != SB_PRESENT)
                    bad(k, &kc, 3, img, HV_CORRUPT, "sector bitmap",
                        img->bat_region.file_offset + sbi * 8,
                        "block %llu is PARTIALLY_PRESENT but chunk %llu has no bitmap block",
                        (unsigned long long)b, (unsigned long long)(b / g->chunk_ratio));
            }
            if (st != VHDX_BLOCK_FULLY_PRESENT && st != VHDX_BLOCK_PARTIALLY_PRESENT) {
                if (off && (st == VHDX_BLOCK_NOT_PRESENT || st == VHDX_BLOCK_ZERO))
                    bad(k, &kc, 4, img, HV_CORRUPT, "BAT", at,
                        "block %llu in state %s has a file offset 0x%llx", (unsigned long long)b,
                        vhdx_block_state_name((int)st), (unsigned long long)off);
                continue;
            }
            uint64_t vend = g->virtual_size - b * g->block_size;
            len = vend < g->block_size ? vend : g->block_size;
        }
        if (off < MiB) {
            bad(k, &kc, 5, img, HV_CORRUPT, "BAT", at, "entry %llu points into the header section",
                (unsigned long long)i);
            continue;
        }
        if (off + len > img->logical_size) {
            bad(k, &kc, 6, img, HV_CORRUPT, "BAT", at,
                "entry %llu block 0x%llx+0x%llx beyond the end of the file (0x%llx bytes)",
                (unsigned long long)i, (unsigned long long)off, (unsigned long long)len,
                (unsigned long long)img->logical_size);
            continue;
        }
        if (n == cap) {
            struct extent *p = realloc(ex, (cap *= 2) * sizeof *p);
            if (!p)
                break;
            ex = p;
        }
        ex[n++] = (struct extent){ off, len, at, is_sb ? "sector bitmap block" : "payload block" };
    }
    (void)fixed_n;
    qsort(ex, n, sizeof *ex, cmp_ext);
    /* Sorted by start: an extent overlaps a predecessor iff it starts before
     * the furthest end seen so far. */
    uint64_t far_end = 0;
    size_t far_ix = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ex[i].off < far_end) {
            const struct extent *a = &ex[far_ix], *b = &ex[i];
            const struct extent *blk = b->at ? b : a, *other = b->at ? a : b;
            bad(k, &kc, 7, img, HV_CORRUPT, "BAT", blk->at ? blk->at : img->bat_region.file_offset,
                "%s at 0x%llx overlaps %s at 0x%llx", blk->name, (unsigned long long)blk->off,
                other->name, (unsigned long long)other->off);
        }
        if (ex[i].off + ex[i].len > far_end) {
            far_end = ex[i].off + ex[i].len;
            far_ix = i;
        }
    }
    free(ex);
}

static int check_layer(struct checker *k, const char *path, const struct vhdx_open_opts *o,
                       int depth, struct hv_err *err);

static void check_parent(struct checker *k, struct vhdx *img, const struct vhdx_open_opts *o,
                         int depth)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_open_opts one = *o;
    one.flags |= VHDX_OPEN_NO_PARENT; /* find only the next layer; recurse below */
    if (chain_attach(img, &one, &e)) {
        report(k, e.file[0] ? e.file : img->path, VHDX_ERROR, e.code, "parent chain", e.offset, e.msg);
        return;
    }
    if (img->link.linkage == 0 && img->tries)
        for (size_t i = 0; i < img->ntries; i++)
            if (img->tries[i].result == VHDX_TRY_OK && img->tries[i].msg[0])
                report(k, img->path, VHDX_WARNING, HV_MISMATCH, "parent chain", img->loc_file_off,
                       img->tries[i].msg);
    const char *ppath = img->parent->path;
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
    if (vhdx_open_layer(path, o->flags, &img, &e)) {
        if (e.code == HV_IO || e.code == HV_NOMEM || e.code == HV_NOTFOUND ||
            (e.code == HV_USAGE && depth == 0)) {
            *err = e;
            return -1;
        }
        report(k, path, VHDX_ERROR, e.code, vhdx_canon_what(e.what), e.offset, e.msg);
        return 0;
    }
    for (size_t i = 0; i < img->nnotes; i++) {
        const struct vhdx_note *n = &img->notes[i];
        report(k, path, n->severity, n->code, n->what, n->offset, n->msg);
    }
    check_bat(k, img);
    if (img->type == VHDX_TYPE_DIFFERENCING && !(o->flags & VHDX_OPEN_NO_PARENT))
        check_parent(k, img, o, depth);
    vhdx_close(img);
    return 0;
}

int vhdx_check(const char *path, const struct vhdx_open_opts *opts,
               void (*cb)(const struct vhdx_problem *, void *), void *ctx, struct hv_err *err)
{
    static const struct vhdx_open_opts defaults = { 0, NULL, 0, NULL, 0 };
    struct checker k = { cb, ctx, 0, 0 };
    if (check_layer(&k, path, opts ? opts : &defaults, 0, err) < 0) {
        hv_err_file(err, path);
        return -1;
    }
    return k.errors;
}
