/* compact.c: giving back the space of a dynamic or differencing image in
 * place (the work of Optimize-VHD), crash-safe through the log.
 *
 *   1. unallocate: FULLY_PRESENT blocks reading all zeros become NOT_PRESENT
 *      (dynamic) or ZERO (differencing: must not expose the parent); logged
 *      BAT changes, the disk reads the same before and after each.
 *   2. move down: blocks (payload and sector bitmap) in file order are
 *      copied into the lowest free space below them, flushed, then their BAT
 *      entries switched in a logged transaction. A copy never lands on bytes
 *      a durable BAT entry still names, so a cut leaves the old or the new
 *      location, both holding the same data.
 *   3. truncate the file after the last used byte (log closed around it).
 *
 * Each step is complete in itself: running compact again after a crash
 * finishes the job. Fixed images are refused: their blocks stay allocated
 * by definition ([MS-VHDX] 2.6.2.1 LeaveBlocksAllocated).
 */
#include <stdlib.h>
#include <string.h>

#include "diskops_int.h"

struct fblock {
    uint64_t idx;  /* BAT index */
    uint64_t off;  /* file offset */
    uint64_t len;  /* block size, or 1 MiB for a sector bitmap */
};

static int is_sb_index(const struct vhdx_rw *w, uint64_t i)
{
    return i % ((uint64_t)w->g.chunk_ratio + 1) == w->g.chunk_ratio;
}

/* ---- 1. unallocate all-zero blocks ---- */

static int unallocate_zero_blocks(struct vhdx_rw *w, struct vhdx_compact_report *rep,
                                  struct hv_err *e)
{
    unsigned to = w->type == VHDX_TYPE_DIFFERENCING ? VHDX_BLOCK_ZERO : VHDX_BLOCK_NOT_PRESENT;
    struct txn t = { .n = 0 };
    for (uint64_t b = 0; b < w->g.data_blocks; b++) {
        uint64_t idx = bat_payload_index(&w->g, b), v = dops_bat_get(w, idx);
        if (bat_state(v) != VHDX_BLOCK_FULLY_PRESENT)
            continue;
        int z = vhdx_dops_file_zero(w, bat_file_offset(v), w->g.block_size, e);
        if (z < 0)
            return -1;
        if (!z)
            continue;
        if (vhdx_txn_full(&t, 1) && vhdx_txn_commit(w, &t, e) != 0)
            return -1;
        vhdx_dops_bat_set(w, &t, idx, bat_entry_make(to, 0));
        rep->blocks_unallocated++;
    }
    return t.n ? vhdx_txn_commit(w, &t, e) : 0;
}

/* ---- 2. move blocks down ---- */

static int by_offset(const void *a, const void *b)
{
    const struct fblock *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Every allocated block of the file, sorted by offset. */
static int list_blocks(const struct vhdx_rw *w, struct fblock **out, size_t *n, struct hv_err *e)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (uint64_t i = 0; i < w->g.total_entries; i++) {
        uint64_t v = dops_bat_get(w, i);
        int sb = is_sb_index(w, i);
        unsigned st = bat_state(v);
        if (sb ? st != SB_PRESENT
               : st != VHDX_BLOCK_FULLY_PRESENT && st != VHDX_BLOCK_PARTIALLY_PRESENT)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct fblock *nb = realloc(*out, cap * sizeof *nb);
            if (!nb)
                return hv_failx(e, HV_NOMEM, "compact", "out of memory");
            *out = nb;
        }
        (*out)[(*n)++] = (struct fblock){ i, bat_file_offset(v), sb ? SB_BLOCK_SIZE : w->g.block_size };
    }
    if (*n > 1)
        qsort(*out, *n, sizeof **out, by_offset);
    return 0;
}

/* The fixed structures a block may not move onto, sorted. */
struct span2 {
    uint64_t off, end;
};

static size_t fixed_spans(const struct vhdx_rw *w, struct span2 s[4])
{
    const struct vhdx_header *h = &w->hdr[w->cur];
    s[0] = (struct span2){ 0, MiB };
    s[1] = (struct span2){ h->log_offset, h->log_offset + h->log_length };
    s[2] = (struct span2){ w->meta_r.file_offset, w->meta_r.file_offset + w->meta_r.length };
    s[3] = (struct span2){ w->bat_r.file_offset, w->bat_r.file_offset + w->bat_r.length };
    for (int i = 1; i < 4; i++) /* insertion sort of four */
        for (int j = i; j > 0 && s[j].off < s[j - 1].off; j--) {
            struct span2 t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return 4;
}

/* Lowest 1 MiB-aligned position >= at where len bytes avoid the fixed spans. */
static uint64_t place(const struct span2 *s, size_t n, uint64_t at, uint64_t len)
{
    at = round_up(at, MiB);
    for (size_t i = 0; i < n; i++)
        if (at < s[i].end && at + len > s[i].off)
            at = round_up(s[i].end, MiB);
    return at;
}

static int copy_bytes(struct vhdx_rw *w, uint64_t from, uint64_t to, uint64_t len, uint8_t *buf,
                      struct hv_err *e)
{
    for (uint64_t done = 0; done < len; done += MiB) {
        size_t n = len - done < MiB ? (size_t)(len - done) : MiB;
        if (hv_io_pread(w->io, buf, n, from + done, e) != 0 ||
            hv_io_pwrite(w->io, buf, n, to + done, e) != 0)
            return -1;
    }
    return 0;
}

/* A batch of copies already written, waiting for one flush and one commit. */
struct moves {
    struct txn t;
    struct fblock src[TXN_MAX];
    size_t n;
};

static int moves_commit(struct vhdx_rw *w, struct moves *m, struct hv_err *e)
{
    if (m->n == 0)
        return 0;
    if (hv_io_flush(w->io, e) != 0) /* copies durable before the BAT names them */
        return -1;
    w->durable_size = w->file_size;
    m->n = 0;
    return vhdx_txn_commit(w, &m->t, e);
}

/* Would [to, to+len) hit a source the durable BAT still names? */
static int hits_pending(const struct moves *m, uint64_t to, uint64_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (to < m->src[i].off + m->src[i].len && to + len > m->src[i].off)
            return 1;
    return 0;
}

static int move_blocks(struct vhdx_rw *w, struct vhdx_compact_report *rep, struct hv_err *e)
{
    struct fblock *bl;
    size_t n;
    if (list_blocks(w, &bl, &n, e) != 0)
        return -1;
    struct span2 fs[4];
    size_t nfs = fixed_spans(w, fs);
    uint8_t *buf = malloc(MiB);
    struct moves *m = calloc(1, sizeof *m);
    int rc = buf && m ? 0 : hv_failx(e, HV_NOMEM, "compact", "out of memory");
    uint64_t cursor = MiB;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t to = place(fs, nfs, cursor, bl[i].len);
        if (to + bl[i].len > bl[i].off) { /* no room below without overlapping itself */
            cursor = bl[i].off + bl[i].len;
            continue;
        }
        if ((hits_pending(m, to, bl[i].len) || vhdx_txn_full(&m->t, 1)) && moves_commit(w, m, e))
            rc = -1;
        else if ((rc = copy_bytes(w, bl[i].off, to, bl[i].len, buf, e)) == 0) {
            uint64_t v = dops_bat_get(w, bl[i].idx);
            vhdx_dops_bat_set(w, &m->t, bl[i].idx, bat_entry_make(bat_state(v), to));
            m->src[m->n++] = bl[i];
            rep->blocks_moved++;
            cursor = to + bl[i].len;
        }
    }
    if (rc == 0)
        rc = moves_commit(w, m, e);
    free(m);
    free(buf);
    free(bl);
    return rc;
}

int vhdx_compact_rw(vhdx_rw *w, struct vhdx_compact_report *rep, struct hv_err *e)
{
    memset(rep, 0, sizeof *rep);
    rep->old_file_size = rep->new_file_size = w->file_size;
    if (w->broken)
        return hv_failx(e, HV_IO, "log", "an earlier logged change failed; reopen the image");
    if (w->type == VHDX_TYPE_FIXED)
        return hv_failx(e, HV_UNSUPPORTED, "compact", "a fixed image keeps every block allocated; "
                        "convert it to dynamic to compact it");
    if (unallocate_zero_blocks(w, rep, e) != 0 || move_blocks(w, rep, e) != 0)
        return -1;
    uint64_t end = round_up(vhdx_dops_used_end(w), MiB);
    if (end < w->file_size && vhdx_dops_truncate(w, end, e) != 0)
        return -1;
    rep->new_file_size = w->file_size;
    return 0;
}

int vhdx_compact(const char *path, struct vhdx_compact_report *rep, struct hv_err *e)
{
    vhdx_rw *w;
    vhdx *img;
    memset(rep, 0, sizeof *rep);
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(path, &o, &img, e) != 0) /* refuse fixed before the headers change */
        return -1;
    struct vhdx_info info;
    int fixed = vhdx_get_info(img, &info) == 0 && info.type == VHDX_TYPE_FIXED;
    vhdx_close(img);
    if (fixed) {
        hv_err_file(e, path);
        return hv_failx(e, HV_UNSUPPORTED, "compact", "a fixed image keeps every block allocated; "
                        "convert it to dynamic to compact it");
    }
    if (vhdx_open_rw(path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_compact_rw(w, rep, e);
    if (rc != 0)
        hv_err_file(e, path);
    int rc2 = vhdx_close_rw(w, rc == 0 ? e : NULL);
    return rc || rc2 ? -1 : 0;
}
