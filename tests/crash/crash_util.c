/* crash_util.c: see crash_util.h. */
#include "crash_util.h"

#include <stdlib.h>
#include <unistd.h>

int crash_failures;

void crash_die(const struct hv_err *e, const char *what)
{
    char buf[1400];
    fprintf(stderr, "FATAL %s: %s\n", what, hv_err_format(e, buf, sizeof buf));
    exit(1);
}

uint8_t *crash_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*len ? *len : 1);
    if (p && fread(p, 1, *len, f) != *len)
        *len = 0;
    fclose(f);
    return p;
}

void crash_spit(const char *path, const uint8_t *p, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len)
        exit(1);
    fclose(f);
}
