/* svg_points.c: `hrl points --svg OUT`: the recovery points on a time axis
 * (the end time of each log), circle area = bytes the log changes, colour =
 * verdict (ok, problems, unusable), the base at the left. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hrl_points.h"
#include "svg_render.h"

#define LEFT 80
#define WIDTH 900
#define AXIS_Y 170
#define RMAX 40.0

static const char *verdict_of(const hrl_set *set, size_t k)
{
    if (k < hrl_set_usable(set))
        return "ok";
    const struct hrl_set_log *L = hrl_set_log_at(set, k);
    return L->problems || !L->log ? "problems" : "unusable";
}

static const char *verdict_fill(const char *v)
{
    return !strcmp(v, "ok") ? "#43a047" : !strcmp(v, "problems") ? "#e53935" : "#9e9e9e";
}

static uint64_t changed_bytes(const hrl_set *set, size_t k)
{
    size_t n;
    const struct hrl_write *w = hrl_set_writes(set, &n);
    const struct hrl_set_log *L = hrl_set_log_at(set, k);
    struct hrl_plan plan;
    struct hv_err e;
    if (hrl_plan_build(w + L->first_write, L->nwrites, &plan, &e) != 0)
        return 0;
    uint64_t b = plan.bytes;
    hrl_plan_free(&plan);
    return b;
}

int svg_points(const char *out, const hrl_set *set, const char *base_path)
{
    size_t n = hrl_set_count(set);
    uint64_t *bytes = calloc(n ? n : 1, sizeof *bytes), max = 1;
    if (!bytes)
        return cli_errorf("out of memory drawing the points");
    uint32_t t0 = UINT32_MAX, t1 = 0;
    for (size_t k = 0; k < n; k++) {
        bytes[k] = changed_bytes(set, k);
        max = bytes[k] > max ? bytes[k] : max;
        uint32_t t = hrl_set_log_end_time(set, k);
        t0 = t < t0 ? t : t0;
        t1 = t > t1 ? t : t1;
    }
    struct svg s;
    char title[512], a[40], b[40], h[32], tip[256];
    snprintf(title, sizeof title, "hrl points: %s and %zu log%s, %zu usable", base_path, n, n == 1 ? "" : "s",
             hrl_set_usable(set));
    if (svg_begin(&s, out, LEFT + WIDTH + 120, AXIS_Y + 110, title) != 0) {
        free(bytes);
        return cli_errorf("cannot create '%s': %s", out, strerror(errno));
    }
    svg_text(&s, 20, 24, 14, "start", title);
    double x0 = LEFT + 60, span = t1 > t0 ? (double)(t1 - t0) : 1.0;
    svg_line(&s, LEFT, AXIS_Y, LEFT + WIDTH + 60, AXIS_Y, "#000000");
    svg_circle(&s, LEFT, AXIS_Y, 6, "#1565c0", "point 0: the base");
    svg_text(&s, LEFT, AXIS_Y - 50, 11, "middle", "0 (base)");
    for (size_t k = 0; k < n; k++) {
        const char *v = verdict_of(set, k);
        uint32_t t = hrl_set_log_end_time(set, k);
        double x = n == 1 || t1 == t0 ? x0 + WIDTH / 2.0 : x0 + (WIDTH - 60) * (double)(t - t0) / span;
        double r = 4 + RMAX * sqrt((double)bytes[k] / (double)max);
        snprintf(tip, sizeof tip, "point %zu: %s, %s changed, %s, %s", k + 1, hrl_set_log_at(set, k)->path,
                 cli_human(bytes[k], h, sizeof h), v, cli_iso8601((int64_t)t + HRL_EPOCH_UNIX, a, sizeof a));
        svg_circle(&s, x, AXIS_Y, r, verdict_fill(v), tip);
        char label[32];
        snprintf(label, sizeof label, "%zu", k + 1);
        svg_text(&s, x, AXIS_Y - 50, 11, "middle", label);
    }
    if (n) {
        svg_text(&s, x0, AXIS_Y + 60, 11, "start", cli_iso8601((int64_t)t0 + HRL_EPOCH_UNIX, a, sizeof a));
        svg_text(&s, LEFT + WIDTH, AXIS_Y + 60, 11, "end", cli_iso8601((int64_t)t1 + HRL_EPOCH_UNIX, b, sizeof b));
    }
    svg_legend(&s, LEFT, AXIS_Y + 90, verdict_fill("ok"), "ok");
    svg_legend(&s, LEFT + 120, AXIS_Y + 90, verdict_fill("problems"), "problems");
    svg_legend(&s, LEFT + 240, AXIS_Y + 90, verdict_fill("unusable"), "unusable");
    svg_text(&s, LEFT + 380, AXIS_Y + 90, 11, "start", "circle area: bytes the log changes");
    free(bytes);
    if (svg_end(&s) != 0)
        return cli_errorf("cannot write '%s': %s", out, strerror(errno));
    return EXIT_OK;
}
