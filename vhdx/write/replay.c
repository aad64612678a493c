/* replay.c: applying a pending log to the file itself ([MS-VHDX] 2.3.3,
 * docs/vhdx-format.md §10.4, §10.7), for writable opens and `vhdx replay`. The search
 * and the decoding of entries are log.c's (vhdx_log_find_active, vhdx_log_replay into
 * an overlay); this file only writes the overlay's pages out, in log order,
 * and extends the file to the head's LastFileOffset. Replay is idempotent. */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

static int cmp_order(const void *a, const void *b)
{
    const struct ov_op *x = *(const struct ov_op *const *)a, *y = *(const struct ov_op *const *)b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Writes every overlay operation in the order the log lists them, so a later
 * descriptor wins over an earlier one exactly as in the in-memory replay. */
static int apply_overlay(struct hv_io *io, const struct vhdx_overlay *ov, struct hv_err *e)
{
    size_t n = ov->n + ov->nz;
    const struct ov_op **all = malloc((n ? n : 1) * sizeof *all);
    uint8_t *zeros = calloc(1, MiB);
    int rc = 0;
    if (!all || !zeros) {
        free(all);
        free(zeros);
        return hv_failx(e, HV_NOMEM, "log", "out of memory");
    }
    for (size_t i = 0; i < ov->n; i++)
        all[i] = &ov->ops[i];
    for (size_t i = 0; i < ov->nz; i++)
        all[ov->n + i] = &ov->zeros[i];
    qsort(all, n, sizeof *all, cmp_order);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct ov_op *op = all[i];
        if (op->data) {
            rc = hv_io_pwrite(io, op->data, (size_t)op->len, op->off, e);
            continue;
        }
        for (uint64_t at = 0; at < op->len && rc == 0; at += MiB) {
            uint64_t k = op->len - at < MiB ? op->len - at : MiB;
            rc = hv_io_pwrite(io, zeros, (size_t)k, op->off + at, e);
        }
    }
    free(all);
    free(zeros);
    return rc;
}

static int read_log(struct hv_io *io, const struct vhdx_header *h, uint8_t **buf, struct hv_err *e)
{
    *buf = malloc(h->log_length ? h->log_length : 1);
    if (!*buf)
        return hv_failx(e, HV_NOMEM, "log", "out of memory");
    if (hv_io_pread(io, *buf, h->log_length, h->log_offset, e) != 0) {
        free(*buf);
        return -1;
    }
    return 0;
}

static void report(const struct vhdx_log_scan *scan, const struct vhdx_overlay *ov, uint64_t size,
                   struct vhdx_replay_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->pending = scan->found;
    rep->entries = scan->entries;
    rep->data_sectors = (uint32_t)ov->n;
    for (size_t i = 0; i < ov->nz; i++)
        rep->zero_bytes += ov->zeros[i].len;
    if (scan->head.last_file_offset > size)
        rep->grow_to = scan->head.last_file_offset;
}

int vhdx_replay_ondisk(struct hv_io *io, const struct vhdx_header *h, int dry_run,
                  struct vhdx_replay_report *rep, struct hv_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (hv_guid_is_zero(&h->log_guid))
        return 0;
    uint8_t *log;
    uint64_t size;
    if (hv_io_size(io, &size, e) != 0 || read_log(io, h, &log, e) != 0)
        return -1;
    struct hv_span s = hv_span_make(log, h->log_length, h->log_offset);
    struct vhdx_log_scan scan;
    struct vhdx_overlay ov;
    memset(&ov, 0, sizeof ov);
    int rc = vhdx_log_find_active(s, &h->log_guid, &scan, e);
    if (rc == 0 && scan.found && size < scan.head.flushed_file_offset)
        rc = hv_fail(e, HV_CORRUPT, "log", h->log_offset,
                     "file is %llu bytes, shorter than the log's flushed size %llu (truncated)",
                     (unsigned long long)size, (unsigned long long)scan.head.flushed_file_offset);
    if (rc == 0 && scan.found)
        rc = vhdx_log_replay(s, &h->log_guid, &scan, &ov, e);
    if (rc == 0)
        report(&scan, &ov, size, rep);
    if (rc == 0 && scan.found && !dry_run) {
        rc = apply_overlay(io, &ov, e);
        if (rc == 0 && rep->grow_to)
            rc = hv_io_truncate(io, rep->grow_to, e);
        if (rc == 0)
            rc = hv_io_flush(io, e);
    }
    vhdx_ov_free(&ov);
    free(log);
    return rc;
}

int vhdx_replay(const char *path, int dry_run, struct vhdx_replay_report *rep, struct hv_err *e)
{
    /* What is pending comes from the reader's own search (in-memory replay). */
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    struct vhdx_info info;
    if (vhdx_open(path, &o, &img, e) != 0)
        return -1;
    vhdx_get_info(img, &info);
    vhdx_close(img);
    memset(rep, 0, sizeof *rep);
    rep->pending = info.log.pending;
    rep->entries = info.log.entries;
    rep->data_sectors = info.log.data_descriptors;
    rep->zero_bytes = info.log.zero_bytes;
    rep->grow_to = info.log.file_growth ? info.log.last_file_offset : 0;
    if (!rep->pending || dry_run)
        return 0; /* nothing to do: a second replay writes nothing */
    /* A writable open replays with a fresh FileWriteGuid; close clears LogGuid. */
    vhdx_rw *w;
    if (vhdx_open_rw(path, NULL, &w, e) != 0)
        return -1;
    return vhdx_close_rw(w, e);
}
