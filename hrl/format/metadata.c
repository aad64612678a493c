/* metadata.c: metadata blocks (docs/hrl-format.md §6): the 32-byte metadata header
 * (_CTLOG_METADATA_HEADER_PACKED) and 32-byte entries (_CTLOG_METADATA_ENTRY_PACKED).
 *
 *   block (MetadataSize bytes, default 4096):
 *   +0   header: PreviousMetadataLocation u64 | ValidMetadataEntries u32 |
 *                Checksum u32 (of these 32 bytes) | Reserved[16]
 *   +32  entry 0: ByteOffset u64 | Checksum u32 | DataLength u32 | TimeStamp u32 |
 *                 MetaOperation u8 | DataChecksum u32 (unaligned, +21) |
 *                 Location u8 | Reserved[6]
 *   +64  entry 1 ... up to (MetadataSize-32)/32 slots; unused slots zero
 *
 * The payloads of a block's entries lie back to back just before the block.
 */
#include <stdio.h>
#include <string.h>

#include "hrl_impl.h"

enum { MB_PREV = 0, MB_VALID = 8, MB_CHECKSUM = 12, MB_RESERVED = 16, MB_RESERVED_LEN = 16 };
_Static_assert(MB_RESERVED + MB_RESERVED_LEN == HRL_MB_HEADER_SIZE, "metadata header is 32 bytes");

enum {
    ME_BYTE_OFFSET = 0, ME_CHECKSUM = 8, ME_LENGTH = 12, ME_TIMESTAMP = 16, ME_OPERATION = 20,
    ME_DATA_CHECKSUM = 21, ME_LOCATION = 25, ME_RESERVED = 26, ME_RESERVED_LEN = 6,
};
_Static_assert(ME_RESERVED + ME_RESERVED_LEN == HRL_ENTRY_SIZE, "metadata entry is 32 bytes");

#define HRL_OP_WRITE 1

void hrl_mb_decode(const uint8_t *p, struct hrl_mb *mb)
{
    mb->prev = le64(p + MB_PREV);
    mb->valid = le32(p + MB_VALID);
    mb->checksum = le32(p + MB_CHECKSUM);
    mb->computed = hrl_checksum(p, HRL_MB_HEADER_SIZE, MB_CHECKSUM);
    mb->reserved_zero = hv_all_zero(p + MB_RESERVED, MB_RESERVED_LEN);
}

void hrl_me_decode(const uint8_t *p, struct hrl_me *me)
{
    me->disk_offset = le64(p + ME_BYTE_OFFSET);
    me->checksum = le32(p + ME_CHECKSUM);
    me->computed = hrl_checksum(p, HRL_ENTRY_SIZE, ME_CHECKSUM);
    me->length = le32(p + ME_LENGTH);
    me->timestamp = le32(p + ME_TIMESTAMP);
    me->operation = p[ME_OPERATION];
    me->data_checksum = le32(p + ME_DATA_CHECKSUM);
    me->location = p[ME_LOCATION];
    me->reserved_zero = hv_all_zero(p + ME_RESERVED, ME_RESERVED_LEN);
}

void hrl_mb_encode(uint8_t *p, uint64_t prev, uint32_t valid)
{
    memset(p, 0, HRL_MB_HEADER_SIZE);
    put_le64(p + MB_PREV, prev);
    put_le32(p + MB_VALID, valid);
    put_le32(p + MB_CHECKSUM, hrl_checksum(p, HRL_MB_HEADER_SIZE, MB_CHECKSUM));
}

void hrl_me_encode(uint8_t *p, uint64_t disk_offset, uint32_t len, uint32_t time,
                   uint32_t data_checksum)
{
    memset(p, 0, HRL_ENTRY_SIZE);
    put_le64(p + ME_BYTE_OFFSET, disk_offset);
    put_le32(p + ME_LENGTH, len);
    put_le32(p + ME_TIMESTAMP, time);
    p[ME_OPERATION] = HRL_OP_WRITE;
    put_le32(p + ME_DATA_CHECKSUM, data_checksum);
    put_le32(p + ME_CHECKSUM, hrl_checksum(p, HRL_ENTRY_SIZE, ME_CHECKSUM));
}

int hrl_block_check(struct hv_span file, uint64_t off, uint32_t metadata_size,
                    struct hrl_report *r, uint32_t *valid, uint64_t *sum_len)
{
    char what[80];
    const uint8_t *p = span_at(file, off, metadata_size);
    *valid = 0;
    *sum_len = 0;
    if (!p) {
        hrl_report(r, HRL_P_TRUNCATED, off, HRL_WHAT_BLOCK(what, off),
                   "block of %u bytes runs past the end of the file", metadata_size);
        return -1;
    }
    struct hrl_mb mb;
    hrl_mb_decode(p, &mb);
    if (mb.checksum != mb.computed)
        hrl_report(r, HRL_P_BLOCK_CHECKSUM, off + MB_CHECKSUM, HRL_WHAT_BLOCK(what, off),
                   "checksum 0x%08x, computed 0x%08x", mb.checksum, mb.computed);
    if (!mb.reserved_zero)
        hrl_report(r, HRL_P_BLOCK_RESERVED, off + MB_RESERVED, HRL_WHAT_BLOCK(what, off),
                   "reserved bytes not zero");
    uint32_t cap = (metadata_size - HRL_MB_HEADER_SIZE) / HRL_ENTRY_SIZE;
    uint32_t n = mb.valid;
    if (n > cap) {
        hrl_report(r, HRL_P_BLOCK_CAPACITY, off + MB_VALID, HRL_WHAT_BLOCK(what, off),
                   "%u valid entries, the block holds %u", n, cap);
        return -1; /* the entries and payload layout cannot be trusted */
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *q = p + HRL_MB_HEADER_SIZE + (size_t)i * HRL_ENTRY_SIZE;
        uint64_t qoff = off + HRL_MB_HEADER_SIZE + (uint64_t)i * HRL_ENTRY_SIZE;
        struct hrl_me me;
        hrl_me_decode(q, &me);
        sum += me.length;
        if (hrl_me_ok(&me))
            continue;
        snprintf(what, sizeof what, "metadata entry %u of block at 0x%llx", i,
                 (unsigned long long)off);
        if (me.checksum != me.computed)
            hrl_report(r, HRL_P_ENTRY_CHECKSUM, qoff + ME_CHECKSUM, what,
                       "checksum 0x%08x, computed 0x%08x", me.checksum, me.computed);
        if (me.operation != HRL_OP_WRITE)
            hrl_report(r, HRL_P_ENTRY_OPERATION, qoff + ME_OPERATION, what,
                       "operation %u, only 1 (write) exists", me.operation);
        if (me.location != 0 || !me.reserved_zero)
            hrl_report(r, HRL_P_ENTRY_RESERVED, qoff + (me.location ? ME_LOCATION : ME_RESERVED),
                       what, "location/reserved bytes not zero");
        if (!hrl_me_range_ok(&me))
            hrl_report(r, HRL_P_ENTRY_RANGE, qoff + ME_BYTE_OFFSET, what,
                       "disk range 0x%llx + %u bytes wraps past 2^64",
                       (unsigned long long)me.disk_offset, me.length);
    }
    *valid = n;
    *sum_len = sum;
    return 0;
}
