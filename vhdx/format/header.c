/* header.c: [MS-VHDX] 2.2.1 file type identifier and 2.2.2 headers.
 *
 *   0       8                        520                      64K
 *   +-------+------------------------+------------------------+
 *   |vhdxfile| Creator (UTF-16LE 512)| reserved               |
 *   +-------+------------------------+------------------------+
 *
 *   header (4 KiB at 64 KiB and at 128 KiB; CRC-32C over all 4096 bytes)
 *   0    4    8       16             32             48        64  66  68   72   80
 *   +----+----+-------+--------------+--------------+---------+---+---+----+----+--------+
 *   |head|crc | seq   | FileWriteGuid| DataWriteGuid| LogGuid |LV |V  |LLen|LOff|reserved|
 *   +----+----+-------+--------------+--------------+---------+---+---+----+----+--------+
 */
#include <string.h>

#include "hv_crc.h"
#include "layout.h"
#include "vhdx.h"

static const uint8_t FTI_SIG[8] = { 'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e' };
static const uint8_t HDR_SIG[4] = { 'h', 'e', 'a', 'd' };
/* The HRL cookie: tell the user which tool reads such a file. */
static const uint8_t HRL_COOKIE[7] = { 'm', 's', 'c', 't', 'l', 'o', 'g' };

int vhdx_fti_parse(struct hv_span s, struct vhdx_fti *out, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, FTI_OFF_RESERVED);
    if (!p) {
        const uint8_t *q = span_at(s, 0, sizeof HRL_COOKIE);
        if (q && !memcmp(q, HRL_COOKIE, sizeof HRL_COOKIE))
            return hv_fail(e, HV_FORMAT, "file identifier", s.off,
                           "not a VHDX file; this looks like a Hyper-V Replica log; try 'hrl info'");
        return hv_fail(e, HV_FORMAT, "file identifier", s.off + s.len,
                       "not a VHDX file: only %zu bytes", s.len);
    }
    if (memcmp(p + FTI_OFF_SIGNATURE, FTI_SIG, sizeof FTI_SIG)) {
        if (!memcmp(p, HRL_COOKIE, sizeof HRL_COOKIE))
            return hv_fail(e, HV_FORMAT, "file identifier", s.off,
                           "not a VHDX file; this looks like a Hyper-V Replica log; try 'hrl info'");
        size_t k = 0;
        while (p[k] == FTI_SIG[k])
            k++;
        return hv_fail(e, HV_FORMAT, "file identifier", s.off + k,
                       "not a VHDX file (signature is not 'vhdxfile')");
    }
    /* The creator is diagnostic only: decode up to the first NUL, and tolerate
     * junk by showing nothing rather than failing the open. */
    size_t n = 0;
    while (n + 1 < FTI_CREATOR_LEN && (p[FTI_OFF_CREATOR + n] || p[FTI_OFF_CREATOR + n + 1]))
        n += 2;
    if (vhdx_utf16le_to_utf8(p + FTI_OFF_CREATOR, n, out->creator, sizeof out->creator, 0) != 0)
        out->creator[0] = 0;
    return 0;
}

void vhdx_fti_encode(const struct vhdx_fti *in, uint8_t *buf)
{
    memset(buf, 0, FTI_SIZE);
    memcpy(buf + FTI_OFF_SIGNATURE, FTI_SIG, sizeof FTI_SIG);
    /* ASCII/BMP-only creator strings are all hvkit writes. */
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)in->creator; *c && o + 2 <= FTI_CREATOR_LEN;
         c++, o += 2)
        put_le16(buf + FTI_OFF_CREATOR + o, *c < 0x80 ? *c : '?');
}

int vhdx_header_parse(struct hv_span s, struct vhdx_header *out, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, HDR_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "header", s.off, "truncated: %zu of %d bytes", s.len, HDR_SIZE);
    if (memcmp(p + HDR_OFF_SIGNATURE, HDR_SIG, sizeof HDR_SIG))
        return hv_fail(e, HV_CORRUPT, "header", s.off, "bad signature (not 'head')");
    struct vhdx_header h;
    h.checksum = le32(p + HDR_OFF_CHECKSUM);
    uint32_t crc = hv_crc32c_skip(p, HDR_SIZE, HDR_OFF_CHECKSUM);
    out->seq = 0;
    if (crc != h.checksum)
        return hv_fail(e, HV_CORRUPT, "header", s.off + HDR_OFF_CHECKSUM,
                       "checksum 0x%08x does not match computed 0x%08x", h.checksum, crc);
    out->seq = le64(p + HDR_OFF_SEQ); /* lets the caller blame the newer of two bad headers */
    h.seq = le64(p + HDR_OFF_SEQ);
    memcpy(h.file_write_guid.b, p + HDR_OFF_FILE_WRITE_GUID, 16);
    memcpy(h.data_write_guid.b, p + HDR_OFF_DATA_WRITE_GUID, 16);
    memcpy(h.log_guid.b, p + HDR_OFF_LOG_GUID, 16);
    h.log_version = le16(p + HDR_OFF_LOG_VERSION);
    h.version = le16(p + HDR_OFF_VERSION);
    h.log_length = le32(p + HDR_OFF_LOG_LENGTH);
    h.log_offset = le64(p + HDR_OFF_LOG_OFFSET);
    if (h.version != 1)
        return hv_fail(e, HV_UNSUPPORTED, "header", s.off + HDR_OFF_VERSION,
                       "version %u is not 1", h.version);
    /* A non-zero LogVersion only matters when there is a log to replay. */
    if (h.log_version != 0 && !hv_guid_is_zero(&h.log_guid))
        return hv_fail(e, HV_UNSUPPORTED, "header", s.off + HDR_OFF_LOG_VERSION,
                       "log version %u is not 0", h.log_version);
    if (h.log_length % MiB)
        return hv_fail(e, HV_CORRUPT, "header", s.off + HDR_OFF_LOG_LENGTH,
                       "log length %u is not a multiple of 1 MiB", h.log_length);
    if (h.log_offset % MiB || (h.log_length && h.log_offset < MiB))
        return hv_fail(e, HV_CORRUPT, "header", s.off + HDR_OFF_LOG_OFFSET,
                       "log offset 0x%llx is not 1 MiB aligned after the header section",
                       (unsigned long long)h.log_offset);
    if (h.log_length == 0 && !hv_guid_is_zero(&h.log_guid))
        return hv_fail(e, HV_CORRUPT, "header", s.off + HDR_OFF_LOG_GUID,
                       "log GUID set but the log length is 0");
    *out = h;
    return 0;
}

void vhdx_header_encode(const struct vhdx_header *in, uint8_t *buf)
{
    memset(buf, 0, HDR_SIZE);
    memcpy(buf + HDR_OFF_SIGNATURE, HDR_SIG, sizeof HDR_SIG);
    put_le64(buf + HDR_OFF_SEQ, in->seq);
    memcpy(buf + HDR_OFF_FILE_WRITE_GUID, in->file_write_guid.b, 16);
    memcpy(buf + HDR_OFF_DATA_WRITE_GUID, in->data_write_guid.b, 16);
    memcpy(buf + HDR_OFF_LOG_GUID, in->log_guid.b, 16);
    put_le16(buf + HDR_OFF_LOG_VERSION, in->log_version);
    put_le16(buf + HDR_OFF_VERSION, in->version);
    put_le32(buf + HDR_OFF_LOG_LENGTH, in->log_length);
    put_le64(buf + HDR_OFF_LOG_OFFSET, in->log_offset);
    put_le32(buf + HDR_OFF_CHECKSUM, hv_crc32c_skip(buf, HDR_SIZE, HDR_OFF_CHECKSUM));
}

int vhdx_header_select(const struct vhdx_header h[2], const int valid[2], int *tie)
{
    *tie = 0;
    if (valid[0] && valid[1]) {
        if (h[0].seq == h[1].seq) {
            /* Neither is "greater": Disk2vhd writes identical twins. Prefer
             * header 1 (as OpenVMM does); check warns when they differ. */
            *tie = 1;
            return 0;
        }
        return h[1].seq > h[0].seq ? 1 : 0;
    }
    if (valid[0])
        return 0;
    if (valid[1])
        return 1;
    return -1;
}

int vhdx_probe(const void *bytes, size_t len)
{
    if (!bytes || len < sizeof FTI_SIG)
        return 0;
    return memcmp(bytes, FTI_SIG, sizeof FTI_SIG) ? 0 : 100;
}
