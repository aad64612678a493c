/* bitmap.c: [MS-VHDX] 2.5.1.2 / 2.4 sector bitmap blocks.
 *
 *   SB block c (1 MiB = 2^23 bits) covers virtual sectors [c*2^23, (c+1)*2^23):
 *   byte k/8, bit k%8 (LSB first): 1 = sector in this file, 0 = in the parent.
 *   payload block b owns bytes [(b % R) * 1 MiB / R, +1 MiB / R).
 *
 * Runs are found a 64-bit word at a time where possible, so a fully set or
 * clear stretch costs one compare per 64 sectors.
 */
#include "layout.h"

static inline int bit_at(const uint8_t *bits, uint64_t k)
{
    return (bits[k >> 3] >> (k & 7)) & 1;
}

uint64_t vhdx_bitmap_run(const uint8_t *bits, uint64_t start, uint64_t limit, int *bit)
{
    if (limit == 0) {
        *bit = 0;
        return 0;
    }
    int v = bit_at(bits, start);
    *bit = v;
    uint64_t k = start;
    uint64_t end = start + limit;
    uint8_t all = v ? 0xFF : 0x00;
    while (k < end) {
        if ((k & 7) == 0 && end - k >= 64) {
            const uint8_t *p = bits + (k >> 3);
            int same = 1;
            for (int i = 0; i < 8; i++)
                if (p[i] != all) {
                    same = 0;
                    break;
                }
            if (same) {
                k += 64;
                continue;
            }
        }
        if ((k & 7) == 0 && end - k >= 8 && bits[k >> 3] == all) {
            k += 8;
            continue;
        }
        if (bit_at(bits, k) != v)
            break;
        k++;
    }
    return k - start;
}

uint64_t vhdx_bitmap_count(const uint8_t *bits, uint64_t start, uint64_t n)
{
    uint64_t c = 0;
    uint64_t k = start, end = start + n;
    while (k < end && (k & 7))
        c += (uint64_t)bit_at(bits, k++);
    while (end - k >= 8) {
        c += (uint64_t)__builtin_popcount(bits[k >> 3]);
        k += 8;
    }
    while (k < end)
        c += (uint64_t)bit_at(bits, k++);
    return c;
}
