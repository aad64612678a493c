/* svg_timeline.c: `hrl timeline --svg OUT`: a heat map of the logs' writes,
 * disk offset (down) against entry time (across), colour = bytes written in
 * the cell (log scale). With a base, its partitions are drawn and labelled. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hrl.h"
#include "svg_render.h"

#define COLS 240
#define ROWS 128
#define LEFT 90
#define TOP 40
#define CELL_W 3
#define CELL_H 3
#define RIGHT 260

struct grid {
    uint64_t cell[ROWS][COLS];
    uint32_t t0, t1;
    uint64_t size;
    uint64_t writes, bytes;
};

static int scan(hrl_log **logs, size_t n, struct grid *g, int fill)
{
    for (size_t i = 0; i < n; i++) {
        struct hrl_iter it;
        struct hrl_entry e;
        hrl_iter_init(logs[i], 0, &it);
        while (hrl_iter_next(&it, &e)) {
            if (!fill) {
                if (!g->writes || e.timestamp < g->t0)
                    g->t0 = e.timestamp;
                if (e.timestamp > g->t1)
                    g->t1 = e.timestamp;
                if (e.disk_offset + e.length > g->size)
                    g->size = e.disk_offset + e.length;
                g->writes++;
                g->bytes += e.length;
                continue;
            }
            uint64_t span = (uint64_t)g->t1 - g->t0 + 1;
            size_t c = (size_t)(((uint64_t)(e.timestamp - g->t0) * COLS) / span);
            uint64_t off = e.disk_offset, end = e.disk_offset + e.length;
            while (off < end && off < g->size) {
                size_t r = (size_t)((double)off / (double)g->size * ROWS);
                if (r >= ROWS)
                    r = ROWS - 1;
                uint64_t row_end = (uint64_t)ceil((double)(r + 1) * (double)g->size / ROWS);
                uint64_t stop = end < row_end ? end : row_end;
                if (stop <= off)
                    stop = off + 1;
                g->cell[r][c < COLS ? c : COLS - 1] += stop - off;
                off = stop;
            }
        }
    }
    return 0;
}

static void draw_cells(struct svg *s, const struct grid *g)
{
    uint64_t max = 1;
    for (size_t r = 0; r < ROWS; r++)
        for (size_t c = 0; c < COLS; c++)
            if (g->cell[r][c] > max)
                max = g->cell[r][c];
    char col[8], tip[96];
    for (size_t r = 0; r < ROWS; r++)
        for (size_t c = 0; c < COLS; c++) {
            if (!g->cell[r][c])
                continue;
            double v = 0.15 + 0.85 * log((double)g->cell[r][c]) / log((double)max > 1 ? (double)max : 2.0);
            snprintf(tip, sizeof tip, "%llu bytes", (unsigned long long)g->cell[r][c]);
            svg_rect(s, LEFT + c * CELL_W, TOP + r * CELL_H, CELL_W, CELL_H, svg_heat(v, col), tip);
        }
}

static void draw_axes(struct svg *s, const struct grid *g)
{
    char a[40], b[40], buf[64];
    double w = COLS * CELL_W, h = ROWS * CELL_H;
    svg_line(s, LEFT, TOP + h, LEFT + w, TOP + h, "#000000");
    svg_line(s, LEFT, TOP, LEFT, TOP + h, "#000000");
    svg_text(s, LEFT, TOP + h + 16, 11, "start", cli_iso8601((int64_t)g->t0 + HRL_EPOCH_UNIX, a, sizeof a));
    svg_text(s, LEFT + w, TOP + h + 16, 11, "end", cli_iso8601((int64_t)g->t1 + HRL_EPOCH_UNIX, b, sizeof b));
    svg_text(s, LEFT + w / 2, TOP + h + 32, 12, "middle", "entry time (UTC)");
    svg_text(s, LEFT - 6, TOP + 10, 11, "end", "0");
    svg_text(s, LEFT - 6, TOP + h, 11, "end", cli_human(g->size, buf, sizeof buf));
    svg_text(s, 12, TOP + h / 2, 12, "start", "disk offset");
}

static void draw_volumes(struct svg *s, const struct grid *g, const struct svg_band *v, size_t nv)
{
    double h = ROWS * CELL_H, x = LEFT + COLS * CELL_W;
    for (size_t i = 0; i < nv; i++) {
        if (v[i].off >= g->size)
            continue;
        double y0 = TOP + h * (double)v[i].off / (double)g->size;
        double y1 = TOP + h * (double)(v[i].off + v[i].len < g->size ? v[i].off + v[i].len : g->size) / (double)g->size;
        svg_line(s, LEFT, y0, x + 8, y0, "#3366cc");
        svg_rect(s, x + 4, y0, 4, y1 - y0 > 1 ? y1 - y0 : 1, "#3366cc", v[i].label);
        svg_text(s, x + 12, y0 + 11, 11, "start", v[i].label);
    }
}

int svg_timeline(const char *out, char **paths, size_t n, const struct svg_band *vols, size_t nv,
                 uint64_t disk_size)
{
    hrl_log **logs = calloc(n ? n : 1, sizeof *logs);
    struct grid *g = calloc(1, sizeof *g);
    int rc = EXIT_ERROR;
    if (!logs || !g) {
        rc = cli_errorf("out of memory drawing the timeline");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct hv_err e;
        hv_err_clear(&e);
        if (hrl_open(paths[i], NULL, &logs[i], &e) != 0) {
            hv_err_file(&e, paths[i]);
            rc = cli_error(&e);
            goto out;
        }
    }
    scan(logs, n, g, 0);
    if (disk_size > g->size)
        g->size = disk_size;
    if (!g->size)
        g->size = 1;
    scan(logs, n, g, 1);
    struct svg s;
    char title[160], h1[32];
    snprintf(title, sizeof title, "hrl timeline: %llu writes, %s, %zu logs", (unsigned long long)g->writes,
             cli_human(g->bytes, h1, sizeof h1), n);
    if (svg_begin(&s, out, LEFT + COLS * CELL_W + RIGHT, TOP + ROWS * CELL_H + 90, title) != 0) {
        rc = cli_errorf("cannot create '%s': %s", out, strerror(errno));
        goto out;
    }
    svg_text(&s, LEFT, 22, 14, "start", title);
    draw_cells(&s, g);
    draw_axes(&s, g);
    draw_volumes(&s, g, vols, nv);
    char col[8];
    double ly = TOP + ROWS * CELL_H + 60;
    svg_legend(&s, LEFT, ly, svg_heat(0.15, col), "few bytes written");
    svg_legend(&s, LEFT + 160, ly, svg_heat(0.6, col), "more");
    svg_legend(&s, LEFT + 260, ly, svg_heat(1, col), "most bytes in a cell");
    if (svg_end(&s) != 0)
        rc = cli_errorf("cannot write '%s': %s", out, strerror(errno));
    else
        rc = EXIT_OK;
out:
    for (size_t i = 0; logs && i < n; i++)
        hrl_close(logs[i]);
    free(logs);
    free(g);
    return rc;
}
