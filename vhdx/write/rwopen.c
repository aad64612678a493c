/* rwopen.c: opening and closing an image for in-place writes, in the order
 * of [MS-VHDX] 2.2.2.1 / docs/vhdx-format.md §11.1-§11.2 and §11.8:
 *
 *   read headers -> header update (new FileWriteGuid) -> replay pending log
 *   -> parse region table, metadata, BAT -> header update (new LogGuid)
 *   -> initialisation entry ... writes ... -> flush -> header update
 *   (LogGuid = 0) on clean close.
 *
 * With no pending log the first two header updates are one. All parsing is
 * the reader's (layout.h); all I/O goes through the handle's hv_io.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

int vhdx_rw_header_update(struct vhdx_rw *w, const struct vhdx_header *want, struct hv_err *e)
{
    uint8_t buf[HDR_SIZE];
    for (int i = 0; i < 2; i++) { /* twice: both slots end up current-equal */
        struct vhdx_header h = *want;
        h.seq = w->hdr[w->cur].seq + 1;
        int slot = 1 - w->cur;
        vhdx_header_encode(&h, buf);
        if (hv_io_pwrite(w->io, buf, HDR_SIZE, slot ? HDR2_OFFSET : HDR1_OFFSET, e) != 0 ||
            hv_io_flush(w->io, e) != 0)
            return -1;
        w->durable_size = w->file_size;
        w->hdr[slot] = h;
        w->cur = slot;
    }
    return 0;
}

int vhdx_rw_touch_data(struct vhdx_rw *w, struct hv_err *e)
{
    if (w->data_guid_done)
        return 0;
    struct vhdx_header want = w->hdr[w->cur];
    if (w->have_next_data_guid)
        want.data_write_guid = w->next_data_guid;
    else
        hv_guid_random(&want.data_write_guid);
    if (vhdx_rw_header_update(w, &want, e) != 0)
        return -1;
    w->data_guid_done = 1;
    return 0;
}

/* File identifier and both headers; selects the current one. */
static int read_headers(struct vhdx_rw *w, struct hv_err *e)
{
    uint8_t *area = malloc(RT1_OFFSET);
    if (!area)
        return hv_failx(e, HV_NOMEM, "header", "out of memory");
    int rc = hv_io_pread(w->io, area, RT1_OFFSET, 0, e);
    struct vhdx_fti fti;
    if (rc == 0)
        rc = vhdx_fti_parse(hv_span_make(area, FTI_SIZE, 0), &fti, e);
    int valid[2] = { 0, 0 };
    for (int i = 0; rc == 0 && i < 2; i++) {
        uint64_t off = i ? HDR2_OFFSET : HDR1_OFFSET;
        valid[i] = vhdx_header_parse(hv_span_make(area + off, HDR_SIZE, off), &w->hdr[i], NULL) == 0;
    }
    free(area);
    if (rc != 0)
        return -1;
    int tie;
    w->cur = vhdx_header_select(w->hdr, valid, &tie);
    if (w->cur < 0)
        return hv_fail(e, HV_CORRUPT, "header", HDR1_OFFSET, "no valid header");
    return 0;
}

static int read_regions(struct vhdx_rw *w, struct hv_err *e)
{
    uint8_t *buf = malloc(RT_SIZE);
    w->rt = calloc(1, sizeof *w->rt);
    if (!buf || !w->rt) {
        free(buf);
        return hv_failx(e, HV_NOMEM, "region table", "out of memory");
    }
    int rc = -1;
    for (int copy = 0; copy < 2 && rc != 0; copy++) {
        uint64_t off = copy ? RT2_OFFSET : RT1_OFFSET;
        rc = hv_io_pread(w->io, buf, RT_SIZE, off, e);
        if (rc == 0)
            rc = vhdx_region_parse(hv_span_make(buf, RT_SIZE, off), w->rt, e);
        w->rt_copy = copy;
    }
    free(buf);
    if (rc != 0)
        return -1;
    int have = 0;
    for (uint32_t i = 0; i < w->rt->count; i++) {
        const struct vhdx_region *r = &w->rt->e[i];
        if (hv_guid_eq(&r->guid, &VHDX_REGION_BAT))
            w->bat_r = *r, have |= 1;
        else if (hv_guid_eq(&r->guid, &VHDX_REGION_METADATA))
            w->meta_r = *r, have |= 2;
        else if (r->required & 1)
            return hv_fail(e, HV_UNSUPPORTED, "region table", RT1_OFFSET, "unknown required region");
    }
    if (have != 3)
        return hv_fail(e, HV_CORRUPT, "region table", RT1_OFFSET, "BAT or metadata region missing");
    return 0;
}

static int read_region_bytes(struct vhdx_rw *w, const struct vhdx_region *r, uint8_t **out,
                             const char *what, struct hv_err *e)
{
    *out = malloc(r->length ? r->length : 1);
    if (!*out)
        return hv_failx(e, HV_NOMEM, what, "out of memory");
    return hv_io_pread(w->io, *out, r->length, r->file_offset, e);
}

static int read_metadata_and_bat(struct vhdx_rw *w, struct hv_err *e)
{
    w->mt = calloc(1, sizeof *w->mt);
    if (!w->mt)
        return hv_failx(e, HV_NOMEM, "metadata table", "out of memory");
    if (read_region_bytes(w, &w->meta_r, &w->meta, "metadata table", e) != 0)
        return -1;
    struct hv_span ms = hv_span_make(w->meta, w->meta_r.length, w->meta_r.file_offset);
    if (vhdx_metadata_table_parse(ms, w->mt, e) || vhdx_metadata_values_parse(ms, w->mt, &w->mv, e))
        return -1;
    int diff = (w->mv.fp_flags & FP_HAS_PARENT) != 0;
    w->type = diff ? VHDX_TYPE_DIFFERENCING
                   : (w->mv.fp_flags & FP_LEAVE_BLOCK_ALLOCATED) ? VHDX_TYPE_FIXED : VHDX_TYPE_DYNAMIC;
    if (vhdx_bat_geometry(w->mv.virtual_size, w->mv.block_size, w->mv.logical_sector_size, diff, &w->g, e))
        return -1;
    if ((uint64_t)w->bat_r.length < w->g.total_entries * 8)
        return hv_fail(e, HV_CORRUPT, "BAT", w->bat_r.file_offset, "region too small for %llu entries",
                       (unsigned long long)w->g.total_entries);
    return read_region_bytes(w, &w->bat_r, &w->bat, "BAT", e);
}

static int start_log(struct vhdx_rw *w, const struct vhdx_header *want_in, struct hv_err *e)
{
    struct vhdx_header want = *want_in;
    if (want.log_length < MiB || want.log_offset < MiB)
        return hv_fail(e, HV_UNSUPPORTED, "log", HDR1_OFFSET, "log of %u bytes too small to write",
                       want.log_length);
    hv_guid_random(&want.log_guid);
    if (vhdx_rw_header_update(w, &want, e) != 0)
        return -1;
    w->log = (struct logw){ .io = w->io, .log_off = want.log_offset, .log_len = want.log_length,
                            .guid = want.log_guid, .file_size = &w->file_size,
                            .durable_size = &w->durable_size };
    return vhdx_logw_start(&w->log, e);
}

/* Everything after the io is open. */
static int rw_setup(struct vhdx_rw *w, struct hv_err *e)
{
    if (read_headers(w, e) != 0 || hv_io_size(w->io, &w->file_size, e) != 0)
        return -1;
    w->durable_size = w->file_size;
    struct vhdx_header want = w->hdr[w->cur];
    hv_guid_random(&want.file_write_guid);
    int pending = !hv_guid_is_zero(&want.log_guid);
    if (!pending)
        hv_guid_random(&want.log_guid); /* FileWriteGuid and LogGuid in one update */
    if (vhdx_rw_header_update(w, &want, e) != 0)
        return -1;
    if (pending) {
        struct vhdx_replay_report rep;
        if (vhdx_replay_ondisk(w->io, &w->hdr[w->cur], 0, &rep, e) != 0 ||
            hv_io_size(w->io, &w->file_size, e) != 0)
            return -1;
        w->durable_size = w->file_size;
    }
    if (read_regions(w, e) || read_metadata_and_bat(w, e))
        return -1;
    if (pending)
        return start_log(w, &w->hdr[w->cur], e);
    w->log = (struct logw){ .io = w->io, .log_off = want.log_offset, .log_len = want.log_length,
                            .guid = want.log_guid, .file_size = &w->file_size,
                            .durable_size = &w->durable_size };
    if (want.log_length < MiB)
        return hv_fail(e, HV_UNSUPPORTED, "log", HDR1_OFFSET, "log of %u bytes too small to write",
                       want.log_length);
    return vhdx_logw_start(&w->log, e);
}

static void rw_free(struct vhdx_rw *w)
{
    if (!w)
        return;
    if (w->own_io)
        hv_io_close(w->io);
    for (size_t i = 0; i < w->nsbc; i++)
        free(w->sbc[i].buf);
    free(w->sbc);
    free(w->bat);
    free(w->meta);
    free(w->mt);
    free(w->rt);
    free(w);
}

int vhdx_open_rw_io(struct hv_io *io, const char *path, const struct vhdx_open_opts *opts,
                    vhdx_rw **out, struct hv_err *e)
{
    (void)opts; /* sector-aligned writes never need parent data */
    struct vhdx_rw *w = calloc(1, sizeof *w);
    if (!w)
        return hv_failx(e, HV_NOMEM, "open", "out of memory");
    w->io = io;
    snprintf(w->path, sizeof w->path, "%s", path ? path : io->path);
    if (rw_setup(w, e) != 0) {
        hv_err_file(e, w->path);
        rw_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int vhdx_open_rw(const char *path, const struct vhdx_open_opts *opts, vhdx_rw **out,
                 struct hv_err *e)
{
    struct hv_io *io;
    if (hv_io_open_file(path, HV_IO_WRITE, &io, e) != 0)
        return -1;
    /* one writer per file: a second hvkit process fails here, not mid-log */
    if (hv_io_lock(io, e) != 0 || vhdx_open_rw_io(io, path, opts, out, e) != 0) {
        hv_err_file(e, path);
        hv_io_close(io);
        return -1;
    }
    (*out)->own_io = 1;
    return 0;
}

int vhdx_open_rw_fd(int fd, const char *path, const struct vhdx_open_opts *opts, vhdx_rw **out,
                    struct hv_err *e)
{
    struct hv_io *io;
    if (hv_io_from_fd(fd, path, &io, e) != 0)
        return -1;
    if (vhdx_open_rw_io(io, path, opts, out, e) != 0) {
        hv_io_close(io);
        return -1;
    }
    (*out)->own_io = 1;
    return 0;
}

uint64_t vhdx_rw_virtual_size(const vhdx_rw *w)
{
    return w->g.virtual_size;
}

int vhdx_flush(vhdx_rw *w, struct hv_err *e)
{
    if (hv_io_flush(w->io, e) != 0)
        return -1;
    w->durable_size = w->file_size;
    w->dirty = 0;
    return 0;
}

int vhdx_close_rw(vhdx_rw *w, struct hv_err *e)
{
    if (!w)
        return 0;
    int rc = vhdx_flush(w, e);
    if (rc == 0) { /* every entry is applied and flushed: the log is clean */
        struct vhdx_header want = w->hdr[w->cur];
        memset(&want.log_guid, 0, sizeof want.log_guid);
        rc = vhdx_rw_header_update(w, &want, e);
    }
    if (rc != 0)
        hv_err_file(e, w->path);
    rw_free(w);
    return rc;
}
