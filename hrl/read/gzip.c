/* gzip.c: logs that arrive as .hrl.gz (not part of [MS-HRL]; transport only).
 *
 *   FILE.hrl.gz --zlib--> unlinked temporary file in $TMPDIR --mmap--> reader
 *
 * The decompressed log goes to a temporary file rather than the heap so memory
 * stays bounded: the page cache holds it, and the mapping outlives the
 * descriptor. The file is unlinked at once, so nothing is left behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "hrl_impl.h"

#define GZ_CHUNK (1u << 20)

int hrl_gunzip_map(const char *path, struct hv_map *m, struct hv_err *err)
{
    m->p = NULL;
    m->len = 0;
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/hrl-gunzip.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return hv_fail_errno(err, errno, "gzip", "cannot create a temporary file in '%s'",
                             dir && *dir ? dir : "/tmp");
    unlink(tmpl);
    gzFile gz = gzopen(path, "rb");
    uint8_t *buf = malloc(GZ_CHUNK);
    size_t total = 0;
    int rc = -1;
    if (!gz || !buf) {
        hv_failx(err, gz ? HV_NOMEM : HV_IO, "gzip", gz ? "out of memory" : "cannot open");
        goto out;
    }
    gzbuffer(gz, 256 * 1024);
    for (;;) {
        int n = gzread(gz, buf, GZ_CHUNK);
        if (n < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            hv_failx(err, HV_CORRUPT, "gzip", "decompression failed after %zu bytes: %s", total,
                     msg);
            goto out;
        }
        if (n == 0)
            break;
        for (size_t done = 0; done < (size_t)n;) {
            ssize_t w = write(fd, buf + done, (size_t)n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                hv_fail_errno(err, errno, "gzip", "writing the temporary file");
                goto out;
            }
            done += (size_t)w;
        }
        total += (size_t)n;
    }
    if (total) {
        void *p = mmap(NULL, total, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            hv_fail_errno(err, errno, "gzip", "mapping the decompressed log");
            goto out;
        }
        m->p = p;
        m->len = total;
    }
    rc = 0;
out:
    if (gz)
        gzclose(gz);
    free(buf);
    close(fd);
    return rc;
}
