/* gzip.c: logs that arrive as .hrl.gz (not part of [MS-HRL]; transport only).
 *
 *   FILE.hrl.gz --zlib, streamed--> unlinked temporary file in $TMPDIR --mmap--> reader
 *                 |header 4096|....log....|EOL| <= HRL_GZ_TRAILING_MAX |end of stream
 *
 * The compressed size says nothing about the inflated size (zeros shrink a
 * thousandfold), so inflation stops at the log's own end: the header is
 * inflated first, and when it is sound and closed, only EOLLocation bytes
 * are kept. What follows is inflated and discarded up to a small limit; a
 * stream longer than that is refused (docs/hrl-policy.md "Compressed logs").
 * An unclosed log has no declared end: it is inflated in full, but runs of
 * zeros become holes in the temporary file, so space a writer pre-extended
 * costs no disk. The temporary file is unlinked at once; the mapping outlives
 * the descriptor.
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
#define HRL_GZ_TRAILING_MAX (1u << 20) /* inflated bytes allowed after EOLLocation */
#define GZ_UNKNOWN UINT64_MAX

struct gz {
    gzFile f;
    int fd;
    uint8_t *buf;
    uint8_t hdr[HRL_HEADER_SIZE];
    uint64_t total; /* bytes inflated into the temporary file */
};

/* The end of the log as its own header declares it: EOLLocation of a sound,
 * closed header, else GZ_UNKNOWN. */
static uint64_t declared_end(const uint8_t *h)
{
    if (!hrl_probe(h, HRL_HEADER_SIZE) || hrl_checksum(h, HRL_HEADER_SIZE, 40) != le32(h + 40))
        return GZ_UNKNOWN;
    uint64_t eol = le64(h + 44);
    return eol >= HRL_HEADER_SIZE ? eol : GZ_UNKNOWN;
}

/* Stores inflated bytes at the current end; all-zero chunks are left as holes. */
static int store(struct gz *z, size_t n, struct hv_err *err)
{
    if (z->total < HRL_HEADER_SIZE) {
        size_t h = HRL_HEADER_SIZE - z->total < n ? (size_t)(HRL_HEADER_SIZE - z->total) : n;
        memcpy(z->hdr + z->total, z->buf, h);
    }
    if (hv_all_zero(z->buf, n)) {
        z->total += n;
        return 0;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = pwrite(z->fd, z->buf + done, n - done, (off_t)(z->total + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return hv_fail_errno(err, errno, "gzip", "writing the temporary file");
        done += (size_t)w;
    }
    z->total += n;
    return 0;
}

/* Inflates up to `want` bytes into z->buf. @return bytes (0 at the end) or -1. */
static int inflate_some(struct gz *z, size_t want, struct hv_err *err)
{
    int n = gzread(z->f, z->buf, (unsigned)want);
    if (n < 0) {
        int zerr;
        const char *msg = gzerror(z->f, &zerr);
        return hv_failx(err, HV_CORRUPT, "gzip", "decompression failed after %llu bytes: %s",
                        (unsigned long long)z->total, msg);
    }
    return n;
}

/* Inflates the log: the header alone first, then up to its declared end. */
static int inflate_log(struct gz *z, uint64_t *end, struct hv_err *err)
{
    *end = GZ_UNKNOWN;
    for (;;) {
        uint64_t room = z->total < HRL_HEADER_SIZE ? HRL_HEADER_SIZE - z->total
                        : *end == GZ_UNKNOWN       ? GZ_CHUNK
                                                   : *end - z->total;
        if (room == 0)
            return 0;
        int n = inflate_some(z, room < GZ_CHUNK ? (size_t)room : GZ_CHUNK, err);
        if (n <= 0)
            return n;
        if (store(z, (size_t)n, err))
            return -1;
        if (z->total == HRL_HEADER_SIZE)
            *end = declared_end(z->hdr);
    }
}

/* After the declared end: at most HRL_GZ_TRAILING_MAX more bytes, discarded. */
static int check_trailing(struct gz *z, uint64_t end, struct hv_err *err)
{
    uint64_t extra = 0;
    for (;;) {
        int n = inflate_some(z, GZ_CHUNK, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        extra += (uint64_t)n;
        if (extra > HRL_GZ_TRAILING_MAX)
            return hv_failx(err, HV_CORRUPT, "gzip",
                            "more than %u bytes follow the end of the log (EOLLocation 0x%llx) "
                            "in the compressed stream: refused",
                            HRL_GZ_TRAILING_MAX, (unsigned long long)end);
    }
}

int hrl_gunzip_map(const char *path, struct hv_map *m, struct hv_err *err)
{
    m->p = NULL;
    m->len = 0;
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/hrl-gunzip.XXXXXX", dir && *dir ? dir : "/tmp");
    struct gz z = { .fd = mkstemp(tmpl) };
    if (z.fd < 0)
        return hv_fail_errno(err, errno, "gzip", "cannot create a temporary file in '%s'",
                             dir && *dir ? dir : "/tmp");
    unlink(tmpl);
    z.f = gzopen(path, "rb");
    z.buf = malloc(GZ_CHUNK);
    int rc = -1;
    uint64_t end;
    if (!z.f || !z.buf) {
        hv_failx(err, z.f ? HV_NOMEM : HV_IO, "gzip", z.f ? "out of memory" : "cannot open");
        goto out;
    }
    gzbuffer(z.f, 256 * 1024);
    if (inflate_log(&z, &end, err) || (end != GZ_UNKNOWN && check_trailing(&z, end, err)))
        goto out;
    if (z.total > SIZE_MAX) {
        hv_failx(err, HV_NOMEM, "gzip", "decompressed log too large to map");
        goto out;
    }
    if (z.total) {
        /* Trailing holes need the file length set; the mapping reads them as zeros. */
        if (ftruncate(z.fd, (off_t)z.total) != 0) {
            hv_fail_errno(err, errno, "gzip", "sizing the temporary file");
            goto out;
        }
        void *p = mmap(NULL, (size_t)z.total, PROT_READ, MAP_SHARED, z.fd, 0);
        if (p == MAP_FAILED) {
            hv_fail_errno(err, errno, "gzip", "mapping the decompressed log");
            goto out;
        }
        m->p = p;
        m->len = (size_t)z.total;
    }
    rc = 0;
out:
    if (z.f)
        gzclose(z.f);
    free(z.buf);
    close(z.fd);
    return rc;
}
