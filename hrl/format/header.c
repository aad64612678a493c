/* header.c: the Log File Header (docs/hrl-format.md §5), _CTLOG_HEADER_PACKED.
 *
 *   0x000 Cookie "msctlog" + 0x00|0x20   0x038 MetadataSize
 *   0x008 LogFormatVersion               0x03C UniqueId (GUID)
 *   0x00C TimeStamp                      0x04C PreviousUniqueId (GUID)
 *   0x010 CreatorApplication[4]          0x05C LastModifiedTimeStamp
 *   0x014 CreatorVersion                 0x060 TotalMetadataEntries (u64)
 *   0x018 OriginalSize (u64)             0x068 FileType
 *   0x020 CurrentSize (u64)              0x06C Flags[2]
 *   0x028 Checksum                       0x06E Vhd2DataWriteGuid (V2 only)
 *   0x02C EOLLocation (u64, unaligned)   0x07E Reserved[3970] ... 0x1000
 *   0x034 ErrorCode (s32)
 *
 * Packed, little-endian, decoded field by field.
 */
#include <stdio.h>
#include <string.h>

#include "hrl_impl.h"

enum {
    H_COOKIE = 0, H_VERSION = 8, H_TIMESTAMP = 12, H_CREATOR_APP = 16, H_CREATOR_VERSION = 20,
    H_ORIGINAL_SIZE = 24, H_CURRENT_SIZE = 32, H_CHECKSUM = 40, H_EOL = 44, H_ERROR_CODE = 52,
    H_METADATA_SIZE = 56, H_UNIQUE_ID = 60, H_PREVIOUS_UNIQUE_ID = 76, H_LAST_MODIFIED = 92,
    H_TOTAL_ENTRIES = 96, H_FILE_TYPE = 104, H_FLAGS = 108, H_VHD2_GUID = 110,
    H_RESERVED = 126, H_RESERVED_LEN = 3970,
};
_Static_assert(H_RESERVED + H_RESERVED_LEN == HRL_HEADER_SIZE, "header is 4096 bytes");
_Static_assert(H_FLAGS + 2 == H_VHD2_GUID && H_VHD2_GUID + 16 == H_RESERVED, "packed");

#define HRL_COOKIE "msctlog"
#define HRL_VERSION_2 0x00020000u
#define HRL_MAX_METADATA_SIZE (16u << 20) /* far above any real log; keeps capacity sane */

int hrl_probe(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (len < 8 || memcmp(p, HRL_COOKIE, 7) != 0 || (p[7] != 0 && p[7] != ' '))
        return 0;
    return 100;
}

int hrl_header_parse(struct hv_span s, struct hrl_header *h, struct hrl_report *r,
                     struct hv_err *err)
{
    const uint8_t *p = span_at(s, 0, 8);
    memset(h, 0, sizeof *h);
    if (!p || !hrl_probe(p, 8)) {
        /* A VHDX handed to hrl is the likeliest mistake: say so. */
        const char *hint = p && !memcmp(p, "vhdxfile", 8)
                               ? "; this looks like a VHDX image; try 'vhdx info'" : "";
        hrl_report(r, HRL_P_COOKIE, 0, "header", "not an HRL log (no \"msctlog\" cookie)%s", hint);
        return hv_fail(err, HV_FORMAT, "header", 0, "not an HRL log (no \"msctlog\" cookie)%s",
                       hint);
    }
    p = span_at(s, 0, HRL_HEADER_SIZE);
    if (!p) {
        hrl_report(r, HRL_P_TRUNCATED, s.len, "header", "file ends at %zu bytes, inside the "
                   "4096-byte header", s.len);
        return hv_fail(err, HV_CORRUPT, "header", s.len, "file ends at %zu bytes, inside the "
                       "4096-byte header", s.len);
    }
    memcpy(h->cookie, p + H_COOKIE, 8);
    h->version = le32(p + H_VERSION);
    h->timestamp = le32(p + H_TIMESTAMP);
    memcpy(h->creator_app, p + H_CREATOR_APP, 4);
    h->creator_version = le32(p + H_CREATOR_VERSION);
    h->original_size = le64(p + H_ORIGINAL_SIZE);
    h->current_size = le64(p + H_CURRENT_SIZE);
    h->checksum = le32(p + H_CHECKSUM);
    h->eol = le64(p + H_EOL);
    h->error_code = (int32_t)le32(p + H_ERROR_CODE);
    h->metadata_size = le32(p + H_METADATA_SIZE);
    memcpy(h->unique_id.b, p + H_UNIQUE_ID, 16);
    memcpy(h->previous_unique_id.b, p + H_PREVIOUS_UNIQUE_ID, 16);
    h->last_modified = le32(p + H_LAST_MODIFIED);
    h->total_entries = le64(p + H_TOTAL_ENTRIES);
    h->file_type = le32(p + H_FILE_TYPE);
    h->flags = le16(p + H_FLAGS);
    unsigned major = h->version >> 16;
    /* Version 1 has no Vhd2DataWriteGuid; its bytes are left undefined. */
    if (major != 1)
        memcpy(h->vhd2_guid.b, p + H_VHD2_GUID, 16);

    uint32_t computed = hrl_checksum(p, HRL_HEADER_SIZE, H_CHECKSUM);
    if (computed != h->checksum)
        hrl_report(r, HRL_P_HEADER_CHECKSUM, s.off + H_CHECKSUM, "header",
                   "checksum 0x%08x, computed 0x%08x", h->checksum, computed);
    if (h->flags)
        hrl_report(r, HRL_P_HEADER_RESERVED, s.off + H_FLAGS, "header", "flags 0x%04x, must be 0",
                   h->flags);
    if (!hv_all_zero(p + H_RESERVED, H_RESERVED_LEN)) {
        size_t i = 0;
        while (!p[H_RESERVED + i])
            i++;
        hrl_report(r, HRL_P_HEADER_RESERVED, s.off + H_RESERVED + i, "header",
                   "reserved byte at 0x%zx is 0x%02x, must be 0", (size_t)H_RESERVED + i,
                   p[H_RESERVED + i]);
    }
    if (h->file_type != 0)
        hrl_report(r, HRL_P_HEADER_FIELD, s.off + H_FILE_TYPE, "header",
                   "file type %u, 0 expected for a replica log", h->file_type);
    if (major != 1 && major != 2) {
        hrl_report(r, HRL_P_VERSION, s.off + H_VERSION, "header",
                   "log format version %u.%u, only 1.x and 2.x are known", major,
                   h->version & 0xFFFF);
        return hv_fail(err, HV_UNSUPPORTED, "header", s.off + H_VERSION,
                       "log format version %u.%u, only 1.x and 2.x are known", major,
                       h->version & 0xFFFF);
    }
    if (h->metadata_size < 64 || h->metadata_size % 32 || h->metadata_size > HRL_MAX_METADATA_SIZE) {
        hrl_report(r, HRL_P_HEADER_FIELD, s.off + H_METADATA_SIZE, "header",
                   "metadata size %u, must be a multiple of 32 from 64 to %u", h->metadata_size,
                   HRL_MAX_METADATA_SIZE);
        return hv_fail(err, HV_CORRUPT, "header", s.off + H_METADATA_SIZE,
                       "metadata size %u, must be a multiple of 32 from 64 to %u",
                       h->metadata_size, HRL_MAX_METADATA_SIZE);
    }
    return 0;
}

void hrl_header_encode(const struct hrl_header *h, uint8_t *p)
{
    memset(p, 0, HRL_HEADER_SIZE);
    memcpy(p + H_COOKIE, h->cookie, 8);
    put_le32(p + H_VERSION, h->version);
    put_le32(p + H_TIMESTAMP, h->timestamp);
    memcpy(p + H_CREATOR_APP, h->creator_app, 4);
    put_le32(p + H_CREATOR_VERSION, h->creator_version);
    put_le64(p + H_ORIGINAL_SIZE, h->original_size);
    put_le64(p + H_CURRENT_SIZE, h->current_size);
    put_le64(p + H_EOL, h->eol);
    put_le32(p + H_ERROR_CODE, (uint32_t)h->error_code);
    put_le32(p + H_METADATA_SIZE, h->metadata_size);
    memcpy(p + H_UNIQUE_ID, h->unique_id.b, 16);
    memcpy(p + H_PREVIOUS_UNIQUE_ID, h->previous_unique_id.b, 16);
    put_le32(p + H_LAST_MODIFIED, h->last_modified);
    put_le64(p + H_TOTAL_ENTRIES, h->total_entries);
    put_le32(p + H_FILE_TYPE, h->file_type);
    put_le16(p + H_FLAGS, h->flags);
    if ((h->version >> 16) != 1)
        memcpy(p + H_VHD2_GUID, h->vhd2_guid.b, 16);
    put_le32(p + H_CHECKSUM, hrl_checksum(p, HRL_HEADER_SIZE, H_CHECKSUM));
}
