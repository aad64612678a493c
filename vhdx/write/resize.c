/* resize.c: changing the virtual size of an image in place ([MS-VHDX] 2.5,
 * 2.6.2.2; the work of Resize-VHD), crash-safe through the log.
 *
 *   grow, BAT fits:      [fixed: fallocate new blocks, flush]
 *                        log new BAT entries (invisible beyond the old count)
 *                        log  size item + last BAT sectors        <- switch
 *   grow, BAT too small: [fixed: fallocate new blocks]
 *                        write the larger BAT at EOF, flush
 *                        log  region table 1 + 2 + size item      <- switch
 *   shrink:              refuse if allocated bytes beyond the end hold data
 *                        log  size item                           <- switch
 *                        log  cleared entries beyond the end; truncate
 *
 * Before the switch the image reads as before (entries past the BAT count
 * and space past the used end are not part of it); after it, as resized.
 * BAT indices of existing blocks do not move: the chunk ratio depends only
 * on block and sector size ([MS-VHDX] 2.5).
 */
#include <stdlib.h>
#include <string.h>

#include "diskops_int.h"

static int refuse_if_data(struct vhdx_rw *w, uint64_t new_size, struct vhdx_resize_report *rep,
                          struct hv_err *e)
{
    uint64_t bs = w->g.block_size, old = w->g.virtual_size;
    for (uint64_t b = new_size / bs; b < w->g.data_blocks; b++) {
        uint64_t v = dops_bat_get(w, bat_payload_index(&w->g, b));
        unsigned st = bat_state(v);
        uint64_t lo = new_size > b * bs ? new_size - b * bs : 0;
        uint64_t hi = old < (b + 1) * bs ? old - b * bs : bs;
        if (st != VHDX_BLOCK_FULLY_PRESENT || lo >= hi)
            continue;
        int z = vhdx_dops_file_zero(w, bat_file_offset(v) + lo, hi - lo, e);
        if (z < 0)
            return -1;
        if (!z)
            return hv_failx(e, HV_USAGE, "resize",
                            "virtual bytes from %llu hold data; shrinking to %llu would lose them",
                            (unsigned long long)(b * bs + lo), (unsigned long long)new_size);
        rep->blocks_released += lo == 0;
    }
    return 0;
}

/* The entry a new BAT index gets: fixed payload blocks point into the
 * freshly allocated run starting at `run`; everything else is 0
 * (NOT_PRESENT / SB_NOT_PRESENT). */
static uint64_t new_entry(const struct vhdx_rw *w, uint64_t idx, uint64_t run)
{
    uint64_t cr1 = (uint64_t)w->g.chunk_ratio + 1;
    if (w->type != VHDX_TYPE_FIXED || idx % cr1 == w->g.chunk_ratio)
        return 0;
    uint64_t b = idx - idx / cr1;
    return bat_entry_make(VHDX_BLOCK_FULLY_PRESENT, run + (b - w->g.data_blocks) * w->g.block_size);
}

/* The old last block, when partial, must read zeros beyond the old end. */
static int zero_old_tail(struct vhdx_rw *w, uint64_t new_size, struct hv_err *e)
{
    uint64_t bs = w->g.block_size, old = w->g.virtual_size, b = old / bs;
    if (old % bs == 0)
        return 0;
    uint64_t v = dops_bat_get(w, bat_payload_index(&w->g, b));
    if (bat_state(v) != VHDX_BLOCK_FULLY_PRESENT)
        return 0;
    uint64_t lo = old - b * bs, hi = new_size < (b + 1) * bs ? new_size - b * bs : bs;
    int z = vhdx_dops_file_zero(w, bat_file_offset(v) + lo, hi - lo, e);
    if (z != 0)
        return z < 0 ? -1 : 0;
    uint8_t *zeros = calloc(1, (size_t)(hi - lo));
    if (!zeros)
        return hv_failx(e, HV_NOMEM, "resize", "out of memory");
    int rc = hv_io_pwrite(w->io, zeros, (size_t)(hi - lo), bat_file_offset(v) + lo, e);
    free(zeros);
    return rc;
}

static int extend(struct vhdx_rw *w, uint64_t len, uint64_t *at, struct hv_err *e)
{
    *at = round_up(w->file_size, MiB);
    if (len && hv_io_allocate(w->io, *at, len, e) != 0)
        return -1;
    if (*at + len > w->file_size)
        w->file_size = *at + len;
    return 0;
}

/* Region tables 1 and 2 re-encoded with the BAT at `off`, `len`; their
 * changed sectors and the size item go in one transaction. */
static int switch_bat(struct vhdx_rw *w, uint64_t off, uint32_t len, uint64_t new_size,
                      struct hv_err *e)
{
    uint8_t *now = malloc(RT_SIZE), *old = malloc(RT_SIZE);
    struct vhdx_region_table *rt = malloc(sizeof *rt);
    int rc = -1;
    if (!now || !old || !rt) {
        hv_failx(e, HV_NOMEM, "region table", "out of memory");
        goto out;
    }
    *rt = *w->rt;
    for (uint32_t i = 0; i < rt->count; i++)
        if (hv_guid_eq(&rt->e[i].guid, &VHDX_REGION_BAT))
            rt->e[i].file_offset = off, rt->e[i].length = len;
    vhdx_region_encode(rt, now);
    struct txn t = { .n = 0 };
    for (int copy = 0; copy < 2; copy++) {
        uint64_t base = copy ? RT2_OFFSET : RT1_OFFSET;
        if (hv_io_pread(w->io, old, RT_SIZE, base, e) != 0)
            goto out;
        for (uint64_t at = 0; at < RT_SIZE; at += LOG_SECTOR)
            if (memcmp(old + at, now + at, LOG_SECTOR) != 0)
                vhdx_txn_add(&t, now, base, at);
    }
    vhdx_dops_set_size_item(w, &t, new_size);
    rc = vhdx_txn_commit(w, &t, e);
    if (rc == 0)
        *w->rt = *rt;
out:
    free(now);
    free(old);
    free(rt);
    return rc;
}

/* Grow with a larger BAT at the end of the file. */
static int grow_moved(struct vhdx_rw *w, const struct vhdx_geom *ng, uint64_t run,
                      struct vhdx_resize_report *rep, struct hv_err *e)
{
    uint64_t len = round_up(ng->total_entries * 8, MiB), at;
    if (len > UINT32_MAX)
        return hv_failx(e, HV_UNSUPPORTED, "BAT", "a BAT of %llu bytes exceeds a region",
                        (unsigned long long)len);
    uint8_t *nb = calloc(1, (size_t)len);
    if (!nb)
        return hv_failx(e, HV_NOMEM, "BAT", "out of memory");
    memcpy(nb, w->bat, (size_t)(w->g.total_entries * 8));
    for (uint64_t i = w->g.total_entries; i < ng->total_entries; i++)
        vhdx_bat_entry_encode(new_entry(w, i, run), nb + i * 8);
    if (extend(w, 0, &at, e) != 0 || hv_io_pwrite(w->io, nb, (size_t)len, at, e) != 0 ||
        hv_io_flush(w->io, e) != 0) { /* the new BAT durable before the tables name it */
        free(nb);
        return -1;
    }
    w->file_size = at + len;
    w->durable_size = w->file_size;
    if (switch_bat(w, at, (uint32_t)len, ng->virtual_size, e) != 0) {
        free(nb);
        return -1;
    }
    free(w->bat);
    w->bat = nb;
    w->bat_r.file_offset = at;
    w->bat_r.length = (uint32_t)len;
    rep->bat_moved = 1;
    return 0;
}

/* Grow inside the existing BAT region: new entries first, size last. */
static int grow_in_place(struct vhdx_rw *w, const struct vhdx_geom *ng, uint64_t run,
                         struct hv_err *e)
{
    struct txn t = { .n = 0 };
    for (uint64_t i = w->g.total_entries; i < ng->total_entries; i++) {
        if (vhdx_txn_full(&t, 2) && vhdx_txn_commit(w, &t, e) != 0)
            return -1;
        vhdx_dops_bat_set(w, &t, i, new_entry(w, i, run));
    }
    vhdx_dops_set_size_item(w, &t, ng->virtual_size);
    return vhdx_txn_commit(w, &t, e);
}

static int grow(struct vhdx_rw *w, const struct vhdx_geom *ng, struct vhdx_resize_report *rep,
                struct hv_err *e)
{
    uint64_t run = 0;
    if (zero_old_tail(w, ng->virtual_size, e) != 0)
        return -1;
    if (w->type == VHDX_TYPE_FIXED) {
        rep->blocks_added = ng->data_blocks - w->g.data_blocks;
        if (extend(w, rep->blocks_added * w->g.block_size, &run, e) != 0)
            return -1;
    }
    if (hv_io_flush(w->io, e) != 0) /* payload durable before the BAT points at it */
        return -1;
    w->durable_size = w->file_size;
    if (ng->total_entries * 8 > w->bat_r.length)
        return grow_moved(w, ng, run, rep, e);
    return grow_in_place(w, ng, run, e);
}

static int shrink(struct vhdx_rw *w, const struct vhdx_geom *ng, struct hv_err *e)
{
    struct txn t = { .n = 0 };
    vhdx_dops_set_size_item(w, &t, ng->virtual_size);
    if (vhdx_txn_commit(w, &t, e) != 0)
        return -1;
    /* entries past the new count are unused now; clear them for a later grow */
    for (uint64_t i = ng->total_entries; i < w->g.total_entries; i++) {
        if (vhdx_txn_full(&t, 1) && vhdx_txn_commit(w, &t, e) != 0)
            return -1;
        if (dops_bat_get(w, i) != 0)
            vhdx_dops_bat_set(w, &t, i, 0);
    }
    return t.n ? vhdx_txn_commit(w, &t, e) : 0;
}

static int trim_file(struct vhdx_rw *w, struct hv_err *e)
{
    uint64_t end = round_up(vhdx_dops_used_end(w), MiB);
    if (end >= w->file_size)
        return 0;
    return vhdx_dops_truncate(w, end, e);
}

static int check_request(struct vhdx_rw *w, uint64_t new_size, struct vhdx_geom *ng,
                         struct hv_err *e)
{
    if (w->broken)
        return hv_failx(e, HV_IO, "log", "an earlier logged change failed; reopen the image");
    if (w->type == VHDX_TYPE_DIFFERENCING)
        return hv_failx(e, HV_UNSUPPORTED, "resize",
                        "a differencing image must keep its parent's size; resize a merged copy");
    struct hv_err ge;
    if (vhdx_bat_geometry(new_size, w->g.block_size, w->g.lss, 0, ng, &ge) != 0)
        return hv_failx(e, HV_USAGE, "resize", "size %llu is not a non-zero multiple of %u up to 64 TiB",
                        (unsigned long long)new_size, w->g.lss);
    return 0;
}

int vhdx_resize_rw(vhdx_rw *w, uint64_t new_size, struct vhdx_resize_report *rep,
                   struct hv_err *e)
{
    struct vhdx_geom ng;
    memset(rep, 0, sizeof *rep);
    rep->old_size = w->g.virtual_size;
    rep->old_file_size = rep->new_file_size = w->file_size;
    rep->bat_offset = w->bat_r.file_offset;
    rep->bat_length = w->bat_r.length;
    if (check_request(w, new_size, &ng, e) != 0)
        return -1;
    rep->new_size = new_size;
    if (new_size < w->g.virtual_size && refuse_if_data(w, new_size, rep, e) != 0)
        return -1;
    if (new_size == w->g.virtual_size)
        return 0;
    if (vhdx_rw_touch_data(w, e) != 0)
        return -1;
    int rc = new_size > w->g.virtual_size ? grow(w, &ng, rep, e) : shrink(w, &ng, e);
    if (rc != 0)
        return -1;
    w->g = ng;
    w->mv.virtual_size = new_size;
    if (trim_file(w, e) != 0)
        return -1;
    rep->new_file_size = w->file_size;
    rep->bat_offset = w->bat_r.file_offset;
    rep->bat_length = w->bat_r.length;
    return 0;
}

/* Refusals decided on a read-only open, so a refused resize leaves every
 * byte of the file as it was (a writable open already updates headers). */
static int range_is_zero(vhdx *img, uint64_t off, uint64_t end, struct hv_err *e)
{
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "resize", "out of memory");
    int rc = 0;
    for (; off < end && rc == 0; off += CHUNK) {
        size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
        if (vhdx_read(img, buf, n, off, e) != 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (buf[i]) {
                rc = hv_failx(e, HV_USAGE, "resize", "virtual byte %llu holds data; shrinking "
                              "would lose it", (unsigned long long)(off + i));
                break;
            }
    }
    free(buf);
    return rc;
}

struct tail_ctx {
    vhdx *img;
    uint64_t from;
    struct hv_err *e;
};

/* Allocated runs past the new end must read as zeros. */
static int tail_cb(const struct vhdx_run *r, void *ctx)
{
    struct tail_ctx *t = ctx;
    uint64_t end = r->voff + r->len;
    if (r->layer < 0 || end <= t->from)
        return 0;
    if (r->state != VHDX_BLOCK_FULLY_PRESENT && r->state != VHDX_BLOCK_PARTIALLY_PRESENT)
        return 0;
    return range_is_zero(t->img, r->voff > t->from ? r->voff : t->from, end, t->e) ? 1 : 0;
}

static int precheck(const char *path, uint64_t new_size, struct hv_err *e)
{
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(path, &o, &img, e) != 0)
        return -1;
    struct vhdx_info info;
    vhdx_get_info(img, &info);
    int rc = 0;
    if (info.type == VHDX_TYPE_DIFFERENCING)
        rc = hv_failx(e, HV_UNSUPPORTED, "resize",
                      "a differencing image must keep its parent's size; resize a merged copy");
    else if (new_size < info.virtual_size) {
        struct tail_ctx t = { img, new_size, e };
        rc = vhdx_map(img, tail_cb, &t, e) != 0 ? -1 : 0;
    }
    vhdx_close(img);
    return rc;
}

int vhdx_resize(const char *path, uint64_t new_size, struct vhdx_resize_report *rep,
                struct hv_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (precheck(path, new_size, e) != 0) {
        hv_err_file(e, path);
        return -1;
    }
    vhdx_rw *w;
    if (vhdx_open_rw(path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_resize_rw(w, new_size, rep, e);
    if (rc != 0)
        hv_err_file(e, path);
    int rc2 = vhdx_close_rw(w, rc == 0 ? e : NULL);
    return rc || rc2 ? -1 : 0;
}
