/* hv_crc.h: CRC-32C (Castagnoli), the checksum of every VHDX structure. */
#ifndef HV_CRC_H
#define HV_CRC_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

/* zlib-style running CRC: start with crc = 0; feed pieces in order; the
 * return value is the final CRC-32C of everything fed so far.
 * hv_crc32c(0, "123456789", 9) == 0xE3069283. Uses ISA-L (SSE4.2/PCLMUL). */
HVK_API uint32_t hv_crc32c(uint32_t crc, const void *buf, size_t len);

/* CRC-32C of buf[0..len) with the 4 bytes at `field` taken as zero: how every
 * VHDX checksum is defined. `field` + 4 must be <= len. */
HVK_API uint32_t hv_crc32c_skip(const void *buf, size_t len, size_t field);

#endif
