/* svg.c: the SVG writer (see svg.h). */
#include <errno.h>
#include <string.h>

#include "svg.h"

static void esc(FILE *f, const char *t)
{
    for (; t && *t; t++) {
        switch (*t) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*t >= 0x20 || *t == '\t')
                fputc(*t, f);
        }
    }
}

int svg_begin(struct svg *s, const char *path, int w, int h, const char *title)
{
    s->path = path;
    s->w = w;
    s->h = h;
    if ((size_t)snprintf(s->tmp, sizeof s->tmp, "%s.part", path) >= sizeof s->tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!(s->f = fopen(s->tmp, "w")))
        return -1;
    fprintf(s->f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\">\n<title>",
            w, h, w, h);
    esc(s->f, title);
    fputs("</title>\n", s->f);
    fprintf(s->f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
    return 0;
}

int svg_end(struct svg *s)
{
    fputs("</svg>\n", s->f);
    int bad = ferror(s->f);
    errno = 0;
    if (fclose(s->f) != 0 || bad || rename(s->tmp, s->path) != 0) {
        int saved = errno ? errno : EIO;
        remove(s->tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

void svg_abort(struct svg *s)
{
    if (s->f)
        fclose(s->f);
    s->f = NULL;
    remove(s->tmp);
}

void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill, const char *tip)
{
    fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h, fill);
    if (tip) {
        fputs("><title>", s->f);
        esc(s->f, tip);
        fputs("</title></rect>\n", s->f);
    } else {
        fputs("/>\n", s->f);
    }
}

void svg_line(struct svg *s, double x1, double y1, double x2, double y2, const char *stroke)
{
    fprintf(s->f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1\"/>\n",
            x1, y1, x2, y2, stroke);
}

void svg_circle(struct svg *s, double cx, double cy, double r, const char *fill, const char *tip)
{
    fprintf(s->f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\" stroke=\"#333333\"", cx, cy, r, fill);
    if (tip) {
        fputs("><title>", s->f);
        esc(s->f, tip);
        fputs("</title></circle>\n", s->f);
    } else {
        fputs("/>\n", s->f);
    }
}

void svg_text(struct svg *s, double x, double y, int size, const char *anchor, const char *text)
{
    fprintf(s->f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%d\" text-anchor=\"%s\" fill=\"#000000\">", x, y,
            size, anchor);
    esc(s->f, text);
    fputs("</text>\n", s->f);
}

void svg_legend(struct svg *s, double x, double y, const char *fill, const char *label)
{
    fprintf(s->f, "<g class=\"legend\">");
    fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#333333\"/>",
            x, y - 10, fill);
    fprintf(s->f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"start\" fill=\"#000000\">",
            x + 16, y);
    esc(s->f, label);
    fputs("</text></g>\n", s->f);
}

const char *svg_heat(double v, char buf[8])
{
    if (v < 0)
        v = 0;
    if (v > 1)
        v = 1;
    /* white (0) -> yellow (0.5) -> red (1) */
    int r = 255, g, b;
    if (v < 0.5) {
        g = 255;
        b = (int)(255 * (1 - 2 * v));
    } else {
        g = (int)(255 * (2 - 2 * v));
        b = 0;
    }
    snprintf(buf, 8, "#%02x%02x%02x", r, g, b);
    return buf;
}
