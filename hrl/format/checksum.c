/* checksum.c: the one HRL checksum (docs/hrl-format.md §8): one's complement of the
 * 32-bit wrapping sum of unsigned bytes, one 4-byte field skipped.
 *
 *   buffer: [ ... bytes ... | skip: 4 bytes (the checksum field) | ... ]
 *   result: ~(sum(buffer) - sum(skip field))   (mod 2^32)
 *
 * A byte sum is order-independent, so it vectorises trivially: on x86-64
 * psadbw (_mm_sad_epu8 against zero) adds 16 bytes into two 64-bit lanes per
 * instruction; elsewhere a 64-bit SWAR loop adds 8 bytes per step. The
 * scalar loop is kept as the reference the tests compare against.
 */
#include "hrl_impl.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

uint32_t hrl_sum_scalar(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

#if defined(__SSE2__)
uint32_t hrl_sum(const uint8_t *p, size_t n)
{
    uint32_t head = 0;
    /* Align to 16 so the main loop uses aligned loads. */
    while (n && ((uintptr_t)p & 15)) {
        head += *p++;
        n--;
    }
    const __m128i zero = _mm_setzero_si128();
    __m128i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    /* Four independent accumulators hide psadbw/paddq latency; each lane
     * gains at most 8*255 per step, so 64-bit lanes never overflow. */
    while (n >= 64) {
        const __m128i *v = (const __m128i *)(const void *)p;
        a0 = _mm_add_epi64(a0, _mm_sad_epu8(_mm_load_si128(v + 0), zero));
        a1 = _mm_add_epi64(a1, _mm_sad_epu8(_mm_load_si128(v + 1), zero));
        a2 = _mm_add_epi64(a2, _mm_sad_epu8(_mm_load_si128(v + 2), zero));
        a3 = _mm_add_epi64(a3, _mm_sad_epu8(_mm_load_si128(v + 3), zero));
        p += 64;
        n -= 64;
    }
    while (n >= 16) {
        a0 = _mm_add_epi64(a0, _mm_sad_epu8(_mm_load_si128((const __m128i *)(const void *)p), zero));
        p += 16;
        n -= 16;
    }
    __m128i a = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, a);
    return head + (uint32_t)(lanes[0] + lanes[1]) + hrl_sum_scalar(p, n);
}
#endif

/* Portable SWAR: split each 64-bit word into even and odd bytes held in 16-bit
 * lanes; a lane gains at most 2*255 per word, so flush every 128 words. */
uint32_t hrl_sum_swar(const uint8_t *p, size_t n)
{
    const uint64_t m = 0x00FF00FF00FF00FFull;
    uint64_t total = 0;
    while (n >= 8) {
        uint64_t acc = 0;
        size_t words = n / 8 > 128 ? 128 : n / 8;
        for (size_t i = 0; i < words; i++) {
            uint64_t w;
            memcpy(&w, p + 8 * i, 8);
            acc += (w & m) + ((w >> 8) & m);
        }
        /* fold four 16-bit lanes */
        acc = (acc & 0x0000FFFF0000FFFFull) + ((acc >> 16) & 0x0000FFFF0000FFFFull);
        total += (acc & 0xFFFFFFFFull) + (acc >> 32);
        p += 8 * words;
        n -= 8 * words;
    }
    return (uint32_t)total + hrl_sum_scalar(p, n);
}

#if !defined(__SSE2__)
uint32_t hrl_sum(const uint8_t *p, size_t n)
{
    return hrl_sum_swar(p, n);
}
#endif

uint32_t hrl_checksum(const void *buf, size_t n, size_t skip)
{
    const uint8_t *p = buf;
    uint32_t s = hrl_sum(p, n);
    if (skip != HRL_NO_SKIP && skip < n)
        s -= hrl_sum_scalar(p + skip, n - skip < 4 ? n - skip : 4);
    return ~s;
}
