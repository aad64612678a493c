/* hv_zero.c: the zero check and the hole query (see hv_zero.h). */
#define _GNU_SOURCE
#include "hv_zero.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define LINE 64

/* OR of one 64-byte line; memcpy keeps it legal for any alignment and the
 * compiler turns the eight loads into vector loads. */
static inline uint64_t line_or(const uint8_t *p)
{
    uint64_t w[LINE / 8];
    memcpy(w, p, LINE);
    return (w[0] | w[1]) | (w[2] | w[3]) | (w[4] | w[5]) | (w[6] | w[7]);
}

int hv_is_zero(const void *vp, size_t n)
{
    const uint8_t *p = vp;
    size_t i = 0;
    /* One line first: random data almost always stops here. */
    if (n >= LINE && line_or(p))
        return 0;
    for (; i + 4 * LINE <= n; i += 4 * LINE)
        if (line_or(p + i) | line_or(p + i + LINE) | line_or(p + i + 2 * LINE) |
            line_or(p + i + 3 * LINE))
            return 0;
    for (; i + LINE <= n; i += LINE)
        if (line_or(p + i))
            return 0;
    for (; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

size_t hv_zero_run(const void *vp, size_t n, size_t unit, int zero)
{
    const uint8_t *p = vp;
    if (unit == 0)
        unit = n ? n : 1;
    size_t i = 0;
    while (i < n) {
        size_t u = n - i < unit ? n - i : unit;
        if (!hv_is_zero(p + i, u) != !zero)
            break;
        i += u;
    }
    return i;
}

int hv_data_next(int fd, uint64_t off, uint64_t end, uint64_t *data, uint64_t *data_end)
{
    if (off >= end)
        return 0;
    off_t d = lseek(fd, (off_t)off, SEEK_DATA);
    if (d < 0 && errno == ENXIO)
        return 0; /* only a hole up to the end of the file */
    if (d < 0) {
        *data = off; /* cannot tell: all data */
        *data_end = end;
        return 1;
    }
    if ((uint64_t)d >= end)
        return 0;
    off_t h = lseek(fd, d, SEEK_HOLE);
    *data = (uint64_t)d;
    *data_end = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
    return 1;
}
