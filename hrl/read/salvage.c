/* salvage.c: recovering the readable prefix of an unclosed or torn log
 * (docs/hrl-format.md §10; [MS-HRL] defines no recovery, this is our policy).
 *
 *   0x1000 [payloads][block 1][payloads][block 2][payl|  torn / zero / stale ...
 *          ^ scan in 512-byte steps from the end of the last accepted block,
 *            then byte by byte if that finds nothing (payloads of odd lengths)
 *
 * A candidate at offset c is accepted only if all hold:
 *   - PreviousMetadataLocation == c − previous accepted block (0 for the first),
 *   - metadata header checksum valid, reserved zero, entries <= capacity,
 *   - every valid entry's checksum, operation, location/reserved valid,
 *   - the entry lengths exactly fill the gap since the previous block's end.
 * The longest such prefix is kept; what follows it is reported as lost,
 * unless it is all zero (space a writer pre-extended and never used).
 */
#include <stdio.h>

#include "hrl_impl.h"

#define SALVAGE_STEP 512u /* writes are sector-granular (docs/hrl-format.md §7) */

/* Whether a candidate block at c continues the accepted prefix (no reporting:
 * almost every candidate is payload bytes). */
static int candidate(struct hv_span file, uint64_t c, uint32_t ms, uint64_t expect_prev,
                     uint64_t data_start, uint32_t *valid)
{
    const uint8_t *p = span_at(file, c, ms);
    /* Cheap rejections first: the pointer must match, and a 32-byte header
     * sums to at most 28 * 255, so its checksum is at least ~7140. */
    if (!p || le64(p) != expect_prev || le32(p + 12) < ~(uint32_t)(28 * 255))
        return 0;
    struct hrl_mb mb;
    hrl_mb_decode(p, &mb);
    if (mb.checksum != mb.computed || !mb.reserved_zero ||
        mb.valid > (ms - HRL_MB_HEADER_SIZE) / HRL_ENTRY_SIZE)
        return 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < mb.valid; i++) {
        struct hrl_me me;
        hrl_me_decode(p + HRL_MB_HEADER_SIZE + (size_t)i * HRL_ENTRY_SIZE, &me);
        if (!hrl_me_ok(&me))
            return 0;
        sum += me.length;
    }
    if (sum != c - data_start)
        return 0;
    *valid = mb.valid;
    return 1;
}

/* The next block after the accepted prefix, scanning from `from` in `step`
 * bytes; @return 1 with *c and *valid, or 0. */
static int scan(const struct hrl_log *log, uint64_t from, uint64_t limit, uint64_t step,
                uint64_t prev_block, uint64_t data_start, uint64_t *c, uint32_t *valid)
{
    const uint32_t ms = log->hdr.metadata_size;
    for (uint64_t x = from; x <= limit && limit - x >= ms; x += step) {
        uint64_t expect = log->nblocks ? x - prev_block : 0;
        if (candidate(log->file, x, ms, expect, data_start, valid)) {
            *c = x;
            return 1;
        }
    }
    return 0;
}

int hrl_salvage_scan(struct hrl_log *log, uint64_t limit, struct hv_err *err)
{
    const uint32_t ms = log->hdr.metadata_size;
    uint64_t data_start = HRL_HEADER_SIZE, prev_block = 0, c;
    uint32_t valid;
    if (limit > log->file.len)
        limit = log->file.len;
    for (;;) {
        /* Sector steps first; payloads of odd lengths put blocks anywhere, so
         * when that finds nothing, rescan the rest byte by byte (once). */
        if (!scan(log, data_start, limit, SALVAGE_STEP, prev_block, data_start, &c, &valid) &&
            !scan(log, data_start + 1, limit, 1, prev_block, data_start, &c, &valid))
            break;
        if (hrl_index_push(log, c, data_start, valid, HRL_BLOCK_USABLE, err))
            return -1;
        prev_block = c;
        data_start = c + ms;
    }
    uint64_t end = log->nblocks ? prev_block + ms : HRL_HEADER_SIZE;
    /* A pre-extended file ends in zeros: that space held nothing to lose. */
    if (limit > end && !hv_all_zero(log->file.p + end, (size_t)(limit - end))) {
        log->info.lost_bytes = limit - end;
        hrl_report(&log->rep, HRL_P_LOST_DATA, end, "log chain",
                   "salvage kept %zu metadata blocks ending at 0x%llx; %llu bytes after it "
                   "are not a consistent block and were not recovered",
                   log->nblocks, (unsigned long long)end, (unsigned long long)(limit - end));
    }
    return 0;
}
