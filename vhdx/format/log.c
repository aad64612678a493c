/* log.c: [MS-VHDX] 2.3 the log: entry validation, the active-sequence search
 * of 2.3.3, and replay into an in-memory overlay (read-only opens, note <5>).
 *
 *   ring at LogOffset, LogLength bytes; entries are runs of 4 KiB sectors and
 *   may wrap to ring offset 0:
 *   +--------------------------------------+------------+------------+
 *   | desc sector 0: header(64) + 126 desc | desc 1..   | data 0..   |
 *   +--------------------------------------+------------+------------+
 *   header: loge crc EntryLength Tail Seq DescCount rsvd LogGuid Flushed Last
 *   desc:   zero rsvd ZeroLength FileOffset Seq | desc Trailing(4) Leading(8) FileOffset Seq
 *   data:   data SeqHigh Data(4084) SeqLow
 *
 * The CRC covers all EntryLength bytes (padding included: EntryLength only has
 * to be >= the exact size, spec note <3>). Overlay: the replayed sectors and
 * zero ranges, looked up page by page; the file itself is never written.
 */
#include <stdlib.h>
#include <string.h>

#include "hv_crc.h"
#include "layout.h"

static const uint8_t LE_SIG[4] = { 'l', 'o', 'g', 'e' };
static const uint8_t ZERO_SIG[4] = { 'z', 'e', 'r', 'o' };
static const uint8_t DESC_SIG[4] = { 'd', 'e', 's', 'c' };
static const uint8_t DATA_SIG[4] = { 'd', 'a', 't', 'a' };
#define LOG_MIN_TARGET (192 * 1024) /* headers and file identifier are never logged */

int vhdx_log_entry_header_parse(struct hv_span s, struct vhdx_log_entry *h, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, LE_HEADER_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off, "truncated: %zu of %d bytes", s.len,
                       LE_HEADER_SIZE);
    if (memcmp(p, LE_SIG, 4))
        return hv_fail(e, HV_CORRUPT, "log entry", s.off, "bad signature (not 'loge')");
    h->checksum = le32(p + LE_OFF_CHECKSUM);
    h->entry_length = le32(p + LE_OFF_ENTRY_LENGTH);
    h->tail = le32(p + LE_OFF_TAIL);
    h->seq = le64(p + LE_OFF_SEQ);
    h->desc_count = le32(p + LE_OFF_DESC_COUNT);
    memcpy(h->log_guid.b, p + LE_OFF_LOG_GUID, 16);
    h->flushed_file_offset = le64(p + LE_OFF_FLUSHED);
    h->last_file_offset = le64(p + LE_OFF_LAST);
    if (h->entry_length < LOG_SECTOR || h->entry_length % LOG_SECTOR)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_ENTRY_LENGTH,
                       "entry length %u is not a non-zero multiple of 4096", h->entry_length);
    if (h->tail % LOG_SECTOR)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_TAIL,
                       "tail %u is not a multiple of 4096", h->tail);
    if (h->seq == 0)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_SEQ, "sequence number 0");
    if ((uint64_t)LE_HEADER_SIZE + (uint64_t)LD_SIZE * h->desc_count > h->entry_length)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_DESC_COUNT,
                       "%u descriptors do not fit in %u bytes", h->desc_count, h->entry_length);
    return 0;
}

void vhdx_log_entry_header_encode(const struct vhdx_log_entry *h, uint8_t *buf)
{
    memset(buf, 0, LE_HEADER_SIZE);
    memcpy(buf, LE_SIG, 4);
    put_le32(buf + LE_OFF_CHECKSUM, h->checksum);
    put_le32(buf + LE_OFF_ENTRY_LENGTH, h->entry_length);
    put_le32(buf + LE_OFF_TAIL, h->tail);
    put_le64(buf + LE_OFF_SEQ, h->seq);
    put_le32(buf + LE_OFF_DESC_COUNT, h->desc_count);
    memcpy(buf + LE_OFF_LOG_GUID, h->log_guid.b, 16);
    put_le64(buf + LE_OFF_FLUSHED, h->flushed_file_offset);
    put_le64(buf + LE_OFF_LAST, h->last_file_offset);
}

int vhdx_log_desc_parse(struct hv_span s, struct vhdx_log_desc *d, struct hv_err *e)
{
    const uint8_t *p = span_at(s, 0, LD_SIZE);
    if (!p)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off, "descriptor truncated");
    memset(d, 0, sizeof *d);
    if (!memcmp(p, DESC_SIG, 4)) {
        d->is_data = 1;
        memcpy(d->trailing, p + LD_OFF_TRAILING, 4);
        memcpy(d->leading, p + LD_OFF_LEADING, 8);
    } else if (!memcmp(p, ZERO_SIG, 4)) {
        d->zero_length = le64(p + LD_OFF_LEADING);
        if (d->zero_length == 0 || d->zero_length % LOG_SECTOR)
            return hv_fail(e, HV_CORRUPT, "log entry", s.off + LD_OFF_LEADING,
                           "zero length %llu is not a non-zero multiple of 4096",
                           (unsigned long long)d->zero_length);
    } else {
        return hv_fail(e, HV_CORRUPT, "log entry", s.off, "bad descriptor signature");
    }
    d->file_offset = le64(p + LD_OFF_FILE_OFFSET);
    d->seq = le64(p + LD_OFF_SEQ);
    if (d->file_offset % LOG_SECTOR || d->file_offset < LOG_MIN_TARGET)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LD_OFF_FILE_OFFSET,
                       "descriptor target 0x%llx is not 4 KiB aligned at or after 192 KiB",
                       (unsigned long long)d->file_offset);
    uint64_t end;
    if (hv_add_overflows(d->file_offset, d->is_data ? LOG_SECTOR : d->zero_length, &end) ||
        end > (UINT64_C(1) << 62))
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LD_OFF_FILE_OFFSET,
                       "descriptor target beyond any file size");
    return 0;
}

void vhdx_log_desc_encode(const struct vhdx_log_desc *d, uint8_t *buf)
{
    memset(buf, 0, LD_SIZE);
    if (d->is_data) {
        memcpy(buf, DESC_SIG, 4);
        memcpy(buf + LD_OFF_TRAILING, d->trailing, 4);
        memcpy(buf + LD_OFF_LEADING, d->leading, 8);
    } else {
        memcpy(buf, ZERO_SIG, 4);
        put_le64(buf + LD_OFF_LEADING, d->zero_length);
    }
    put_le64(buf + LD_OFF_FILE_OFFSET, d->file_offset);
    put_le64(buf + LD_OFF_SEQ, d->seq);
}

void vhdx_log_data_encode(const uint8_t *sector, uint64_t seq, struct vhdx_log_desc *d, uint8_t *ds)
{
    d->is_data = 1;
    d->seq = seq;
    memcpy(d->leading, sector, 8);
    memcpy(d->trailing, sector + LDS_OFF_SEQ_LOW, 4);
    memcpy(ds, DATA_SIG, 4);
    put_le32(ds + LDS_OFF_SEQ_HIGH, (uint32_t)(seq >> 32));
    memcpy(ds + LDS_OFF_DATA, sector + LDS_OFF_DATA, LDS_DATA_LEN);
    put_le32(ds + LDS_OFF_SEQ_LOW, (uint32_t)seq);
}

static uint32_t desc_sectors(uint32_t n)
{
    return (uint32_t)(((uint64_t)LE_HEADER_SIZE + (uint64_t)LD_SIZE * n + LOG_SECTOR - 1) / LOG_SECTOR);
}

void vhdx_log_entry_seal(uint8_t *entry, size_t len)
{
    put_le32(entry + LE_OFF_CHECKSUM, hv_crc32c_skip(entry, len, LE_OFF_CHECKSUM));
}

int vhdx_log_entry_parse(struct hv_span s, const struct hv_guid *guid, struct vhdx_log_entry *h,
                    struct hv_err *e)
{
    if (vhdx_log_entry_header_parse(s, h, e))
        return -1;
    if (!hv_guid_eq(&h->log_guid, guid))
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_LOG_GUID,
                       "log GUID differs from the header's (stale entry)");
    if (!span_at(s, 0, h->entry_length))
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_ENTRY_LENGTH,
                       "entry length %u beyond the %zu bytes available", h->entry_length, s.len);
    uint32_t ds = desc_sectors(h->desc_count);
    uint64_t ndata = 0;
    for (uint32_t i = 0; i < h->desc_count; i++) {
        struct hv_span d;
        span_sub(s, LE_HEADER_SIZE + (uint64_t)LD_SIZE * i, LD_SIZE, &d); /* fits: checked above */
        struct vhdx_log_desc desc;
        if (vhdx_log_desc_parse(d, &desc, e))
            return -1;
        /* A writer extends the file before it logs changes there, so a
         * descriptor reaching past the entry's own LastFileOffset is not one
         * a writer made: replaying it would grow the file without bound. */
        uint64_t dend = desc.file_offset + (desc.is_data ? LOG_SECTOR : desc.zero_length);
        if (dend > h->last_file_offset)
            return hv_fail(e, HV_CORRUPT, "log entry", d.off + LD_OFF_FILE_OFFSET,
                           "descriptor %u writes up to 0x%llx, beyond the entry's last file offset 0x%llx",
                           i, (unsigned long long)dend, (unsigned long long)h->last_file_offset);
        if (desc.seq != h->seq)
            return hv_fail(e, HV_CORRUPT, "log entry", d.off + LD_OFF_SEQ,
                           "descriptor %u sequence %llu is not the entry's %llu", i,
                           (unsigned long long)desc.seq, (unsigned long long)h->seq);
        if (desc.is_data) {
            uint64_t at = ((uint64_t)ds + ndata) * LOG_SECTOR;
            const uint8_t *q = span_at(s, at, LOG_SECTOR);
            if (!q || at + LOG_SECTOR > h->entry_length)
                return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_ENTRY_LENGTH,
                               "entry length %u too short for data sector %llu", h->entry_length,
                               (unsigned long long)ndata);
            if (memcmp(q, DATA_SIG, 4))
                return hv_fail(e, HV_CORRUPT, "log entry", s.off + at, "bad data sector signature");
            uint64_t seq = (uint64_t)le32(q + LDS_OFF_SEQ_HIGH) << 32 | le32(q + LDS_OFF_SEQ_LOW);
            if (seq != h->seq)
                return hv_fail(e, HV_CORRUPT, "log entry",
                               s.off + at +
                                   (le32(q + LDS_OFF_SEQ_LOW) != (uint32_t)h->seq ? LDS_OFF_SEQ_LOW
                                                                                  : LDS_OFF_SEQ_HIGH),
                               "data sector sequence %llu is not the entry's %llu",
                               (unsigned long long)seq, (unsigned long long)h->seq);
            ndata++;
        }
    }
    uint32_t crc = hv_crc32c_skip(s.p, h->entry_length, LE_OFF_CHECKSUM);
    if (crc != h->checksum)
        return hv_fail(e, HV_CORRUPT, "log entry", s.off + LE_OFF_CHECKSUM,
                       "checksum 0x%08x does not match computed 0x%08x", h->checksum, crc);
    return 0;
}

/* ---------------------------------------------------------------- ring access */

/* A contiguous view of the entry at ring position pos (copied when it wraps). */
struct entry_view {
    struct hv_span s;
    uint8_t *owned;
};

static int entry_at(struct hv_span log, uint64_t pos, const struct hv_guid *guid,
                    struct vhdx_log_entry *h, struct entry_view *v, int *stale, struct hv_err *e)
{
    v->owned = NULL;
    *stale = 0;
    struct hv_span hs;
    if (span_sub(log, pos, LOG_SECTOR, &hs))
        return hv_fail(e, HV_CORRUPT, "log", log.off + pos, "entry outside the log");
    if (vhdx_log_entry_header_parse(hs, h, e))
        return -1;
    if (!hv_guid_eq(&h->log_guid, guid)) {
        *stale = 1;
        return hv_fail(e, HV_CORRUPT, "log entry", hs.off + LE_OFF_LOG_GUID, "stale log GUID");
    }
    if (h->entry_length >= log.len || h->tail >= log.len)
        return hv_fail(e, HV_CORRUPT, "log entry", hs.off + LE_OFF_ENTRY_LENGTH,
                       "entry length %u or tail %u not inside the %zu-byte log", h->entry_length,
                       h->tail, log.len);
    if (pos + h->entry_length <= log.len) {
        span_sub(log, pos, h->entry_length, &v->s);
    } else {
        v->owned = malloc(h->entry_length);
        if (!v->owned)
            return hv_failx(e, HV_NOMEM, "log", "out of memory");
        size_t first = (size_t)(log.len - pos);
        memcpy(v->owned, log.p + pos, first);
        memcpy(v->owned + first, log.p, h->entry_length - first);
        v->s = hv_span_make(v->owned, h->entry_length, log.off + pos);
    }
    if (vhdx_log_entry_parse(v->s, guid, h, e)) {
        free(v->owned);
        v->owned = NULL;
        return -1;
    }
    return 0;
}

int vhdx_log_find_active(struct hv_span log, const struct hv_guid *guid, struct vhdx_log_scan *out,
                    struct hv_err *e)
{
    memset(out, 0, sizeof *out);
    if (log.len < LOG_SECTOR || log.len % LOG_SECTOR)
        return hv_fail(e, HV_CORRUPT, "log", log.off, "log length %zu is not a multiple of 4096",
                       log.len);
    uint64_t L = log.len;
    size_t maxent = (size_t)(L / LOG_SECTOR);
    uint64_t *starts = malloc(maxent * sizeof *starts);
    if (!starts)
        return hv_failx(e, HV_NOMEM, "log", "out of memory");
    uint64_t pos = 0;
    int stale_seen_at_zero = 0;
    (void)stale_seen_at_zero;
    for (;;) {
        uint64_t cursor = pos, covered = 0, last_seq = 0;
        size_t n = 0;
        struct vhdx_log_entry head = { 0 };
        while (covered < L) {
            struct vhdx_log_entry h;
            struct entry_view v;
            int stale;
            struct hv_err ignore;
            if (entry_at(log, cursor, guid, &h, &v, &stale, &ignore)) {
                if (stale && n == 0)
                    out->stale++;
                if (!out->have_why && n == 0 && !memcmp(log.p + cursor, LE_SIG, 4)) {
                    out->why = ignore;
                    out->have_why = 1;
                }
                break;
            }
            free(v.owned);
            if (n > 0 && h.seq != last_seq + 1)
                break;
            if (covered + h.entry_length > L)
                break;
            starts[n++] = cursor;
            last_seq = h.seq;
            head = h;
            covered += h.entry_length;
            cursor = (cursor + h.entry_length) % L;
        }
        int valid = 0;
        size_t tail_ix = 0;
        if (n > 0) {
            for (size_t i = 0; i < n; i++)
                if (starts[i] == head.tail) {
                    valid = 1;
                    tail_ix = i;
                    break;
                }
        }
        if (valid && head.seq > out->seq_last) {
            out->found = 1;
            out->head = head;
            out->head_pos = starts[n - 1];
            out->tail_pos = head.tail;
            out->entries = (uint32_t)(n - tail_ix);
            out->seq_last = head.seq;
            out->seq_first = head.seq - (n - 1 - tail_ix);
        }
        uint64_t next = valid ? cursor : pos + LOG_SECTOR;
        if (next >= L)
            next %= L;
        if (next <= pos)
            break;
        pos = next;
    }
    free(starts);
    return 0;
}

/* ---------------------------------------------------------------- overlay */

void vhdx_ov_free(struct vhdx_overlay *ov)
{
    for (size_t i = 0; i < ov->n; i++)
        free(ov->ops[i].data);
    free(ov->ops);
    free(ov->zeros);
    free(ov->seg);
    memset(ov, 0, sizeof *ov);
}

int vhdx_ov_empty(const struct vhdx_overlay *ov)
{
    return ov->nseg == 0;
}

/* First segment ending after x. */
static size_t seg_after(const struct vhdx_overlay *ov, uint64_t x)
{
    size_t lo = 0, hi = ov->nseg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ov->seg[mid].off + ov->seg[mid].len <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int vhdx_ov_intersects(const struct vhdx_overlay *ov, uint64_t off, uint64_t len)
{
    if (len == 0)
        return 0;
    size_t i = seg_after(ov, off);
    return i < ov->nseg && ov->seg[i].off < off + len;
}

void vhdx_ov_read(const struct vhdx_overlay *ov, struct hv_span file, uint64_t off, uint64_t len,
             uint8_t *buf)
{
    /* Real bytes first; past the end of the file, zeros. */
    if (off < file.len) {
        uint64_t n = file.len - off < len ? file.len - off : len;
        memcpy(buf, file.p + off, (size_t)n);
        memset(buf + n, 0, (size_t)(len - n));
    } else {
        memset(buf, 0, (size_t)len);
    }
    uint64_t end = off + len;
    for (size_t i = seg_after(ov, off); i < ov->nseg && ov->seg[i].off < end; i++) {
        const struct ov_seg *g = &ov->seg[i];
        uint64_t a = g->off > off ? g->off : off;
        uint64_t b = g->off + g->len < end ? g->off + g->len : end;
        if (g->data)
            memcpy(buf + (a - off), g->data + (a - g->off), (size_t)(b - a));
        else
            memset(buf + (a - off), 0, (size_t)(b - a));
    }
}

/* ---- flattening: a sweep over the operation boundaries with a max-heap of
 * the operations covering the current point, keyed by log order (the latest
 * wins); operations that ended are dropped lazily when they reach the top. */

struct heap {
    const struct ov_op **a;
    size_t n;
};

static void heap_push(struct heap *h, const struct ov_op *op)
{
    size_t i = h->n++;
    h->a[i] = op;
    while (i > 0 && h->a[(i - 1) / 2]->order < h->a[i]->order) {
        const struct ov_op *t = h->a[i];
        h->a[i] = h->a[(i - 1) / 2];
        h->a[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void heap_pop(struct heap *h)
{
    h->a[0] = h->a[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->a[l]->order > h->a[m]->order)
            m = l;
        if (r < h->n && h->a[r]->order > h->a[m]->order)
            m = r;
        if (m == i)
            break;
        const struct ov_op *t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
}

static int cmp_op_ptr(const void *a, const void *b)
{
    const struct ov_op *x = *(const struct ov_op *const *)a, *y = *(const struct ov_op *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Appends [p, q) served by op, merging with the previous segment when the
 * same operation (or zeros) continues it. */
static void seg_add(struct vhdx_overlay *ov, const struct ov_op **last, const struct ov_op *op,
                    uint64_t p, uint64_t q)
{
    struct ov_seg *prev = ov->nseg ? &ov->seg[ov->nseg - 1] : NULL;
    if (prev && prev->off + prev->len == p && ((!op->data && !prev->data) || *last == op)) {
        prev->len += q - p;
    } else {
        ov->seg[ov->nseg++] = (struct ov_seg){ p, q - p, op->data ? op->data + (p - op->off) : NULL };
    }
    *last = op;
    if (op->data && q > ov->data_end)
        ov->data_end = q;
}

int vhdx_ov_finish(struct vhdx_overlay *ov, struct hv_err *e)
{
    size_t n = ov->n + ov->nz;
    free(ov->seg);
    ov->seg = NULL;
    ov->nseg = 0;
    ov->data_end = 0;
    if (n == 0)
        return 0;
    const struct ov_op **by_off = malloc(n * sizeof *by_off);
    const struct ov_op **heap = malloc(n * sizeof *heap);
    uint64_t *pts = malloc(2 * n * sizeof *pts);
    ov->seg = malloc(2 * n * sizeof *ov->seg);
    if (!by_off || !heap || !pts || !ov->seg) {
        free(by_off);
        free(heap);
        free(pts);
        free(ov->seg);
        ov->seg = NULL;
        return hv_failx(e, HV_NOMEM, "log", "out of memory for %zu log operations", n);
    }
    for (size_t i = 0; i < ov->n; i++)
        by_off[i] = &ov->ops[i];
    for (size_t i = 0; i < ov->nz; i++)
        by_off[ov->n + i] = &ov->zeros[i];
    for (size_t i = 0; i < n; i++) {
        pts[2 * i] = by_off[i]->off;
        pts[2 * i + 1] = by_off[i]->off + by_off[i]->len; /* no overflow: desc_parse caps ends */
    }
    qsort(by_off, n, sizeof *by_off, cmp_op_ptr);
    qsort(pts, 2 * n, sizeof *pts, cmp_u64);
    struct heap h = { heap, 0 };
    const struct ov_op *last = NULL;
    size_t next = 0;
    for (size_t k = 0; k + 1 < 2 * n; k++) {
        uint64_t p = pts[k], q = pts[k + 1];
        if (p == q)
            continue;
        while (next < n && by_off[next]->off <= p)
            heap_push(&h, by_off[next++]);
        while (h.n && h.a[0]->off + h.a[0]->len <= p)
            heap_pop(&h);
        if (h.n)
            seg_add(ov, &last, h.a[0], p, q);
    }
    free(by_off);
    free(heap);
    free(pts);
    return 0;
}

static int ov_push(struct ov_op **arr, size_t *n, size_t *cap, struct ov_op op, struct hv_err *e)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct ov_op *p = realloc(*arr, nc * sizeof *p);
        if (!p)
            return hv_failx(e, HV_NOMEM, "log", "out of memory");
        *arr = p;
        *cap = nc;
    }
    (*arr)[(*n)++] = op;
    return 0;
}

int vhdx_log_replay(struct hv_span log, const struct hv_guid *guid, const struct vhdx_log_scan *scan,
               struct vhdx_overlay *ov, struct hv_err *e)
{
    uint64_t pos = scan->tail_pos;
    for (uint32_t k = 0; k < scan->entries; k++) {
        struct vhdx_log_entry h;
        struct entry_view v;
        int stale;
        if (entry_at(log, pos, guid, &h, &v, &stale, e))
            return -1;
        uint32_t ds = desc_sectors(h.desc_count);
        uint64_t ndata = 0;
        for (uint32_t i = 0; i < h.desc_count; i++) {
            struct hv_span d;
            struct vhdx_log_desc desc;
            span_sub(v.s, LE_HEADER_SIZE + (uint64_t)LD_SIZE * i, LD_SIZE, &d);
            vhdx_log_desc_parse(d, &desc, NULL); /* validated by entry_at */
            struct ov_op op = { desc.file_offset, 0, NULL, ov->next_order++ };
            if (desc.is_data) {
                const uint8_t *q = v.s.p + ((uint64_t)ds + ndata) * LOG_SECTOR;
                ndata++;
                op.len = LOG_SECTOR;
                op.data = malloc(LOG_SECTOR);
                if (!op.data) {
                    free(v.owned);
                    return hv_failx(e, HV_NOMEM, "log", "out of memory");
                }
                memcpy(op.data, desc.leading, 8);
                memcpy(op.data + LDS_OFF_DATA, q + LDS_OFF_DATA, LDS_DATA_LEN);
                memcpy(op.data + LDS_OFF_SEQ_LOW, desc.trailing, 4);
                if (ov_push(&ov->ops, &ov->n, &ov->cap, op, e)) {
                    free(op.data);
                    free(v.owned);
                    return -1;
                }
            } else {
                op.len = desc.zero_length;
                if (ov_push(&ov->zeros, &ov->nz, &ov->capz, op, e)) {
                    free(v.owned);
                    return -1;
                }
            }
        }
        free(v.owned);
        pos = (pos + h.entry_length) % log.len;
    }
    return vhdx_ov_finish(ov, e);
}
