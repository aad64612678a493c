/* writer.c: producing spec-valid logs (docs/hrl-format.md §11).
 *
 *   0x0000 header (EOLLocation 0 while open; rewritten by close)
 *   0x1000 [empty block, optional, as Hyper-V writes it]
 *          [payload 1][payload 2]...[payload n][block: n entries] ...
 *   EOL    = end of the last block
 *
 * Payloads go to the file as they arrive; only the pending block (one
 * MetadataSize buffer) is held in memory. All writes go through hv_io; the
 * caller creates the file under a temporary name and renames it after close.
 */
#include <stdlib.h>
#include <string.h>

#include "hrl_impl.h"

struct hrl_writer {
    struct hv_io *io;
    struct hrl_header hdr;
    uint32_t ms, cap;
    int data_checksum;
    int deterministic;
    uint64_t pos;        /* where the next payload or block goes */
    uint64_t prev_block; /* offset of the last written block */
    int have_block;
    uint8_t *block;      /* the pending block: header slot + entries */
    uint32_t n;          /* pending entries */
    uint32_t last_time;
};

static int write_block(struct hrl_writer *w, struct hv_err *err)
{
    hrl_mb_encode(w->block, w->have_block ? w->pos - w->prev_block : 0, w->n);
    if (hv_io_pwrite(w->io, w->block, w->ms, w->pos, err))
        return -1;
    w->prev_block = w->pos;
    w->have_block = 1;
    w->pos += w->ms;
    w->hdr.total_entries += w->n;
    w->n = 0;
    memset(w->block, 0, w->ms); /* unused slots are zero, as Hyper-V leaves them */
    return 0;
}

int hrl_writer_open_io(struct hv_io *io, const struct hrl_writer_opts *opts, hrl_writer **out,
                       struct hv_err *err)
{
    struct hrl_writer_opts o = { 0 };
    if (opts)
        o = *opts;
    if (!o.metadata_size)
        o.metadata_size = 4096;
    if (o.metadata_size < 64 || o.metadata_size % 32 || o.metadata_size > (16u << 20)) {
        hv_io_close(io);
        return hv_failx(err, HV_USAGE, "header", "metadata size %u, must be a multiple of 32 "
                        "from 64 to 16 MiB", o.metadata_size);
    }
    struct hrl_writer *w = calloc(1, sizeof *w);
    uint8_t *block = calloc(1, o.metadata_size > HRL_HEADER_SIZE ? o.metadata_size : HRL_HEADER_SIZE);
    if (!w || !block) {
        free(w);
        free(block);
        hv_io_close(io);
        return hv_failx(err, HV_NOMEM, "open", "out of memory");
    }
    w->io = io;
    w->block = block;
    w->ms = o.metadata_size;
    w->cap = (o.metadata_size - HRL_MB_HEADER_SIZE) / HRL_ENTRY_SIZE;
    w->data_checksum = !o.no_data_checksum;
    w->deterministic = o.created != 0;
    struct hrl_header *h = &w->hdr;
    memcpy(h->cookie, "msctlog", 8); /* 8th byte NUL: C-string reading of the cookie */
    h->version = 0x00020000;        /* writers MUST use version 2 */
    h->timestamp = o.created ? o.created : hrl_time_now();
    memcpy(h->creator_app, "ct\0\0", 4);
    h->creator_version = o.creator_version ? o.creator_version : 0x000A0000;
    h->metadata_size = o.metadata_size;
    h->unique_id = o.unique_id;
    if (hv_guid_is_zero(&h->unique_id))
        hv_guid_random(&h->unique_id);
    h->previous_unique_id = o.previous_unique_id;
    h->vhd2_guid = o.vhd2_guid;
    h->current_size = HRL_HEADER_SIZE;
    h->last_modified = h->timestamp;
    w->last_time = h->timestamp;
    w->pos = HRL_HEADER_SIZE;
    hrl_header_encode(h, w->block);
    int rc = hv_io_pwrite(io, w->block, HRL_HEADER_SIZE, 0, err);
    memset(w->block, 0, w->ms);
    if (rc == 0 && o.empty_first_block)
        rc = write_block(w, err);
    if (rc) {
        hrl_writer_abort(w);
        return -1;
    }
    *out = w;
    return 0;
}

int hrl_writer_create(const char *path, const struct hrl_writer_opts *opts, hrl_writer **out,
                      struct hv_err *err)
{
    struct hv_io *io;
    if (hv_io_open_file(path, HV_IO_CREATE, &io, err))
        return -1;
    int rc = hrl_writer_open_io(io, opts, out, err);
    if (rc) /* on success err stays clean: later errors name their own file */
        hv_err_file(err, path);
    return rc;
}

int hrl_writer_add(hrl_writer *w, uint64_t disk_offset, const void *data, uint32_t len,
                   uint32_t time, struct hv_err *err)
{
    /* The reader refuses a range that wraps past 2^64 (entry-range): never write one. */
    if (len > UINT64_MAX - disk_offset)
        return hv_failx(err, HV_USAGE, "log entry",
                        "disk range 0x%llx + %u bytes wraps past 2^64",
                        (unsigned long long)disk_offset, len);
    if (len && hv_io_pwrite(w->io, data, len, w->pos, err))
        return -1;
    w->pos += len;
    uint32_t dc = w->data_checksum ? hrl_checksum(data, len, HRL_NO_SKIP) : 0;
    hrl_me_encode(w->block + HRL_MB_HEADER_SIZE + (size_t)w->n * HRL_ENTRY_SIZE, disk_offset, len,
                  time, dc);
    if (time > w->last_time)
        w->last_time = time;
    if (++w->n == w->cap)
        return write_block(w, err);
    return 0;
}

int hrl_writer_flush(hrl_writer *w, struct hv_err *err)
{
    return w->n ? write_block(w, err) : 0;
}

int hrl_writer_close(hrl_writer *w, struct hv_guid *unique_id, struct hv_err *err)
{
    int rc = -1;
    /* A log always ends with a block, so an empty log gets one empty block. */
    if (hrl_writer_flush(w, err) || (!w->have_block && write_block(w, err)))
        goto out;
    if (hv_io_flush(w->io, err)) /* payloads and blocks durable before the header says so */
        goto out;
    struct hrl_header *h = &w->hdr;
    h->eol = w->pos;
    h->current_size = w->pos;
    h->last_modified = w->deterministic ? w->last_time : hrl_time_now();
    if (h->last_modified < h->timestamp)
        h->last_modified = h->timestamp;
    uint8_t *buf = calloc(1, HRL_HEADER_SIZE);
    if (!buf) {
        hv_failx(err, HV_NOMEM, "header", "out of memory");
        goto out;
    }
    hrl_header_encode(h, buf);
    rc = hv_io_pwrite(w->io, buf, HRL_HEADER_SIZE, 0, err);
    free(buf);
    if (rc == 0)
        rc = hv_io_flush(w->io, err);
    if (rc == 0 && unique_id)
        *unique_id = h->unique_id;
out:
    hrl_writer_abort(w);
    return rc;
}

void hrl_writer_abort(hrl_writer *w)
{
    if (!w)
        return;
    hv_io_close(w->io);
    free(w->block);
    free(w);
}
