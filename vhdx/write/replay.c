/* replay.c: applying a pending log to the file itself ([MS-VHDX] 2.3.3,
 * docs/vhdx-format.md §10.4, §10.7), for writable opens and `vhdx replay`. What is
 * pending is the reader's own finding: its search and in-memory replay
 * (log.c) validate every entry, and the writable open writes the flattened
 * overlay out (each byte once, as log order leaves it) and extends the file
 * to the head's LastFileOffset. Replay is idempotent. */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

/* Writes the overlay's final content (its flattened segments): the same
 * bytes as applying every descriptor in log order, each byte written once. */
int vhdx_apply_overlay(struct hv_io *io, const struct vhdx_overlay *ov, struct hv_err *e)
{
    uint8_t *zeros = calloc(1, MiB);
    int rc = 0;
    if (!zeros)
        return hv_failx(e, HV_NOMEM, "log", "out of memory");
    for (size_t i = 0; i < ov->nseg && rc == 0; i++) {
        const struct ov_seg *g = &ov->seg[i];
        if (g->data) {
            rc = hv_io_pwrite(io, g->data, (size_t)g->len, g->off, e);
            continue;
        }
        for (uint64_t at = 0; at < g->len && rc == 0; at += MiB) {
            uint64_t k = g->len - at < MiB ? g->len - at : MiB;
            rc = hv_io_pwrite(io, zeros, (size_t)k, g->off + at, e);
        }
    }
    free(zeros);
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
