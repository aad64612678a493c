/* locator.c: [MS-VHDX] 2.6.2.6 parent locator item (offsets from the item start).
 *
 *   0              16   18    20                      20+12n
 *   +--------------+----+-----+-----------------------+----------------------+
 *   | LocatorType  |rsvd|count| entries (12 bytes each)| UTF-16LE keys/values |
 *   +--------------+----+-----+-----------------------+----------------------+
 *   entry: KeyOffset(4) ValueOffset(4) KeyLength(2) ValueLength(2)
 *
 * Strings carry no terminator and must not hold NULs; lengths are in bytes, so
 * an odd length cannot be UTF-16. Decoded to UTF-8 here, once.
 */
#include <stdlib.h>
#include <string.h>

#include "layout.h"

/* B04AEFB7-D19E-4A81-B789-25B8E9445913 */
const struct hv_guid VHDX_LOCATOR_TYPE_VHDX = { { 0xB7, 0xEF, 0x4A, 0xB0, 0x9E, 0xD1, 0x81, 0x4A,
                                                   0xB7, 0x89, 0x25, 0xB8, 0xE9, 0x44, 0x59, 0x13 } };

int vhdx_utf16le_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap, int allow_nul_end)
{
    (void)allow_nul_end;
    if (len % 2 || cap == 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 2) {
        uint32_t c = le16(in + i);
        if (c == 0)
            return -1;
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 4 > len)
                return -1;
            uint32_t lo = le16(in + i + 2);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return -1;
        }
        uint8_t b[4];
        size_t n;
        if (c < 0x80) {
            b[0] = (uint8_t)c;
            n = 1;
        } else if (c < 0x800) {
            b[0] = (uint8_t)(0xC0 | c >> 6);
            b[1] = (uint8_t)(0x80 | (c & 0x3F));
            n = 2;
        } else if (c < 0x10000) {
            b[0] = (uint8_t)(0xE0 | c >> 12);
            b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            b[2] = (uint8_t)(0x80 | (c & 0x3F));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | c >> 18);
            b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
            b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            b[3] = (uint8_t)(0x80 | (c & 0x3F));
            n = 4;
        }
        if (o + n + 1 > cap)
            return -1;
        memcpy(out + o, b, n);
        o += n;
    }
    out[o] = 0;
    return 0;
}

/* UTF-8 -> UTF-16LE; returns bytes written (or needed when buf is NULL), or
 * (size_t)-1 on invalid UTF-8. */
static size_t utf8_to_utf16le(const char *s, uint8_t *buf)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        uint32_t c;
        int n;
        if (*p < 0x80) {
            c = *p;
            n = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            c = *p & 0x1F;
            n = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            c = *p & 0x0F;
            n = 2;
        } else if ((*p & 0xF8) == 0xF0) {
            c = *p & 0x07;
            n = 3;
        } else {
            return (size_t)-1;
        }
        p++;
        for (int k = 0; k < n; k++, p++) {
            if ((*p & 0xC0) != 0x80)
                return (size_t)-1;
            c = c << 6 | (*p & 0x3F);
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            if (buf) {
                put_le16(buf + o, (uint16_t)(0xD800 + (c >> 10)));
                put_le16(buf + o + 2, (uint16_t)(0xDC00 + (c & 0x3FF)));
            }
            o += 4;
        } else {
            if (buf)
                put_le16(buf + o, (uint16_t)c);
            o += 2;
        }
    }
    return o;
}

/* at_off / at_len: file offsets of the entry's offset and length fields. */
static char *decode(struct hv_span s, uint32_t off, uint32_t len, const char *name, uint64_t at_off,
                    uint64_t at_len, struct hv_err *e)
{
    if (len == 0 || off == 0) {
        hv_fail(e, HV_CORRUPT, "parent locator", len ? at_off : at_len,
                "%s has zero offset or length", name);
        return NULL;
    }
    if (len % 2) {
        hv_fail(e, HV_CORRUPT, "parent locator", at_len, "%s length %u is odd", name, len);
        return NULL;
    }
    const uint8_t *p = span_at(s, off, len);
    if (!p) {
        hv_fail(e, HV_CORRUPT, "parent locator", at_off,
                "%s (offset %u, length %u) outside the %zu-byte item", name, off, len, s.len);
        return NULL;
    }
    size_t cap = (size_t)len / 2 * 3 + 1; /* worst case: 3 UTF-8 bytes per unit */
    char *out = malloc(cap);
    if (!out) {
        hv_failx(e, HV_NOMEM, "parent locator", "out of memory");
        return NULL;
    }
    if (vhdx_utf16le_to_utf8(p, len, out, cap, 0) != 0) {
        free(out);
        hv_fail(e, HV_CORRUPT, "parent locator", s.off + off,
                "%s is not valid UTF-16 (NUL or unpaired surrogate)", name);
        return NULL;
    }
    return out;
}

int vhdx_locator_parse(struct hv_span s, struct vhdx_locator *l, struct hv_err *e)
{
    memset(l, 0, sizeof *l);
    const uint8_t *p = span_at(s, 0, PL_HEADER_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "parent locator", s.off, "truncated: %zu of %d bytes", s.len,
                       PL_HEADER_SIZE);
    memcpy(l->type.b, p + PL_OFF_TYPE, 16);
    if (!hv_guid_eq(&l->type, &VHDX_LOCATOR_TYPE_VHDX)) {
        char g[40];
        return hv_fail(e, HV_UNSUPPORTED, "parent locator", s.off + PL_OFF_TYPE,
                       "unknown locator type %s", hv_guid_format(&l->type, 1, g));
    }
    unsigned n = le16(p + PL_OFF_COUNT);
    if (n == 0 || n > PL_MAX_ENTRIES)
        return hv_fail(e, HV_CORRUPT, "parent locator", s.off + PL_OFF_COUNT,
                       "entry count %u not in 1..%d", n, PL_MAX_ENTRIES);
    if (!span_at(s, PL_HEADER_SIZE, (uint64_t)n * PLE_SIZE))
        return hv_fail(e, HV_CORRUPT, "parent locator", s.off + PL_OFF_COUNT,
                       "%u entries do not fit in the %zu-byte item", n, s.len);
    l->kv = calloc(n, sizeof *l->kv);
    if (!l->kv)
        return hv_failx(e, HV_NOMEM, "parent locator", "out of memory");
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *q = p + PL_HEADER_SIZE + (size_t)i * PLE_SIZE;
        uint64_t at = s.off + PL_HEADER_SIZE + (uint64_t)i * PLE_SIZE;
        char *k = decode(s, le32(q + PLE_OFF_KEY_OFFSET), le16(q + PLE_OFF_KEY_LENGTH), "key",
                         at + PLE_OFF_KEY_OFFSET, at + PLE_OFF_KEY_LENGTH, e);
        if (!k)
            goto fail;
        l->kv[i].key = k;
        l->n = i + 1;
        char *v = decode(s, le32(q + PLE_OFF_VALUE_OFFSET), le16(q + PLE_OFF_VALUE_LENGTH), "value",
                         at + PLE_OFF_VALUE_OFFSET, at + PLE_OFF_VALUE_LENGTH, e);
        if (!v)
            goto fail;
        l->kv[i].value = v;
        l->kv[i].value_at = s.off + le32(q + PLE_OFF_VALUE_OFFSET);
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(l->kv[j].key, k)) {
                hv_fail(e, HV_CORRUPT, "parent locator", at, "duplicate key '%s'", k);
                goto fail;
            }
    }
    return 0;
fail:
    vhdx_locator_free(l);
    return -1;
}

void vhdx_locator_free(struct vhdx_locator *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->kv[i].key);
        free(l->kv[i].value);
    }
    free(l->kv);
    l->kv = NULL;
    l->n = 0;
}

uint64_t vhdx_locator_value_at(const struct vhdx_locator *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->kv[i].key, key))
            return l->kv[i].value_at;
    return 0;
}

const char *vhdx_locator_get(const struct vhdx_locator *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->kv[i].key, key))
            return l->kv[i].value;
    return NULL;
}

size_t vhdx_locator_encode(const struct vhdx_locator *l, uint8_t *buf, size_t cap)
{
    size_t size = PL_HEADER_SIZE + l->n * PLE_SIZE;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = utf8_to_utf16le(l->kv[i].key, NULL), v = utf8_to_utf16le(l->kv[i].value, NULL);
        if (k == (size_t)-1 || v == (size_t)-1 || k > 0xFFFF || v > 0xFFFF)
            return 0;
        size += k + v;
    }
    if (!buf || size > cap)
        return size;
    memset(buf, 0, size);
    memcpy(buf + PL_OFF_TYPE, l->type.b, 16);
    put_le16(buf + PL_OFF_COUNT, (uint16_t)l->n);
    size_t o = PL_HEADER_SIZE + l->n * PLE_SIZE;
    for (size_t i = 0; i < l->n; i++) {
        uint8_t *q = buf + PL_HEADER_SIZE + i * PLE_SIZE;
        size_t k = utf8_to_utf16le(l->kv[i].key, buf + o);
        put_le32(q + PLE_OFF_KEY_OFFSET, (uint32_t)o);
        put_le16(q + PLE_OFF_KEY_LENGTH, (uint16_t)k);
        o += k;
        size_t v = utf8_to_utf16le(l->kv[i].value, buf + o);
        put_le32(q + PLE_OFF_VALUE_OFFSET, (uint32_t)o);
        put_le16(q + PLE_OFF_VALUE_LENGTH, (uint16_t)v);
        o += v;
    }
    return size;
}
