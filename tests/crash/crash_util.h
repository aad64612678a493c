/* crash_util.h: what every power-cut sweep shares: a CHECK that counts
 * failures, a fatal error, and whole files in and out of memory. */
#ifndef CRASH_UTIL_H
#define CRASH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_err.h"

extern int crash_failures; /* CHECKs that failed in this program */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            crash_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* Prints `what` and the error, exits 1. */
void crash_die(const struct hv_err *e, const char *what);
/* The whole file (malloc'd; *len 0 on a short read), or NULL. */
uint8_t *crash_slurp(const char *path, size_t *len);
/* Replaces `path` with exactly these bytes; exits 1 on failure. */
void crash_spit(const char *path, const uint8_t *p, size_t len);

#endif
