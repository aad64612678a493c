/* hv_bytes.h: the one bounds gate and the one byte-order codec.
 *
 * Every offset or length read from a file reaches memory only through
 * span_at()/span_sub(), which refuse anything outside the span (including
 * arithmetic overflow). Multi-byte fields are decoded byte by byte, never by
 * casting mapped memory to a struct (libarchive's archive_endian.h shape).
 */
#ifndef HV_BYTES_H
#define HV_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hv_zero.h"

/* A window of bytes with the file offset of its first byte, so errors can name
 * absolute offsets. */
struct hv_span {
    const uint8_t *p;
    size_t len;
    uint64_t off; /* file offset of p[0] */
};

static inline struct hv_span hv_span_make(const void *p, size_t len, uint64_t off)
{
    struct hv_span s = { (const uint8_t *)p, len, off };
    return s;
}

/* Pointer to [off, off+len) inside s, or NULL if any of it lies outside. */
static inline const uint8_t *span_at(struct hv_span s, uint64_t off, uint64_t len)
{
    if (off > s.len || len > s.len - off)
        return NULL;
    return s.p + off;
}

/* Sub-span [off, off+len) of s; returns 0, or -1 (out untouched) if outside. */
static inline int span_sub(struct hv_span s, uint64_t off, uint64_t len, struct hv_span *out)
{
    const uint8_t *p = span_at(s, off, len);
    if (!p)
        return -1;
    out->p = p;
    out->len = (size_t)len;
    out->off = s.off + off;
    return 0;
}

static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}
static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Overflow-checked helpers for sizes computed from file fields. */
static inline int hv_add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    *sum = a + b;
    return *sum < a;
}

static inline int hv_is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* The one zero check (hv_zero.h), for byte pointers. */
static inline int hv_all_zero(const uint8_t *p, size_t n)
{
    return hv_is_zero(p, n);
}

#endif
