/* svg.h: a small writer of self-contained SVG pictures (no scripts, no
 * external references), shared by `hrl timeline --svg`, `vhdx map --svg` and
 * `hrl points --svg`. Text is escaped here, once. */
#ifndef HVK_SVG_H
#define HVK_SVG_H

#include <stdint.h>
#include <stdio.h>

struct svg {
    FILE *f;
    const char *path;
    char tmp[4096]; /* written here, renamed to `path` by svg_end() */
    int w, h;
};

/* Starts a w x h picture with a white background and a <title>; it is
 * written beside `path` and only replaces it in svg_end(), so a failed run
 * never leaves half a picture. @return 0, or -1 with errno. */
int svg_begin(struct svg *s, const char *path, int w, int h, const char *title);
/* Closes the document and publishes it. @return 0, or -1 (write error). */
int svg_end(struct svg *s);
/* Drops an unfinished picture. */
void svg_abort(struct svg *s);

void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill, const char *tip);
void svg_line(struct svg *s, double x1, double y1, double x2, double y2, const char *stroke);
void svg_circle(struct svg *s, double cx, double cy, double r, const char *fill, const char *tip);
/* anchor: "start", "middle" or "end". */
void svg_text(struct svg *s, double x, double y, int size, const char *anchor, const char *text);
/* A legend entry: a swatch and its label, at (x, y). */
void svg_legend(struct svg *s, double x, double y, const char *fill, const char *label);

/* "#rrggbb" on a white-yellow-red scale for v in [0, 1]. */
const char *svg_heat(double v, char buf[8]);

#endif
