/* hv_digest.c: tree digest (SHA-256 of per-MiB SHA-256s), whole or incremental. */
#include "hv_digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "hv_hex.h"
#include "hv_zero.h"

/* Pieces read per call to the source: big enough to amortise a chain walk,
 * small enough to stay in L2/L3 while hashing. */
#define READ_PIECES 4

struct hv_tree {
    uint64_t size;
    uint64_t pieces;
    uint8_t zero_full[HV_DIGEST_LEN]; /* digest of 1 MiB of zeros */
    uint8_t zero_tail[HV_DIGEST_LEN]; /* digest of a short last piece of zeros */
    uint8_t *d;                       /* pieces * HV_DIGEST_LEN */
};

void hv_sha256(const void *p, size_t n, uint8_t out[HV_DIGEST_LEN])
{
    unsigned len = HV_DIGEST_LEN;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static void zero_digest(size_t len, uint8_t out[HV_DIGEST_LEN])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    static const uint8_t z[65536]; /* read-only */
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof z ? len - done : sizeof z;
        EVP_DigestUpdate(c, z, n);
        done += n;
    }
    unsigned l = HV_DIGEST_LEN;
    EVP_DigestFinal_ex(c, out, &l);
    EVP_MD_CTX_free(c);
}

int hv_tree_new(uint64_t size, hv_tree **out, struct hv_err *e)
{
    hv_tree *t = calloc(1, sizeof *t);
    uint64_t pieces = size / HV_DIGEST_PIECE + (size % HV_DIGEST_PIECE != 0);
    if (!t || pieces > SIZE_MAX / HV_DIGEST_LEN) {
        free(t);
        return hv_failx(e, HV_NOMEM, "digest", "no memory for %llu piece digests",
                        (unsigned long long)pieces);
    }
    t->size = size;
    t->pieces = pieces;
    t->d = malloc(pieces ? pieces * HV_DIGEST_LEN : 1);
    if (!t->d) {
        free(t);
        return hv_failx(e, HV_NOMEM, "digest", "no memory for %llu piece digests",
                        (unsigned long long)pieces);
    }
    zero_digest(HV_DIGEST_PIECE, t->zero_full);
    if (size % HV_DIGEST_PIECE)
        zero_digest(size % HV_DIGEST_PIECE, t->zero_tail);
    for (uint64_t i = 0; i < pieces; i++)
        hv_tree_set_piece_zero(t, i);
    *out = t;
    return 0;
}

void hv_tree_free(hv_tree *t)
{
    if (!t)
        return;
    free(t->d);
    free(t);
}

int hv_tree_copy(const hv_tree *t, hv_tree **out, struct hv_err *e)
{
    hv_tree *c = malloc(sizeof *c);
    if (!c)
        return hv_failx(e, HV_NOMEM, "digest", "no memory");
    *c = *t;
    c->d = malloc(t->pieces ? t->pieces * HV_DIGEST_LEN : 1);
    if (!c->d) {
        free(c);
        return hv_failx(e, HV_NOMEM, "digest", "no memory");
    }
    memcpy(c->d, t->d, t->pieces * HV_DIGEST_LEN);
    *out = c;
    return 0;
}

uint64_t hv_tree_size(const hv_tree *t) { return t->size; }
uint64_t hv_tree_pieces(const hv_tree *t) { return t->pieces; }

size_t hv_tree_piece_len(const hv_tree *t, uint64_t i)
{
    uint64_t start = i * HV_DIGEST_PIECE;
    uint64_t left = t->size - start;
    return (size_t)(left < HV_DIGEST_PIECE ? left : HV_DIGEST_PIECE);
}

void hv_tree_set_piece_zero(hv_tree *t, uint64_t i)
{
    const uint8_t *z = hv_tree_piece_len(t, i) == HV_DIGEST_PIECE ? t->zero_full : t->zero_tail;
    memcpy(t->d + i * HV_DIGEST_LEN, z, HV_DIGEST_LEN);
}

void hv_tree_set_piece(hv_tree *t, uint64_t i, const void *data)
{
    size_t n = hv_tree_piece_len(t, i);
    if (hv_is_zero(data, n))
        hv_tree_set_piece_zero(t, i);
    else
        hv_sha256(data, n, t->d + i * HV_DIGEST_LEN);
}

const uint8_t *hv_tree_piece_digest(const hv_tree *t, uint64_t i)
{
    return t->d + i * HV_DIGEST_LEN;
}

void hv_tree_root(const hv_tree *t, uint8_t out[HV_DIGEST_LEN])
{
    hv_sha256(t->d, t->pieces * HV_DIGEST_LEN, out);
}

int hv_tree_hash(hv_tree *t, const struct hv_digest_source *src, uint64_t first, uint64_t count,
                 uint8_t whole[HV_DIGEST_LEN], struct hv_err *e)
{
    if (first > t->pieces || count > t->pieces - first)
        return hv_failx(e, HV_USAGE, "digest", "pieces %llu+%llu outside the disk",
                        (unsigned long long)first, (unsigned long long)count);
    if (whole && (first != 0 || count != t->pieces))
        return hv_failx(e, HV_USAGE, "digest", "a whole-disk SHA-256 needs every piece");
    uint8_t *buf = malloc(READ_PIECES * HV_DIGEST_PIECE);
    EVP_MD_CTX *w = whole ? EVP_MD_CTX_new() : NULL;
    if (!buf || (whole && !w)) {
        free(buf);
        EVP_MD_CTX_free(w);
        return hv_failx(e, HV_NOMEM, "digest", "no memory for the read buffer");
    }
    if (w)
        EVP_DigestInit_ex(w, EVP_sha256(), NULL);
    int rc = 0;
    int zero_filled = 0; /* buf currently holds only zeros (a known-zero piece) */
    for (uint64_t i = first; i < first + count;) {
        uint64_t off = i * HV_DIGEST_PIECE;
        size_t plen = hv_tree_piece_len(t, i);
        if (src->known_zero && src->known_zero(src->ctx, off, plen)) {
            hv_tree_set_piece_zero(t, i);
            if (w) {
                if (!zero_filled)
                    memset(buf, 0, HV_DIGEST_PIECE);
                zero_filled = 1;
                EVP_DigestUpdate(w, buf, plen);
            }
            i++;
        } else {
            /* Read a run of up to READ_PIECES pieces not known to be zero. */
            uint64_t n = 1;
            while (n < READ_PIECES && i + n < first + count &&
                   !(src->known_zero &&
                     src->known_zero(src->ctx, (i + n) * HV_DIGEST_PIECE, hv_tree_piece_len(t, i + n))))
                n++;
            uint64_t end = (i + n) * HV_DIGEST_PIECE;
            if (end > t->size)
                end = t->size;
            size_t len = (size_t)(end - off);
            zero_filled = 0;
            if (src->read(src->ctx, buf, len, off, e) < 0) {
                rc = -1;
                break;
            }
            for (uint64_t k = 0; k < n; k++)
                hv_tree_set_piece(t, i + k, buf + k * HV_DIGEST_PIECE);
            if (w)
                EVP_DigestUpdate(w, buf, len);
            i += n;
        }
        if (src->progress)
            src->progress(src->ctx, (i - first) * HV_DIGEST_PIECE);
    }
    if (w) {
        unsigned l = HV_DIGEST_LEN;
        EVP_DigestFinal_ex(w, whole, &l);
        EVP_MD_CTX_free(w);
    }
    free(buf);
    return rc;
}

/* Known-zero run from piece i: gallops (1, 2, 4 ... pieces) and then halves
 * back, so a sparse 64 TiB disk costs a few dozen known_zero calls per run. */
static uint64_t zero_run(const struct hv_digest_source *src, uint64_t size, uint64_t i,
                         uint64_t end)
{
    uint64_t n = 0, step = 1;
    while (i + n < end) {
        uint64_t k = step < end - i - n ? step : end - i - n;
        uint64_t off = (i + n) * HV_DIGEST_PIECE, stop = (i + n + k) * HV_DIGEST_PIECE;
        if (stop > size)
            stop = size;
        if (src->known_zero(src->ctx, off, stop - off)) {
            n += k;
            step *= 2;
        } else if (step > 1) {
            step /= 2;
        } else {
            break;
        }
    }
    return n;
}

int hv_tree_digest(uint64_t size, const struct hv_digest_source *src, uint8_t root[HV_DIGEST_LEN],
                   uint8_t whole[HV_DIGEST_LEN], struct hv_err *e)
{
    enum { ZCOPIES = 1024 }; /* zero-piece digests fed per update */
    uint64_t pieces = size / HV_DIGEST_PIECE + (size % HV_DIGEST_PIECE != 0);
    uint8_t *buf = malloc(READ_PIECES * HV_DIGEST_PIECE);
    uint8_t *zd = malloc(ZCOPIES * HV_DIGEST_LEN);
    EVP_MD_CTX *r = EVP_MD_CTX_new(), *w = whole ? EVP_MD_CTX_new() : NULL;
    int rc = 0;
    if (!buf || !zd || !r || (whole && !w)) {
        rc = hv_failx(e, HV_NOMEM, "digest", "no memory for the read buffer");
        goto out;
    }
    uint8_t zero_full[HV_DIGEST_LEN], zero_tail[HV_DIGEST_LEN];
    zero_digest(HV_DIGEST_PIECE, zero_full);
    zero_digest(size % HV_DIGEST_PIECE, zero_tail);
    for (size_t k = 0; k < ZCOPIES; k++)
        memcpy(zd + k * HV_DIGEST_LEN, zero_full, HV_DIGEST_LEN);
    EVP_DigestInit_ex(r, EVP_sha256(), NULL);
    if (w)
        EVP_DigestInit_ex(w, EVP_sha256(), NULL);
    int zero_filled = 0;
    for (uint64_t i = 0; i < pieces;) {
        uint64_t off = i * HV_DIGEST_PIECE;
        uint64_t nz = src->known_zero ? zero_run(src, size, i, pieces) : 0;
        if (nz > 0) {
            /* Only the last piece can be short; its zero digest differs. */
            int short_last = i + nz == pieces && size % HV_DIGEST_PIECE;
            uint64_t full = nz - (short_last ? 1 : 0);
            for (uint64_t done = 0; done < full;) {
                uint64_t k = full - done < ZCOPIES ? full - done : ZCOPIES;
                EVP_DigestUpdate(r, zd, (size_t)k * HV_DIGEST_LEN);
                done += k;
            }
            if (short_last)
                EVP_DigestUpdate(r, zero_tail, HV_DIGEST_LEN);
            if (w) {
                if (!zero_filled)
                    memset(buf, 0, HV_DIGEST_PIECE);
                zero_filled = 1;
                for (uint64_t k = 0; k < nz; k++) {
                    uint64_t o = (i + k) * HV_DIGEST_PIECE;
                    EVP_DigestUpdate(w, buf, size - o < HV_DIGEST_PIECE ? size - o : HV_DIGEST_PIECE);
                }
            }
            i += nz;
        } else {
            uint64_t n = 1;
            while (n < READ_PIECES && i + n < pieces &&
                   !(src->known_zero && zero_run(src, size, i + n, i + n + 1)))
                n++;
            uint64_t end = (i + n) * HV_DIGEST_PIECE < size ? (i + n) * HV_DIGEST_PIECE : size;
            size_t len = (size_t)(end - off);
            zero_filled = 0;
            if (src->read(src->ctx, buf, len, off, e) < 0) {
                rc = -1;
                break;
            }
            for (uint64_t k = 0; k < n; k++) {
                size_t pl = (size_t)(end - (off + k * HV_DIGEST_PIECE) < HV_DIGEST_PIECE
                                         ? end - (off + k * HV_DIGEST_PIECE)
                                         : HV_DIGEST_PIECE);
                uint8_t d[HV_DIGEST_LEN];
                const uint8_t *p = buf + k * HV_DIGEST_PIECE;
                if (hv_is_zero(p, pl))
                    memcpy(d, pl == HV_DIGEST_PIECE ? zero_full : zero_tail, HV_DIGEST_LEN);
                else
                    hv_sha256(p, pl, d);
                EVP_DigestUpdate(r, d, HV_DIGEST_LEN);
            }
            if (w)
                EVP_DigestUpdate(w, buf, len);
            i += n;
        }
        if (src->progress)
            src->progress(src->ctx, i * HV_DIGEST_PIECE < size ? i * HV_DIGEST_PIECE : size);
    }
    if (rc == 0) {
        unsigned l = HV_DIGEST_LEN;
        EVP_DigestFinal_ex(r, root, &l);
        if (w)
            EVP_DigestFinal_ex(w, whole, &l);
    }
out:
    EVP_MD_CTX_free(r);
    EVP_MD_CTX_free(w);
    free(zd);
    free(buf);
    return rc;
}

char *hv_digest_hex(const uint8_t d[HV_DIGEST_LEN], char *buf)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < HV_DIGEST_LEN; i++) {
        buf[2 * i] = hex[d[i] >> 4];
        buf[2 * i + 1] = hex[d[i] & 15];
    }
    buf[2 * HV_DIGEST_LEN] = 0;
    return buf;
}

int hv_digest_parse(const char *s, uint8_t out[HV_DIGEST_LEN])
{
    for (int i = 0; i < HV_DIGEST_LEN; i++) {
        int hi = hv_hex_digit(s[2 * i]);
        int lo = hi < 0 ? -1 : hv_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
