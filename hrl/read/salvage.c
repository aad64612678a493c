/* salvage.c: recovering the readable prefix of an unclosed or torn log
 * (docs/hrl-format.md §10; [MS-HRL] defines no recovery, this is our policy,
 * docs/hrl-policy.md "Salvage").
 *
 *   0x1000 [payloads][block 1][payloads][block 2][payl|  torn / zero / stale ...
 *          ^ one pass, byte by byte, up to the limit: every offset that holds
 *            a self-consistent block is a candidate; candidates link to the
 *            candidate their PreviousMetadataLocation points at
 *
 * A candidate at offset c is self-consistent when all hold:
 *   - metadata header checksum valid, reserved zero, entries <= capacity,
 *   - every valid entry sound (checksum, operation, location/reserved, range),
 *   - PreviousMetadataLocation is 0 (data starts at 0x1000) or leads to a
 *     block that ends at or before c and at or after 0x1000,
 *   - the entry lengths exactly fill the gap since that block's end.
 * A candidate is kept only when its pointer leads to a kept candidate (or it
 * is a first block), so every kept candidate ends a whole chain back to
 * 0x1000. The chain that reaches furthest wins. Payload bytes are opaque
 * (docs/hrl-format.md §7: raw bytes, no per-record marker), so a block-like
 * pattern inside a payload can start a chain, but never one that outruns the
 * real chain: a clean log salvages to itself. One pass with a cheap reject per offset
 * keeps the scan linear in the file size.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hrl_impl.h"
#include "hv_array.h"

/* A 32-byte header sums to at most 28 * 255, so a valid checksum field is at
 * least ~(28 * 255): one compare rejects almost every payload offset. */
#define SALVAGE_MIN_CHECKSUM (~(uint32_t)(28 * 255))
/* Entries a candidate check may read, per 32-byte slot of the scanned range;
 * a real log reads each of its entries about once. */
#define SALVAGE_WORK_PER_SLOT 8u

struct cand {
    uint64_t off;        /* file offset of the block */
    uint64_t data_start; /* file offset of its first payload */
    size_t parent;       /* index of the previous block, SIZE_MAX for a first block */
    uint32_t valid;
};

struct cands {
    struct cand *v;
    size_t n, cap;
};

/* Whether a self-consistent block sits at c; fills *prev and *valid and the
 * start of its payloads. No reporting: almost every candidate is payload. */
static int candidate(struct hv_span file, uint64_t c, uint32_t ms, uint64_t *prev,
                     uint64_t *data_start, uint32_t *valid, uint64_t *work)
{
    const uint8_t *p = span_at(file, c, ms);
    if (!p || le32(p + 12) < SALVAGE_MIN_CHECKSUM)
        return 0;
    struct hrl_mb mb;
    hrl_mb_decode(p, &mb);
    if (mb.checksum != mb.computed || !mb.reserved_zero ||
        mb.valid > (ms - HRL_MB_HEADER_SIZE) / HRL_ENTRY_SIZE)
        return 0;
    uint64_t start;
    if (mb.prev == 0)
        start = HRL_HEADER_SIZE;
    else if (mb.prev >= ms && mb.prev <= c - HRL_HEADER_SIZE)
        start = c - mb.prev + ms;
    else
        return 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < mb.valid; i++) {
        struct hrl_me me;
        hrl_me_decode(p + HRL_MB_HEADER_SIZE + (size_t)i * HRL_ENTRY_SIZE, &me);
        ++*work;
        if (!hrl_me_ok(&me) || (sum += me.length) > c - start)
            return 0;
    }
    if (sum != c - start)
        return 0;
    *prev = mb.prev;
    *data_start = start;
    *valid = mb.valid;
    return 1;
}

/* The kept candidate at file offset `off`, by binary search (kept candidates
 * are found in increasing offset order). @return its index or SIZE_MAX. */
static size_t find(const struct cands *k, uint64_t off)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->v[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->n && k->v[lo].off == off ? lo : SIZE_MAX;
}

static int keep(struct cands *k, const struct cand *c, struct hv_err *err)
{
    struct cand *v = hv_grow(k->v, &k->cap, k->n + 1, sizeof *v);
    if (!v)
        return hv_failx(err, HV_NOMEM, "log chain", "out of memory for %zu candidates", k->n + 1);
    k->v = v;
    k->v[k->n++] = *c;
    return 0;
}

/* One pass over [0x1000, limit): every candidate that ends a whole chain.
 * Memory grows with the blocks found (a pattern must pass the checksums to
 * count), never with a length read from the file. Overlapping block-like
 * patterns could make candidates re-read the same entries; the entries read
 * are capped at a few times what the file can hold, so the pass stays linear
 * (*stop receives where it gave up, else 0). */
static int collect(const struct hrl_log *log, uint64_t limit, struct cands *k, uint64_t *stop,
                   struct hv_err *err)
{
    const uint32_t ms = log->hdr.metadata_size;
    const uint64_t budget = SALVAGE_WORK_PER_SLOT * (limit / HRL_ENTRY_SIZE) + 65536;
    uint64_t work = 0;
    *stop = 0;
    for (uint64_t x = HRL_HEADER_SIZE; x <= limit && limit - x >= ms; x++) {
        struct cand c = { x, 0, SIZE_MAX, 0 };
        uint64_t prev;
        if (work > budget) {
            *stop = x;
            break;
        }
        if (!candidate(log->file, x, ms, &prev, &c.data_start, &c.valid, &work))
            continue;
        if (prev) {
            c.parent = find(k, x - prev);
            if (c.parent == SIZE_MAX)
                continue; /* its chain does not reach back to 0x1000 */
        }
        if (keep(k, &c, err))
            return -1;
    }
    return 0;
}

/* Pushes the chain ending at k->v[last] into the index, oldest first. */
static int push_chain(struct hrl_log *log, const struct cands *k, size_t last, struct hv_err *err)
{
    size_t len = 0;
    for (size_t i = last; i != SIZE_MAX; i = k->v[i].parent)
        len++;
    /* Walk back once more, writing each row at its place from the end. */
    for (size_t j = 0; j < len; j++)
        if (hrl_index_push(log, 0, 0, 0, 0, err))
            return -1;
    size_t row = log->nblocks;
    for (size_t i = last; i != SIZE_MAX; i = k->v[i].parent) {
        struct hrl_block *b = &log->blocks[--row];
        b->off = k->v[i].off;
        b->data_start = k->v[i].data_start;
        b->valid = k->v[i].valid;
        b->flags = HRL_BLOCK_USABLE;
    }
    return 0;
}

int hrl_salvage_scan(struct hrl_log *log, uint64_t limit, struct hv_err *err)
{
    const uint32_t ms = log->hdr.metadata_size;
    struct cands k = { 0 };
    if (limit > log->file.len)
        limit = log->file.len;
    uint64_t stop;
    if (collect(log, limit, &k, &stop, err) || (k.n && push_chain(log, &k, k.n - 1, err))) {
        free(k.v);
        return -1;
    }
    free(k.v);
    if (stop)
        hrl_report(&log->rep, HRL_P_LOST_DATA, stop, "log chain",
                   "salvage stopped at 0x%llx: too many overlapping block-like patterns",
                   (unsigned long long)stop);
    uint64_t end = log->nblocks ? log->blocks[log->nblocks - 1].off + ms : HRL_HEADER_SIZE;
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
