/* rwopen.c: opening and closing an image for in-place writes, in the order
 * of [MS-VHDX] 2.2.2.1 / docs/vhdx-format.md §11.1-§11.2 and §11.8:
 *
 *   reader's complete validation (vhdx_open_layer_io: headers, log and its
 *   in-memory replay, region table, metadata, extents, BAT scan) -> refuse
 *   on any error, before a single byte is written
 *   -> header update (new FileWriteGuid) -> write the reader's replayed log
 *   to the file -> header update (new LogGuid) -> initialisation entry ...
 *   writes ... -> flush -> header update (LogGuid = 0) on clean close.
 *
 * With no pending log the first two header updates are one. The writer never
 * parses the file itself: it takes the reader's validated state (one parser,
 * one set of rules); all I/O goes through the handle's hv_io.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhdx_internal.h"
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

/* Copies what the writer keeps from the reader's validated layer: headers,
 * region table, the metadata region and the BAT as replayed. */
static int take_state(struct vhdx_rw *w, const struct vhdx *img, struct hv_err *e)
{
    w->hdr[0] = img->hdr[0];
    w->hdr[1] = img->hdr[1];
    w->cur = img->cur;
    w->rt_copy = img->rt_copy;
    w->bat_r = img->bat_region;
    w->meta_r = img->meta_region;
    w->mv = img->mv;
    w->g = img->g;
    w->type = img->type;
    w->rt = malloc(sizeof *w->rt);
    w->mt = malloc(sizeof *w->mt);
    /* Region-length copies (the metadata region is capped in layout.h): a
     * resize grows the BAT inside its region, so all of it is kept. */
    w->meta = malloc(w->meta_r.length);
    w->bat_len = w->bat_r.length;
    w->bat = malloc(w->bat_len ? (size_t)w->bat_len : 1);
    if (!w->rt || !w->mt || !w->meta || !w->bat)
        return hv_failx(e, HV_NOMEM, "open", "out of memory");
    *w->rt = img->rt;
    *w->mt = img->mt;
    vhdx_ov_read(&img->ov, img->file, w->meta_r.file_offset, w->meta_r.length, w->meta);
    vhdx_ov_read(&img->ov, img->file, w->bat_r.file_offset, w->bat_len, w->bat);
    /* New blocks go past every structure, even ones placed beyond the end of
     * the file (a log or an optional region there must never be overwritten). */
    const struct vhdx_header *h = &w->hdr[w->cur];
    uint64_t floor = h->log_offset + h->log_length;
    for (uint32_t i = 0; i < w->rt->count; i++) {
        uint64_t end = w->rt->e[i].file_offset + w->rt->e[i].length;
        if (end > floor)
            floor = end;
    }
    w->alloc_floor = round_up(floor, MiB);
    return 0;
}

/* What only a writer needs, refused before anything is written. */
static int writer_checks(const struct vhdx_rw *w, struct hv_err *e)
{
    const struct vhdx_header *h = &w->hdr[w->cur];
    uint64_t hoff = w->cur ? HDR2_OFFSET : HDR1_OFFSET;
    if (h->log_length < MiB || h->log_offset < MiB)
        return hv_fail(e, HV_UNSUPPORTED, "log", hoff + HDR_OFF_LOG_LENGTH,
                       "log of %u bytes too small to write", h->log_length);
    return 0;
}

static int start_log(struct vhdx_rw *w, const struct vhdx_header *want_in, int new_guid,
                     struct hv_err *e)
{
    struct vhdx_header want = *want_in;
    /* A log placed past the end of the file: extend the file over it first so
     * the size every entry records (LastFileOffset) is the real one. */
    uint64_t log_end = want.log_offset + want.log_length;
    if (log_end > w->file_size) {
        if (hv_io_truncate(w->io, log_end, e) != 0)
            return -1;
        w->file_size = log_end;
    }
    if (new_guid) {
        hv_guid_random(&want.log_guid);
        if (vhdx_rw_header_update(w, &want, e) != 0)
            return -1;
    }
    w->log = (struct logw){ .io = w->io, .log_off = want.log_offset, .log_len = want.log_length,
                            .guid = want.log_guid, .file_size = &w->file_size,
                            .durable_size = &w->durable_size };
    return vhdx_logw_start(&w->log, e);
}

/* Writes the reader's replayed log to the file and grows it to the head
 * entry's LastFileOffset (validated by the reader), then flushes. */
static int replay_to_disk(struct vhdx_rw *w, const struct vhdx *img, struct hv_err *e)
{
    if (vhdx_apply_overlay(w->io, &img->ov, e) != 0 || hv_io_size(w->io, &w->file_size, e) != 0)
        return -1;
    if (img->logical_size > w->file_size) {
        if (hv_io_truncate(w->io, img->logical_size, e) != 0)
            return -1;
        w->file_size = img->logical_size;
    }
    if (hv_io_flush(w->io, e) != 0)
        return -1;
    w->durable_size = w->file_size;
    return 0;
}

/* Everything after the io is open. */
static int rw_setup(struct vhdx_rw *w, struct hv_err *e)
{
    struct vhdx *img;
    if (vhdx_open_layer_io(w->io, w->path, VHDX_OPEN_NO_PARENT, &img, e) != 0)
        return -1;
    int rc = take_state(w, img, e);
    if (rc == 0)
        rc = writer_checks(w, e);
    if (rc == 0)
        rc = hv_io_size(w->io, &w->file_size, e);
    if (rc != 0) {
        vhdx_free_layer(img);
        return -1;
    }
    /* Validated: from here on the file is written. */
    w->durable_size = w->file_size;
    struct vhdx_header want = w->hdr[w->cur];
    hv_guid_random(&want.file_write_guid);
    int pending = img->loginfo.pending;
    if (!pending)
        hv_guid_random(&want.log_guid); /* FileWriteGuid and LogGuid in one update */
    rc = vhdx_rw_header_update(w, &want, e);
    if (rc == 0 && pending)
        rc = replay_to_disk(w, img, e);
    vhdx_free_layer(img);
    if (rc != 0)
        return -1;
    return start_log(w, &w->hdr[w->cur], pending, e);
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
