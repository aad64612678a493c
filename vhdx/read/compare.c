/* compare.c: the first virtual offset where two disks differ (qemu-img
 * compare semantics): VHDX chains or raw images, read 1 MiB at a time;
 * stretches where both hold no data are skipped unread. A disk longer than
 * the other must read zeros beyond the shorter one's end, unless strict. */
#include <stdlib.h>
#include <string.h>

#include "disksrc.h"
#include "vhdx_ops.h"

#define CMP_CHUNK (1u << 20)

/* Index of the first differing byte of a and b (n when equal); b NULL = zeros. */
static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    static const uint8_t zeros[4096];
    for (size_t at = 0; at < n; at += sizeof zeros) {
        size_t k = n - at < sizeof zeros ? n - at : sizeof zeros;
        if (memcmp(a + at, b ? b + at : zeros, k) == 0)
            continue;
        for (size_t i = 0; i < k; i++)
            if (a[at + i] != (b ? b[at + i] : 0))
                return at + i;
    }
    return n;
}

/* Compares one chunk; *diff = index of the first difference or n. */
static int cmp_chunk(struct disksrc *s, uint8_t *ba, uint8_t *bb, uint64_t off, size_t n,
                     size_t *diff, struct hv_err *e)
{
    int ha = vhdx_src_hole(&s[0], off, n), hb = vhdx_src_hole(&s[1], off, n);
    *diff = n;
    if (ha && hb)
        return 0;
    if (!ha && vhdx_src_read(&s[0], ba, n, off, e) != 0)
        return -1;
    if (!hb && vhdx_src_read(&s[1], bb, n, off, e) != 0)
        return -1;
    if (ha)
        *diff = first_diff(bb, NULL, n);
    else
        *diff = first_diff(ba, hb ? NULL : bb, n);
    return 0;
}

static int compare_open(struct disksrc *s, int strict, struct vhdx_compare_result *r,
                        struct hv_err *e)
{
    r->size_a = s[0].size;
    r->size_b = s[1].size;
    if (strict && r->size_a != r->size_b) {
        r->size_mismatch = 1;
        return 0;
    }
    uint64_t end = r->size_a > r->size_b ? r->size_a : r->size_b;
    uint8_t *ba = malloc(CMP_CHUNK), *bb = malloc(CMP_CHUNK);
    int rc = ba && bb ? 0 : hv_failx(e, HV_NOMEM, "compare", "out of memory");
    for (uint64_t off = 0; rc == 0 && off < end; off += CMP_CHUNK) {
        size_t n = end - off < CMP_CHUNK ? (size_t)(end - off) : CMP_CHUNK, d;
        rc = cmp_chunk(s, ba, bb, off, n, &d, e);
        if (rc == 0 && d < n) {
            r->differ = 1;
            r->first_byte = off + d;
            break;
        }
    }
    r->size_mismatch = r->size_a != r->size_b;
    free(ba);
    free(bb);
    return rc;
}

int vhdx_compare(const char *a, const char *b, const struct vhdx_open_opts *opts, int strict,
                 struct vhdx_compare_result *r, struct hv_err *e)
{
    struct disksrc s[2];
    memset(r, 0, sizeof *r);
    if (vhdx_src_open(a, opts, &s[0], e) != 0)
        return -1;
    if (vhdx_src_open(b, opts, &s[1], e) != 0) {
        vhdx_src_close(&s[0]);
        return -1;
    }
    int rc = compare_open(s, strict, r, e);
    r->differ |= strict && r->size_mismatch;
    vhdx_src_close(&s[0]);
    vhdx_src_close(&s[1]);
    return rc;
}
