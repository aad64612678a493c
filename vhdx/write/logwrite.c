/* logwrite.c: the log entry writer ([MS-VHDX] 2.3, docs/vhdx-format.md §10.2, §11.2,
 * §11.4): every metadata change becomes one entry written at the ring head,
 * flushed, applied to its final location, flushed again.
 *
 *   ring: | init | e2 | e3 | ... | eN | free ...       (wraps to 0, split)
 *
 * Because each entry is applied and flushed before the next is written, each
 * entry's Tail is its own position, and the next entry may overwrite anything
 * except the newest one (which a torn successor must not destroy: it is what
 * replay falls back to). Entries are limited to half the log so that holds.
 * Layouts and the checksum come from log.c's encoders.
 */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

static int lw_flush(struct logw *lw, struct hv_err *e)
{
    if (hv_io_flush(lw->io, e) != 0)
        return -1;
    *lw->durable_size = *lw->file_size;
    return 0;
}

/* Writes `len` bytes at ring position pos, split at the end of the ring. */
static int ring_write(struct logw *lw, const uint8_t *buf, uint64_t len, uint64_t pos,
                      struct hv_err *e)
{
    uint64_t first = lw->log_len - pos < len ? lw->log_len - pos : len;
    if (hv_io_pwrite(lw->io, buf, (size_t)first, lw->log_off + pos, e) != 0)
        return -1;
    if (first < len)
        return hv_io_pwrite(lw->io, buf + first, (size_t)(len - first), lw->log_off, e);
    return 0;
}

static uint32_t desc_sectors(size_t n)
{
    return (uint32_t)((LE_HEADER_SIZE + LD_SIZE * (uint64_t)n + LOG_SECTOR - 1) / LOG_SECTOR);
}

/* Builds the complete entry for `pages` into a new buffer of *len bytes. */
static uint8_t *build_entry(struct logw *lw, const struct lw_page *pages, size_t n, uint64_t pos,
                            uint64_t *len)
{
    size_t ndata = 0;
    for (size_t i = 0; i < n; i++)
        ndata += pages[i].data != NULL;
    uint32_t ds = desc_sectors(n);
    *len = (uint64_t)LOG_SECTOR * (ds + ndata);
    uint8_t *buf = calloc(1, (size_t)*len);
    if (!buf)
        return NULL;
    uint64_t seq = lw->seq + 1;
    struct vhdx_log_entry h = {
        .entry_length = (uint32_t)*len, .tail = (uint32_t)pos, .seq = seq,
        .desc_count = (uint32_t)n, .log_guid = lw->guid,
        .flushed_file_offset = *lw->durable_size / MiB * MiB,
        .last_file_offset = round_up(*lw->file_size, MiB),
    };
    vhdx_log_entry_header_encode(&h, buf);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct vhdx_log_desc d = { .file_offset = pages[i].off, .seq = seq };
        if (pages[i].data)
            vhdx_log_data_encode(pages[i].data, seq, &d, buf + ((uint64_t)ds + k++) * LOG_SECTOR);
        else
            d.zero_length = LOG_SECTOR;
        vhdx_log_desc_encode(&d, buf + LE_HEADER_SIZE + (uint64_t)LD_SIZE * i);
    }
    vhdx_log_entry_seal(buf, (size_t)*len);
    return buf;
}

static int write_entry(struct logw *lw, const struct lw_page *pages, size_t n, struct hv_err *e)
{
    uint64_t pos = lw->head, len;
    uint8_t *buf = build_entry(lw, pages, n, pos, &len);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "log", "out of memory");
    if (len > lw->log_len / 2 - LOG_SECTOR) {
        free(buf);
        return hv_failx(e, HV_UNSUPPORTED, "log entry", "%llu bytes of changes exceed half the log",
                        (unsigned long long)len);
    }
    int rc = ring_write(lw, buf, len, pos, e);
    free(buf);
    if (rc != 0)
        return -1;
    lw->seq++;
    lw->prev_pos = pos;
    lw->prev_len = len;
    lw->head = (pos + len) % lw->log_len;
    return 0;
}

int vhdx_logw_start(struct logw *lw, struct hv_err *e)
{
    lw->seq = 0;
    lw->head = 0;
    return write_entry(lw, NULL, 0, e) || lw_flush(lw, e) ? -1 : 0;
}

static int apply(struct logw *lw, const struct lw_page *pages, size_t n, struct hv_err *e)
{
    static const uint8_t zeros[LOG_SECTOR];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *src = pages[i].data ? pages[i].data : zeros;
        if (hv_io_pwrite(lw->io, src, LOG_SECTOR, pages[i].off, e) != 0)
            return -1;
    }
    return 0;
}

int vhdx_logw_commit(struct logw *lw, const struct lw_page *pages, size_t n, struct hv_err *e)
{
    if (n == 0)
        return 0;
    if (write_entry(lw, pages, n, e) || lw_flush(lw, e) || apply(lw, pages, n, e) || lw_flush(lw, e))
        return -1;
    return 0;
}
