/* reader.c: opening a log and iterating its entries (docs/hrl-format.md §9, §7, §10).
 *
 *   0x0000 header ──EOLLocation──────────────────────────────────────┐
 *   0x1000 [payloads A][block 1]<──prev──[payloads B][block 2] ... [block n]|EOL
 *
 * Pass 1 walks backwards from EOLLocation − MetadataSize over the relative
 * PreviousMetadataLocation pointers (strictly decreasing, each >= 4096, so the
 * walk ends) and records block offsets: that index is the only allocation.
 * Pass 2 validates blocks oldest first: checksums, reserved bytes, capacity,
 * and that each block's payloads exactly fill the gap before it. Iteration
 * then yields entries in log order with payload pointers into the mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hrl_impl.h"

int hrl_index_push(struct hrl_log *log, uint64_t off, uint64_t data_start, uint32_t valid,
                   uint32_t flags, struct hv_err *err)
{
    if (log->nblocks == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 64;
        struct hrl_block *b = realloc(log->blocks, cap * sizeof *b);
        if (!b)
            return hv_failx(err, HV_NOMEM, "log chain", "out of memory for %zu blocks", cap);
        log->blocks = b;
        log->cap = cap;
    }
    struct hrl_block *b = &log->blocks[log->nblocks++];
    b->off = off;
    b->data_start = data_start;
    b->valid = valid;
    b->flags = flags;
    return 0;
}

/* Pass 1: backward walk from the last block; leaves the index oldest first.
 * Sets *broken when the chain does not end with a 0 pointer. */
static int walk_back(struct hrl_log *log, int *broken, struct hv_err *err)
{
    const uint64_t ms = log->hdr.metadata_size, eol = log->hdr.eol;
    uint64_t cur = eol - ms;
    /* Each step goes back at least one block, so this bound is never reached
     * by a sound chain; it stands guard should the checks below ever change. */
    const uint64_t max_blocks = (eol - HRL_HEADER_SIZE) / ms + 1;
    char what[80];
    *broken = 0;
    for (;;) {
        if (log->nblocks >= max_blocks) {
            hrl_report(&log->rep, HRL_P_CHAIN_POINTER, cur, HRL_WHAT_BLOCK(what, cur),
                       "chain longer than %llu blocks", (unsigned long long)max_blocks);
            *broken = 1;
            break;
        }
        if (hrl_index_push(log, cur, 0, 0, 0, err))
            return -1;
        const uint8_t *p = span_at(log->file, cur, 8); /* cur + ms <= eol <= file length */
        uint64_t prev = le64(p);
        if (prev == 0)
            break;
        /* The previous block must end at or before this one starts, and not
         * before the header ends; this also makes the walk strictly decrease. */
        if (prev < ms || prev > cur - HRL_HEADER_SIZE) {
            hrl_report(&log->rep, HRL_P_CHAIN_POINTER, cur, HRL_WHAT_BLOCK(what, cur),
                       "previous block pointer 0x%llx leads %s", (unsigned long long)prev,
                       prev < ms ? "into this block (overlap or loop)" : "before the header end");
            *broken = 1;
            break;
        }
        cur -= prev;
        if (log->rep.strict && log->rep.count)
            break;
    }
    for (size_t i = 0, j = log->nblocks - 1; i < j; i++, j--) {
        struct hrl_block t = log->blocks[i];
        log->blocks[i] = log->blocks[j];
        log->blocks[j] = t;
    }
    return 0;
}

/* Pass 2: per-block checks and payload layout, oldest first. */
static void check_blocks(struct hrl_log *log, int broken)
{
    const uint32_t ms = log->hdr.metadata_size;
    char what[80];
    for (size_t i = 0; i < log->nblocks; i++) {
        struct hrl_block *b = &log->blocks[i];
        uint64_t sum;
        int usable = hrl_block_check(log->file, b->off, ms, &log->rep, &b->valid, &sum) == 0;
        if (!usable)
            continue;
        uint64_t start = i ? log->blocks[i - 1].off + ms : HRL_HEADER_SIZE;
        if (i == 0 && broken) {
            /* The older part of the chain is lost; its payloads still end here. */
            if (sum > b->off - HRL_HEADER_SIZE)
                continue;
            start = b->off - sum;
        }
        if (sum != b->off - start) {
            hrl_report(&log->rep, HRL_P_PAYLOAD_GAP, b->off, HRL_WHAT_BLOCK(what, b->off),
                       "entries describe %llu payload bytes, the gap before the block holds %llu",
                       (unsigned long long)sum, (unsigned long long)(b->off - start));
            continue;
        }
        b->data_start = start;
        b->flags |= HRL_BLOCK_USABLE;
        if (log->rep.strict && log->rep.count)
            return;
    }
}

static void compute_stats(struct hrl_log *log)
{
    struct hrl_info *in = &log->info;
    struct hrl_iter it;
    struct hrl_entry e;
    hrl_iter_init(log, 0, &it);
    while (hrl_iter_next(&it, &e)) {
        if (in->entries == 0 || e.timestamp < in->first_time)
            in->first_time = e.timestamp;
        if (e.timestamp > in->last_time)
            in->last_time = e.timestamp;
        in->entries++;
        in->data_bytes += e.length;
    }
    in->blocks = log->nblocks;
    in->end = log->nblocks ? log->blocks[log->nblocks - 1].off + log->hdr.metadata_size : 0;
}

static int load(struct hrl_log *log, const struct hrl_open_opts *opts, struct hv_err *err)
{
    unsigned flags = opts ? opts->flags : 0;
    log->rep.fn = opts ? opts->on_problem : NULL;
    log->rep.ctx = opts ? opts->ctx : NULL;
    log->rep.strict = !!(flags & HRL_OPEN_STRICT);
    log->info.file_size = log->file.len;
    log->info.salvaged = !!(flags & HRL_OPEN_SALVAGE);
    if (hrl_header_parse(log->file, &log->hdr, &log->rep, err))
        return -1;
    log->info.hdr = log->hdr;
    const struct hrl_header *h = &log->hdr;
    int eol_ok = 0;
    const char *hint = (flags & HRL_OPEN_SALVAGE) ? "" : "; 'hrl verify --salvage' recovers it";
    if (h->eol == 0)
        hrl_report(&log->rep, HRL_P_UNCLOSED, 44, "header",
                   "log was never closed (EOLLocation 0)%s", hint);
    else if (h->eol > log->file.len)
        hrl_report(&log->rep, HRL_P_EOL_RANGE, 44, "header",
                   "EOLLocation 0x%llx beyond the end of the file (0x%zx): torn or truncated%s",
                   (unsigned long long)h->eol, log->file.len, hint);
    else if (h->eol < (uint64_t)HRL_HEADER_SIZE + h->metadata_size)
        hrl_report(&log->rep, HRL_P_EOL_RANGE, 44, "header",
                   "EOLLocation 0x%llx leaves no room for a metadata block",
                   (unsigned long long)h->eol);
    else
        eol_ok = 1;
    if (eol_ok && h->current_size < h->eol)
        hrl_report(&log->rep, HRL_P_HEADER_FIELD, 32, "header",
                   "CurrentSize %llu is below EOLLocation %llu",
                   (unsigned long long)h->current_size, (unsigned long long)h->eol);
    if (log->rep.strict && log->rep.count)
        goto strict;

    if (flags & HRL_OPEN_SALVAGE) {
        if (hrl_salvage_scan(log, eol_ok ? h->eol : log->file.len, err))
            return -1;
        compute_stats(log);
    } else if (eol_ok) {
        int broken;
        if (walk_back(log, &broken, err))
            return -1;
        check_blocks(log, broken);
        compute_stats(log);
        uint64_t total = 0;
        for (size_t i = 0; i < log->nblocks; i++)
            total += log->blocks[i].valid;
        if (log->rep.count == 0 && total != h->total_entries)
            hrl_report(&log->rep, HRL_P_ENTRY_COUNT, 96, "header",
                       "TotalMetadataEntries %llu, the blocks hold %llu",
                       (unsigned long long)h->total_entries, (unsigned long long)total);
    }
    if (log->rep.strict && log->rep.count)
        goto strict;
    return 0;
strict:
    return hv_fail(err, HV_CORRUPT, log->rep.first.what, log->rep.first.offset, "%s",
                   log->rep.first.msg);
}

static int open_common(struct hrl_log *log, const struct hrl_open_opts *opts, hrl_log **out,
                       struct hv_err *err)
{
    if (load(log, opts, err)) {
        hrl_close(log);
        return -1;
    }
    *out = log;
    return 0;
}

int hrl_open_mem(const void *p, size_t len, const struct hrl_open_opts *opts, hrl_log **out,
                 struct hv_err *err)
{
    struct hrl_log *log = calloc(1, sizeof *log);
    if (!log)
        return hv_failx(err, HV_NOMEM, "open", "out of memory");
    log->file = hv_span_make(p, len, 0);
    return open_common(log, opts, out, err);
}

/* Opening a FIFO or a terminal for reading blocks until a writer appears, so
 * anything but a regular file or a block device is refused before the open. */
static int refuse_special(const char *path, struct hv_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        return 0; /* the open reports a missing file */
    hv_err_file(err, path);
    return hv_failx(err, HV_USAGE, "open", "not a regular file (%s): refused",
                    S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
                    : S_ISCHR(st.st_mode) ? "a character device" : S_ISSOCK(st.st_mode) ? "a socket"
                    : "a special file");
}

int hrl_open(const char *path, const struct hrl_open_opts *opts, hrl_log **out, struct hv_err *err)
{
    if (refuse_special(path, err))
        return -1;
    struct hrl_log *log = calloc(1, sizeof *log);
    if (!log) {
        hv_err_file(err, path);
        return hv_failx(err, HV_NOMEM, "open", "out of memory");
    }
    if (hv_map_file(path, &log->map, err)) {
        free(log);
        return -1;
    }
    if (log->map.len >= 2 && log->map.p[0] == 0x1f && log->map.p[1] == 0x8b) {
        hv_unmap(&log->map);
        log->info.gzip = 1;
        if (hrl_gunzip_map(path, &log->map, err)) {
            hv_err_file(err, path);
            free(log);
            return -1;
        }
    }
    /* Iteration and verification read the mapping front to back. */
    if (log->map.len)
        madvise((void *)(uintptr_t)log->map.p, log->map.len, MADV_SEQUENTIAL);
    log->file = hv_span_make(log->map.p, log->map.len, 0);
    int gz = log->info.gzip;
    int rc = open_common(log, opts, out, err);
    if (rc == 0)
        (*out)->info.gzip = gz;
    hv_err_file(err, path);
    return rc;
}

void hrl_close(hrl_log *log)
{
    if (!log)
        return;
    hv_unmap(&log->map);
    free(log->blocks);
    free(log);
}

int hrl_info(const hrl_log *log, struct hrl_info *info)
{
    *info = log->info;
    info->problems = log->rep.count;
    return 0;
}

size_t hrl_block_count(const hrl_log *log)
{
    return log->nblocks;
}

int hrl_block_get(const hrl_log *log, size_t i, struct hrl_block_info *b)
{
    if (i >= log->nblocks)
        return -1;
    b->offset = log->blocks[i].off;
    b->data_start = log->blocks[i].data_start;
    b->entries = log->blocks[i].valid;
    b->usable = !!(log->blocks[i].flags & HRL_BLOCK_USABLE);
    return 0;
}

const uint8_t *hrl_bytes(const hrl_log *log, size_t *len)
{
    *len = log->file.len;
    return log->file.p;
}

void hrl_iter_init(const hrl_log *log, unsigned flags, struct hrl_iter *it)
{
    memset(it, 0, sizeof *it);
    it->log = log;
    it->flags = flags;
}

int hrl_iter_next(struct hrl_iter *it, struct hrl_entry *e)
{
    const struct hrl_log *log = it->log;
    while (it->block < log->nblocks) {
        const struct hrl_block *b = &log->blocks[it->block];
        if (!(b->flags & HRL_BLOCK_USABLE) || it->slot >= b->valid) {
            it->block++;
            it->slot = 0;
            continue;
        }
        if (it->slot == 0)
            it->data_pos = b->data_start;
        /* Bounds were proven by hrl_block_check and the gap check. */
        const uint8_t *q = log->file.p + b->off + HRL_MB_HEADER_SIZE +
                           (size_t)it->slot * HRL_ENTRY_SIZE;
        struct hrl_me me;
        hrl_me_decode(q, &me);
        e->index = it->index;
        e->block_offset = b->off;
        e->slot = it->slot;
        e->disk_offset = me.disk_offset;
        e->length = me.length;
        e->timestamp = me.timestamp;
        e->checksum = me.checksum;
        e->data_checksum = me.data_checksum;
        e->payload = log->file.p + it->data_pos;
        e->payload_offset = log->file.off + it->data_pos;
        e->entry_ok = hrl_me_ok(&me);
        e->data = me.data_checksum ? HRL_DATA_UNCHECKED : HRL_DATA_ABSENT;
        if (me.data_checksum && (it->flags & HRL_ITER_DATA)) {
            uint32_t c = hrl_checksum(e->payload, me.length, HRL_NO_SKIP);
            e->data = c == me.data_checksum ? HRL_DATA_OK : HRL_DATA_BAD;
            if (e->data == HRL_DATA_BAD) {
                char what[80];
                snprintf(what, sizeof what, "payload of metadata entry %u of block at 0x%llx",
                         it->slot, (unsigned long long)b->off);
                /* The handle was allocated mutable; only the counter changes. */
                hrl_report((struct hrl_report *)&log->rep, HRL_P_DATA_CHECKSUM,
                           e->payload_offset, what, "data checksum 0x%08x, computed 0x%08x",
                           me.data_checksum, c);
            }
        }
        it->data_pos += me.length;
        it->slot++;
        it->index++;
        return 1;
    }
    return 0;
}

int hrl_foreach_entry(const hrl_log *log, unsigned flags, hrl_entry_fn cb, void *ctx)
{
    struct hrl_iter it;
    struct hrl_entry e;
    hrl_iter_init(log, flags, &it);
    while (hrl_iter_next(&it, &e)) {
        int rc = cb(ctx, &e);
        if (rc)
            return rc;
    }
    return 0;
}

uint64_t hrl_verify_data(const hrl_log *log)
{
    struct hrl_iter it;
    struct hrl_entry e;
    uint64_t bad = 0;
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    while (hrl_iter_next(&it, &e))
        bad += e.data == HRL_DATA_BAD;
    return bad;
}
