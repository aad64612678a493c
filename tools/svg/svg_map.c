/* svg_map.c: `vhdx map --svg OUT`: allocation along the virtual disk, one
 * band per layer of the chain (block states of that file alone) and a band
 * for the merged view (which layer serves each byte), with a legend. Each
 * pixel column shows the class holding most of its bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svg_render.h"

#define PIX 900
#define LEFT 150
#define TOP 50
#define BAND_H 26
#define GAP 14
#define NCLASS 16 /* block states 0..7, or layers 0..14 and "zeros" (15) */
#define ZEROS 15

static const char *const state_fill[8] = { "#eeeeee", "#ffcc80", "#bbdefb", "#90a4ae",
                                           "#e57373", "#b0bec5", "#2e7d32", "#81c784" };
static const char *const layer_fill[] = { "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#c62828",
                                          "#558b2f", "#4e342e", "#37474f" };

struct band {
    uint64_t bytes[PIX][NCLASS];
    uint64_t size;
    int merged; /* classes are layers, not states */
};

static void add(struct band *b, uint64_t off, uint64_t len, int cls)
{
    uint64_t end = off + len;
    while (off < end) {
        size_t p = (size_t)((double)off / (double)b->size * PIX);
        if (p >= PIX)
            p = PIX - 1;
        uint64_t pend = (uint64_t)((double)(p + 1) * (double)b->size / PIX) + 1;
        uint64_t stop = end < pend ? end : pend;
        if (stop <= off)
            stop = off + 1 < end ? off + 1 : end;
        b->bytes[p][cls] += stop - off;
        off = stop;
    }
}

static int on_layer_run(const struct vhdx_run *r, void *ctx)
{
    struct band *b = ctx;
    int cls = r->layer == 0 || r->layer == VHDX_LAYER_ZERO ? r->state : VHDX_BLOCK_NOT_PRESENT;
    add(b, r->voff, r->len, cls >= 0 && cls < 8 ? cls : VHDX_BLOCK_RESERVED4);
    return 0;
}

static int on_merged_run(const struct vhdx_run *r, void *ctx)
{
    struct band *b = ctx;
    add(b, r->voff, r->len, r->layer >= 0 && r->layer < ZEROS ? r->layer : ZEROS);
    return 0;
}

static const char *fill_of(const struct band *b, int cls)
{
    if (!b->merged)
        return state_fill[cls & 7];
    return cls == ZEROS ? "#ffffff" : layer_fill[cls % (int)(sizeof layer_fill / sizeof *layer_fill)];
}

/* The class with most bytes in the column, the background (NOT_PRESENT, or
 * zeros in the merged band) only when nothing else is there, and in the
 * merged band the top-most layer: a small block must stay visible. */
static int pixel_class(const struct band *b, size_t p)
{
    int bg = b->merged ? ZEROS : VHDX_BLOCK_NOT_PRESENT, cls = -1;
    if (b->merged) /* the top-most layer serving anything in the column */
        for (int c = 0; c < ZEROS; c++)
            if (b->bytes[p][c])
                return c;
    uint64_t best = 0;
    for (int c = 0; c < NCLASS; c++)
        if (c != bg && b->bytes[p][c] > best)
            best = b->bytes[p][c], cls = c;
    return cls >= 0 ? cls : b->bytes[p][bg] ? bg : -1;
}

static void draw_band(struct svg *s, const struct band *b, double y, const char *label, unsigned *used)
{
    svg_text(s, LEFT - 8, y + BAND_H / 2.0 + 4, 11, "end", label);
    int prev = -1;
    size_t start = 0;
    for (size_t p = 0; p <= PIX; p++) {
        int cls = p < PIX ? pixel_class(b, p) : -1;
        if (cls == prev)
            continue;
        if (prev >= 0) {
            svg_rect(s, LEFT + start, y, (double)(p - start), BAND_H, fill_of(b, prev), NULL);
            *used |= 1u << prev;
        }
        prev = cls;
        start = p;
    }
}

static void legend(struct svg *s, double y, unsigned states, unsigned layers)
{
    double x = LEFT;
    for (int c = 0; c < 8; c++)
        if (states & (1u << c)) {
            svg_legend(s, x, y, state_fill[c], vhdx_block_state_name(c));
            x += 150;
        }
    y += 22;
    x = LEFT;
    for (int c = 0; c < NCLASS; c++) {
        if (!(layers & (1u << c)))
            continue;
        char label[80];
        if (c == ZEROS)
            snprintf(label, sizeof label, "served as zeros");
        else
            snprintf(label, sizeof label, "served by layer %d", c);
        svg_legend(s, x, y, c == ZEROS ? "#ffffff" : layer_fill[c % 8], label);
        x += 150;
    }
}

int svg_map(const char *out, vhdx *img)
{
    const vhdx *chain[VHDX_MAX_CHAIN_DEPTH];
    size_t n = 0;
    for (const vhdx *l = img; l && n < VHDX_MAX_CHAIN_DEPTH; l = vhdx_parent(l))
        chain[n++] = l;
    struct band *b = calloc(1, sizeof *b);
    if (!b)
        return cli_errorf("out of memory drawing the map");
    struct svg s;
    char title[512], h[32];
    uint64_t size = vhdx_virtual_size(img);
    snprintf(title, sizeof title, "vhdx map: %s, %s virtual, %zu layer%s", vhdx_path(img),
             cli_human(size, h, sizeof h), n, n == 1 ? "" : "s");
    int height = TOP + (int)(n + 1) * (BAND_H + GAP) + 90;
    if (svg_begin(&s, out, LEFT + PIX + 40, height, title) != 0) {
        free(b);
        return cli_errorf("cannot create '%s': %s", out, strerror(errno));
    }
    svg_text(&s, LEFT, 24, 14, "start", title);
    unsigned states = 0, layers = 0;
    struct hv_err e;
    double y = TOP;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++, y += BAND_H + GAP) {
        memset(b, 0, sizeof *b);
        b->size = size ? size : 1;
        rc = vhdx_map(chain[i], on_layer_run, b, &e);
        char label[64];
        snprintf(label, sizeof label, "layer %zu%s", i, i == 0 ? " (top)" : i + 1 == n ? " (base)" : "");
        draw_band(&s, b, y, label, &states);
    }
    if (rc == 0) {
        memset(b, 0, sizeof *b);
        b->size = size ? size : 1;
        b->merged = 1;
        rc = vhdx_map(img, on_merged_run, b, &e);
        draw_band(&s, b, y, "merged: served by", &layers);
        y += BAND_H + GAP;
        svg_text(&s, LEFT, y, 11, "start", "0");
        svg_text(&s, LEFT + PIX, y, 11, "end", h);
        legend(&s, y + 24, states, layers);
    }
    free(b);
    if (rc != 0) {
        svg_abort(&s);
        return cli_error(&e);
    }
    if (svg_end(&s) != 0)
        return cli_errorf("cannot write '%s': %s", out, strerror(errno));
    return EXIT_OK;
}
