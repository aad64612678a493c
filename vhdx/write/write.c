/* write.c: in-place payload writes and discards (docs/vhdx-format.md §11.3, §11.5,
 * §11.6): block allocation at EOF in 1 MiB units, payload flushed before the
 * BAT points at it, BAT entries and sector-bitmap sectors changed only
 * through the log (logwrite.c), differencing partial writes as
 * PARTIALLY_PRESENT blocks with bitmaps.
 *
 *   state of the block      write covers the block    write covers part of it
 *   FULLY_PRESENT           in place                   in place
 *   PARTIALLY_PRESENT       in place, log bits         in place, log bits
 *   NOT_PRESENT (child)     new block, FULLY_PRESENT   new block, PARTIALLY_PRESENT
 *   anything else           new block, FULLY_PRESENT   new block (zero-filled), FULLY_PRESENT
 *
 * Writes are whole logical sectors, so no sector is ever merged with parent
 * data. The in-memory BAT and bitmap copies are changed first and the changed
 * 4 KiB sectors logged from them, so cached state always equals what the log
 * makes durable.
 */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

#define MAX_PAGES 64 /* per transaction: far below half of a 1 MiB log */

struct changes {
    struct lw_page p[MAX_PAGES + 2];
    size_t n;
};

/* Adds the 4 KiB sector of `buf` (region at file offset `base`) holding byte
 * `at`, once. */
static void add_page(struct changes *c, const uint8_t *buf, uint64_t base, uint64_t at)
{
    uint64_t sec = at / LOG_SECTOR * LOG_SECTOR;
    for (size_t i = 0; i < c->n; i++)
        if (c->p[i].off == base + sec)
            return;
    c->p[c->n++] = (struct lw_page){ base + sec, buf + sec };
}

static uint64_t bat_get(const struct vhdx_rw *w, uint64_t idx)
{
    return le64(w->bat + idx * 8);
}

static void bat_set(struct vhdx_rw *w, struct changes *c, uint64_t idx, uint64_t v)
{
    vhdx_bat_entry_encode(v, w->bat + idx * 8);
    add_page(c, w->bat, w->bat_r.file_offset, idx * 8);
}

static int commit(struct vhdx_rw *w, struct changes *c, struct hv_err *e)
{
    int rc = vhdx_logw_commit(&w->log, c->p, c->n, e);
    c->n = 0;
    if (rc != 0)
        w->broken = 1;
    return rc;
}

/* The chunk's sector bitmap as cached (loaded from the file, or new zeros). */
static uint8_t *sb_get(struct vhdx_rw *w, uint64_t chunk, struct hv_err *e)
{
    for (size_t i = 0; i < w->nsbc; i++)
        if (w->sbc[i].chunk == chunk)
            return w->sbc[i].buf;
    struct sb_cache *n = realloc(w->sbc, (w->nsbc + 1) * sizeof *n);
    uint8_t *buf = calloc(1, SB_BLOCK_SIZE);
    if (n)
        w->sbc = n;
    if (!n || !buf) {
        free(buf);
        hv_failx(e, HV_NOMEM, "sector bitmap", "out of memory");
        return NULL;
    }
    uint64_t v = bat_get(w, bat_sb_index(&w->g, chunk));
    if (bat_state(v) == SB_PRESENT && hv_io_pread(w->io, buf, SB_BLOCK_SIZE, bat_file_offset(v), e)) {
        free(buf);
        return NULL;
    }
    w->sbc[w->nsbc++] = (struct sb_cache){ chunk, buf };
    return buf;
}

/* Extends the file by `len` bytes at the next 1 MiB boundary; returns where. */
static int allocate(struct vhdx_rw *w, uint64_t len, uint64_t *at, struct hv_err *e)
{
    *at = round_up(w->file_size > w->alloc_floor ? w->file_size : w->alloc_floor, MiB);
    if (hv_io_truncate(w->io, *at + len, e) != 0)
        return -1;
    w->file_size = *at + len;
    return 0;
}

/* Sets the bitmap bits of sectors [in, in+n) of block b; logs their sectors. */
static int set_bits(struct vhdx_rw *w, struct changes *c, uint64_t b, uint64_t in, uint64_t n,
                    struct hv_err *e)
{
    uint64_t chunk = b / w->g.chunk_ratio;
    uint64_t sbv = bat_get(w, bat_sb_index(&w->g, chunk));
    uint8_t *bits = sb_get(w, chunk, e);
    if (!bits)
        return -1;
    if (bat_state(sbv) != SB_PRESENT) { /* a fresh, zero 1 MiB bitmap block */
        uint64_t at;
        if (allocate(w, SB_BLOCK_SIZE, &at, e) != 0)
            return -1;
        sbv = bat_entry_make(SB_PRESENT, at);
        bat_set(w, c, bat_sb_index(&w->g, chunk), sbv);
    }
    uint64_t first = bat_sb_first_bit(&w->g, b) + in / w->g.lss, count = n / w->g.lss;
    for (uint64_t k = first; k < first + count; k++) {
        bits[k / 8] |= (uint8_t)(1u << (k % 8));
        if (k == first || k % (8 * LOG_SECTOR) == 0)
            add_page(c, bits, bat_file_offset(sbv), k / 8);
    }
    add_page(c, bits, bat_file_offset(sbv), (first + count - 1) / 8);
    return 0;
}

static uint64_t block_bytes(const struct vhdx_rw *w, uint64_t b)
{
    uint64_t left = w->g.virtual_size - b * w->g.block_size;
    return left < w->g.block_size ? left : w->g.block_size;
}

static int flush_payload(struct vhdx_rw *w, struct hv_err *e)
{
    if (hv_io_flush(w->io, e) != 0)
        return -1;
    w->durable_size = w->file_size;
    w->dirty = 0;
    return 0;
}

static int write_new_block(struct vhdx_rw *w, uint64_t b, unsigned st, uint64_t in,
                           const uint8_t *data, uint64_t n, struct hv_err *e)
{
    struct changes c = { .n = 0 };
    uint64_t at;
    int partial = w->type == VHDX_TYPE_DIFFERENCING && st == VHDX_BLOCK_NOT_PRESENT &&
                  !(in == 0 && n == block_bytes(w, b));
    if (allocate(w, w->g.block_size, &at, e) != 0 ||
        hv_io_pwrite(w->io, data, (size_t)n, at + in, e) != 0)
        return -1;
    if (partial && set_bits(w, &c, b, in, n, e) != 0)
        return -1;
    if (flush_payload(w, e) != 0) /* payload durable before anything points at it */
        return -1;
    unsigned ns = partial ? VHDX_BLOCK_PARTIALLY_PRESENT : VHDX_BLOCK_FULLY_PRESENT;
    bat_set(w, &c, bat_payload_index(&w->g, b), bat_entry_make(ns, at));
    return commit(w, &c, e);
}

static int write_in_block(struct vhdx_rw *w, uint64_t b, uint64_t in, const uint8_t *data, uint64_t n,
                          struct hv_err *e)
{
    uint64_t v = bat_get(w, bat_payload_index(&w->g, b));
    unsigned st = bat_state(v);
    if (st == VHDX_BLOCK_FULLY_PRESENT) {
        w->dirty = 1;
        return hv_io_pwrite(w->io, data, (size_t)n, bat_file_offset(v) + in, e);
    }
    if (st != VHDX_BLOCK_PARTIALLY_PRESENT || w->type != VHDX_TYPE_DIFFERENCING)
        return write_new_block(w, b, st, in, data, n, e);
    struct changes c = { .n = 0 };
    if (hv_io_pwrite(w->io, data, (size_t)n, bat_file_offset(v) + in, e) != 0 ||
        flush_payload(w, e) != 0 || set_bits(w, &c, b, in, n, e) != 0)
        return -1;
    return commit(w, &c, e);
}

static int check_range(struct vhdx_rw *w, uint64_t off, uint64_t len, struct hv_err *e)
{
    if (w->broken)
        return hv_failx(e, HV_IO, "log", "an earlier logged change failed; reopen the image");
    if (off % w->g.lss || len % w->g.lss)
        return hv_failx(e, HV_USAGE, "write", "offset %llu or length %llu not a multiple of %u",
                        (unsigned long long)off, (unsigned long long)len, w->g.lss);
    if (off > w->g.virtual_size || len > w->g.virtual_size - off)
        return hv_failx(e, HV_USAGE, "write", "range beyond the virtual size %llu",
                        (unsigned long long)w->g.virtual_size);
    return 0;
}

int vhdx_write(vhdx_rw *w, const void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    if (check_range(w, off, len, e) != 0 || (len && vhdx_rw_touch_data(w, e) != 0))
        return -1;
    const uint8_t *p = buf;
    while (len > 0) {
        uint64_t b = off / w->g.block_size, in = off % w->g.block_size;
        uint64_t n = w->g.block_size - in < len ? w->g.block_size - in : len;
        if (write_in_block(w, b, in, p, n, e) != 0)
            return -1;
        p += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Does block b already read as zeros in this layer (never from a parent)? */
static int reads_zero(const struct vhdx_rw *w, uint64_t b)
{
    unsigned st = bat_state(bat_get(w, bat_payload_index(&w->g, b)));
    if (st == VHDX_BLOCK_FULLY_PRESENT || st == VHDX_BLOCK_PARTIALLY_PRESENT)
        return 0;
    return !(w->type == VHDX_TYPE_DIFFERENCING && st == VHDX_BLOCK_NOT_PRESENT);
}

static int zero_part(struct vhdx_rw *w, uint64_t off, uint64_t n, struct hv_err *e)
{
    if (reads_zero(w, off / w->g.block_size))
        return 0;
    uint8_t *z = calloc(1, (size_t)n);
    if (!z)
        return hv_failx(e, HV_NOMEM, "write", "out of memory");
    int rc = vhdx_write(w, z, (size_t)n, off, e);
    free(z);
    return rc;
}

int vhdx_discard(vhdx_rw *w, uint64_t off, uint64_t len, struct hv_err *e)
{
    if (check_range(w, off, len, e) != 0 || (len && vhdx_rw_touch_data(w, e) != 0))
        return -1;
    struct changes c = { .n = 0 };
    while (len > 0) {
        uint64_t b = off / w->g.block_size, in = off % w->g.block_size;
        uint64_t n = w->g.block_size - in < len ? w->g.block_size - in : len;
        int whole = in == 0 && n == block_bytes(w, b);
        int rc;
        if (!whole || w->type == VHDX_TYPE_FIXED) /* fixed blocks stay allocated */
            rc = zero_part(w, off, n, e);
        else {
            /* ZERO, not NOT_PRESENT: a child must not expose its parent here */
            bat_set(w, &c, bat_payload_index(&w->g, b), bat_entry_make(VHDX_BLOCK_ZERO, 0));
            rc = c.n >= MAX_PAGES ? commit(w, &c, e) : 0;
        }
        if (rc != 0)
            return -1;
        off += n;
        len -= n;
    }
    return c.n ? commit(w, &c, e) : 0;
}

int vhdx_rw_log_changes(struct vhdx_rw *w, uint64_t off, const uint8_t *before, const uint8_t *now,
                   size_t len, struct hv_err *e)
{
    struct changes c = { .n = 0 };
    for (size_t at = 0; at < len; at += LOG_SECTOR) {
        if (memcmp(before + at, now + at, LOG_SECTOR) == 0)
            continue;
        if (c.n == MAX_PAGES)
            return hv_failx(e, HV_UNSUPPORTED, "log entry", "change spans more than %d sectors",
                            MAX_PAGES);
        c.p[c.n++] = (struct lw_page){ off + at, now + at };
    }
    return c.n ? commit(w, &c, e) : 0;
}
