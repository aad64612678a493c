/* hv_crc.c: CRC-32C through ISA-L's hardware-accelerated crc32_iscsi. */
#include "hv_crc.h"

#include <isa-l/crc.h>

uint32_t hv_crc32c(uint32_t crc, const void *buf, size_t len)
{
    /* crc32_iscsi keeps the raw register (no final XOR) and takes an int length. */
    unsigned int reg = ~crc;
    unsigned char *p = (unsigned char *)(uintptr_t)buf;
    while (len > 0) {
        int n = len > (1u << 30) ? (1 << 30) : (int)len;
        reg = crc32_iscsi(p, n, reg);
        p += n;
        len -= (size_t)n;
    }
    return ~reg;
}

uint32_t hv_crc32c_skip(const void *buf, size_t len, size_t field)
{
    static const uint8_t zero4[4];
    const uint8_t *p = buf;
    uint32_t crc = hv_crc32c(0, p, field);
    crc = hv_crc32c(crc, zero4, 4);
    return hv_crc32c(crc, p + field + 4, len - field - 4);
}
