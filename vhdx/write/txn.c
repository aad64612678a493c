/* txn.c: the helpers resize.c and compact.c share: batched logged sector
 * changes ([MS-VHDX] 2.3, through logwrite.c), BAT and size-item edits of an
 * open handle, and the extent of what the file uses. */
#include <stdlib.h>
#include <string.h>

#include "diskops_int.h"

void vhdx_txn_add(struct txn *t, const uint8_t *buf, uint64_t base, uint64_t at)
{
    uint64_t sec = at / LOG_SECTOR * LOG_SECTOR;
    for (size_t i = 0; i < t->n; i++)
        if (t->p[i].off == base + sec)
            return;
    t->p[t->n++] = (struct lw_page){ base + sec, buf + sec };
}

int vhdx_txn_commit(struct vhdx_rw *w, struct txn *t, struct hv_err *e)
{
    int rc = vhdx_logw_commit(&w->log, t->p, t->n, e);
    t->n = 0;
    if (rc != 0)
        w->broken = 1;
    return rc;
}

void vhdx_dops_bat_set(struct vhdx_rw *w, struct txn *t, uint64_t idx, uint64_t v)
{
    vhdx_bat_entry_encode(v, w->bat + idx * 8);
    vhdx_txn_add(t, w->bat, w->bat_r.file_offset, idx * 8);
}

void vhdx_dops_set_size_item(struct vhdx_rw *w, struct txn *t, uint64_t size)
{
    uint64_t in = w->mv.virtual_size_at - w->meta_r.file_offset; /* inside the region (parsed) */
    vhdx_meta_u64_encode(size, w->meta + in);
    vhdx_txn_add(t, w->meta, w->meta_r.file_offset, in);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

uint64_t vhdx_dops_used_end(const struct vhdx_rw *w)
{
    const struct vhdx_header *h = &w->hdr[w->cur];
    uint64_t end = MiB;
    end = max_u64(end, h->log_offset + h->log_length);
    end = max_u64(end, w->meta_r.file_offset + w->meta_r.length);
    end = max_u64(end, w->bat_r.file_offset + w->bat_r.length);
    for (uint64_t i = 0; i < w->g.total_entries; i++) {
        uint64_t v = dops_bat_get(w, i);
        int sb = i % ((uint64_t)w->g.chunk_ratio + 1) == w->g.chunk_ratio;
        unsigned st = bat_state(v);
        if (sb && st == SB_PRESENT)
            end = max_u64(end, bat_file_offset(v) + SB_BLOCK_SIZE);
        else if (!sb && (st == VHDX_BLOCK_FULLY_PRESENT || st == VHDX_BLOCK_PARTIALLY_PRESENT))
            end = max_u64(end, bat_file_offset(v) + w->g.block_size);
    }
    return end;
}

int vhdx_dops_file_zero(struct vhdx_rw *w, uint64_t off, uint64_t len, struct hv_err *e)
{
    enum { CHUNK = 1 << 20 };
    static const uint8_t zeros[4096];
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "read", "out of memory");
    int zero = 1;
    while (len > 0 && zero) {
        size_t n = len < CHUNK ? (size_t)len : CHUNK;
        if (hv_io_pread(w->io, buf, n, off, e) != 0) {
            free(buf);
            return -1;
        }
        for (size_t at = 0; at < n && zero; at += sizeof zeros) {
            size_t k = n - at < sizeof zeros ? n - at : sizeof zeros;
            zero = memcmp(buf + at, zeros, k) == 0;
        }
        off += n;
        len -= n;
    }
    free(buf);
    return zero;
}

/* Shrinking the file under a live log would leave entries whose
 * FlushedFileOffset lies past the end, which replay must treat as a
 * truncated file ([MS-VHDX] 2.3.1.1). So the log is closed first (LogGuid
 * zero), the file cut, and a new log started, as at open. */
int vhdx_dops_truncate(struct vhdx_rw *w, uint64_t size, struct hv_err *e)
{
    struct vhdx_header want = w->hdr[w->cur];
    memset(&want.log_guid, 0, sizeof want.log_guid);
    if (hv_io_flush(w->io, e) != 0 || vhdx_rw_header_update(w, &want, e) != 0 ||
        hv_io_truncate(w->io, size, e) != 0 || hv_io_flush(w->io, e) != 0)
        return -1;
    w->file_size = w->durable_size = size;
    hv_guid_random(&want.log_guid);
    if (vhdx_rw_header_update(w, &want, e) != 0)
        return -1;
    w->log.guid = want.log_guid;
    return vhdx_logw_start(&w->log, e);
}
