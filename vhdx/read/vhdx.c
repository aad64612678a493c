/* vhdx.c: the handle: open one layer ([MS-VHDX] 2.2-2.6 in the order 2.3.3
 * demands: identifier, headers, log replay, then regions, metadata, BAT),
 * read and map the virtual disk through the chain, and report info.
 *
 *   open: map --> file id --> header 1/2 --> log (overlay) --> region table
 *         --> metadata --> BAT view --> SB copies --> [chain.c: parents]
 *   read/map: resolve(voff,len) --> segments {state, layer, file_off} -->
 *             copy from that layer's mapping / zeros / recurse to the parent
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhdx_internal.h"

void vhdx_note(struct vhdx *img, int severity, enum hv_code code, const char *what, uint64_t off,
               const char *fmt, ...)
{
    if (img->nnotes == img->capnotes) {
        size_t nc = img->capnotes ? img->capnotes * 2 : 8;
        struct vhdx_note *p = realloc(img->notes, nc * sizeof *p);
        if (!p)
            return; /* a lost note must not fail the open */
        img->notes = p;
        img->capnotes = nc;
    }
    struct vhdx_note *n = &img->notes[img->nnotes++];
    n->what = what;
    n->offset = off;
    n->code = code;
    n->severity = severity;
    char raw[sizeof n->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    hv_text_escape(raw, n->msg, sizeof n->msg); /* notes quote file contents */
}

/* Canonical names live for the program's life; map e->what onto one. */
const char *vhdx_canon_what(const char *w)
{
    static const char *const names[] = { "file identifier", "header", "region table",
                                          "metadata table", "metadata item", "parent locator",
                                          "BAT", "sector bitmap", "log entry", "log",
                                          "parent chain" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strncmp(w, names[i], strlen(names[i])))
            return names[i];
    return "file";
}

void vhdx_note_err(struct vhdx *img, int severity, const struct hv_err *e)
{
    vhdx_note(img, severity, e->code, vhdx_canon_what(e->what), e->offset, "%s", e->msg);
}

/* A view of file bytes [off, off+len) as replayed: straight from the mapping
 * when the log does not touch them, else a heap copy. */
static int view(struct vhdx *img, uint64_t off, uint64_t len, const char *what, uint64_t what_off,
                struct hv_span *out, uint8_t **owned, struct hv_err *e);

/* Like view(), but bytes that can only read as zeros (past the real end of
 * file and past the last page the log writes) are left out: *out may be
 * shorter than len. Keeps a structure placed past the end of the file from
 * costing memory in proportion to its declared size. */
static int view_short(struct vhdx *img, uint64_t off, uint64_t len, const char *what,
                      uint64_t what_off, struct hv_span *out, uint8_t **owned, struct hv_err *e)
{
    uint64_t end, known = img->file.len > img->ov.data_end ? img->file.len : img->ov.data_end;
    if (!hv_add_overflows(off, len, &end) && end <= img->logical_size && end > known)
        len = off < known ? known - off : 0;
    return view(img, off, len, what, what_off, out, owned, e);
}

static int view(struct vhdx *img, uint64_t off, uint64_t len, const char *what, uint64_t what_off,
                struct hv_span *out, uint8_t **owned, struct hv_err *e)
{
    uint64_t end;
    *owned = NULL;
    if (hv_add_overflows(off, len, &end) || end > img->logical_size)
        return hv_fail(e, HV_CORRUPT, what, off < img->logical_size ? img->logical_size : what_off,
                       "0x%llx+0x%llx extends beyond the end of the file (0x%llx bytes)",
                       (unsigned long long)off, (unsigned long long)len,
                       (unsigned long long)img->logical_size);
    if (end <= img->file.len && !vhdx_ov_intersects(&img->ov, off, len)) {
        span_sub(img->file, off, len, out);
        return 0;
    }
    uint8_t *buf = malloc(len ? (size_t)len : 1);
    if (!buf)
        return hv_failx(e, HV_NOMEM, what, "out of memory for %llu bytes", (unsigned long long)len);
    vhdx_ov_read(&img->ov, img->file, off, len, buf);
    *out = hv_span_make(buf, (size_t)len, off);
    *owned = buf;
    return 0;
}

static int open_headers(struct vhdx *img, struct hv_err *e)
{
    struct hv_err he[2];
    for (int i = 0; i < 2; i++) {
        struct hv_span s;
        hv_err_clear(&he[i]);
        uint64_t at = i ? HDR2_OFFSET : HDR1_OFFSET;
        if (span_sub(img->file, at, HDR_SIZE, &s))
            hv_fail(&he[i], HV_CORRUPT, "header", img->file.len > at ? img->file.len : at,
                    "truncated: file is %zu bytes", img->file.len);
        else
            img->hdr_valid[i] = vhdx_header_parse(s, &img->hdr[i], &he[i]) == 0;
        if (!img->hdr_valid[i])
            vhdx_note_err(img, VHDX_ERROR, &he[i]);
    }
    int tie;
    img->cur = vhdx_header_select(img->hdr, img->hdr_valid, &tie);
    if (img->cur < 0) {
        /* Blame the header that would have been current (the newer one whose
         * checksum held), and mention the other. */
        int k = img->hdr[1].seq > img->hdr[0].seq ? 1 : 0;
        return hv_fail(e, he[k].code, "header", he[k].offset,
                       "no valid header: %.200s (header %d at 0x%x: %.200s)", he[k].msg, 2 - k,
                       k ? HDR1_OFFSET : HDR2_OFFSET, he[1 - k].msg);
    }
    if (tie && memcmp(img->file.p + HDR1_OFFSET, img->file.p + HDR2_OFFSET, HDR_SIZE))
        vhdx_note(img, VHDX_WARNING, HV_CORRUPT, "header", HDR1_OFFSET + HDR_OFF_SEQ,
                  "both headers valid with sequence number %llu but different contents; using header 1",
                  (unsigned long long)img->hdr[0].seq);
    return 0;
}

static int open_log(struct vhdx *img, struct hv_err *e)
{
    const struct vhdx_header *h = &img->hdr[img->cur];
    uint64_t hoff = img->cur ? HDR2_OFFSET : HDR1_OFFSET;
    struct vhdx_log_info *li = &img->loginfo;
    li->log_offset = h->log_offset;
    li->log_length = h->log_length;
    /* Placement rules hold whatever LogGuid says: a writer will use this log. */
    if (h->log_length > VHDX_LOG_MAX_LEN)
        return hv_fail(e, HV_CORRUPT, "log", hoff + HDR_OFF_LOG_LENGTH,
                       "log length %u above the %u bytes hvkit accepts (docs/limits.md)",
                       h->log_length, (unsigned)VHDX_LOG_MAX_LEN);
    if (hv_guid_is_zero(&h->log_guid))
        return 0;
    li->guid_set = 1;
    struct hv_span log;
    if (span_sub(img->file, h->log_offset, h->log_length, &log))
        return hv_fail(e, HV_CORRUPT, "log",
                       h->log_offset < img->file.len ? img->file.len : hoff + HDR_OFF_LOG_OFFSET,
                       "log 0x%llx+0x%x extends beyond the end of the file (0x%zx bytes)",
                       (unsigned long long)h->log_offset, h->log_length, img->file.len);
    if (vhdx_log_find_active(log, &h->log_guid, &img->log, e))
        return -1;
    li->stale_entries = img->log.stale;
    if (!img->log.found) {
        /* The spec calls this corrupt, but a writer that crashes between
         * installing a new LogGuid and flushing its first entry leaves exactly
         * this state, with nothing to replay. Like qemu, open it as clean. */
        li->no_valid_sequence = 1;
        if (img->log.have_why)
            vhdx_note(img, VHDX_WARNING, HV_CORRUPT, "log entry", img->log.why.offset,
                      "%s; no valid log sequence, log treated as clean", img->log.why.msg);
        else
            vhdx_note(img, VHDX_WARNING, HV_CORRUPT, "log", hoff + HDR_OFF_LOG_GUID,
                      "log GUID is set but the log holds no entry; treated as clean");
        return 0;
    }
    const struct vhdx_log_entry *head = &img->log.head;
    uint64_t head_off = h->log_offset + img->log.head_pos;
    if (head->flushed_file_offset > img->file.len)
        return hv_fail(e, HV_CORRUPT, "log entry", head_off + LE_OFF_FLUSHED,
                       "flushed file offset 0x%llx beyond the file size 0x%zx (truncated file)",
                       (unsigned long long)head->flushed_file_offset, img->file.len);
    if (vhdx_log_replay(log, &h->log_guid, &img->log, &img->ov, e))
        return -1;
    /* Cap growth so a forged LastFileOffset cannot make later views huge. */
    if (head->last_file_offset > img->file.len) {
        if (head->last_file_offset > (UINT64_C(1) << 50))
            return hv_fail(e, HV_CORRUPT, "log entry", head_off + LE_OFF_LAST,
                           "last file offset 0x%llx above 1 PiB",
                           (unsigned long long)head->last_file_offset);
        img->logical_size = head->last_file_offset;
    }
    li->pending = 1;
    li->entries = img->log.entries;
    li->seq_first = img->log.seq_first;
    li->seq_last = img->log.seq_last;
    li->flushed_file_offset = head->flushed_file_offset;
    li->last_file_offset = head->last_file_offset;
    li->file_growth = img->logical_size - img->file.len;
    li->data_descriptors = (uint32_t)img->ov.n;
    li->zero_descriptors = (uint32_t)img->ov.nz;
    for (size_t i = 0; i < img->ov.nz; i++)
        li->zero_bytes += img->ov.zeros[i].len;
    /* Sectors whose bytes change, from the flattened overlay: one pass over
     * its segments, each compared with the real bytes (zeros past the end). */
    for (size_t i = 0; i < img->ov.nseg; i++) {
        const struct ov_seg *g = &img->ov.seg[i];
        for (uint64_t off = g->off; off < g->off + g->len; off += LOG_SECTOR) {
            const uint8_t *old = span_at(img->file, off, LOG_SECTOR);
            if (!g->data && !old)
                break; /* zeros over zeros from here on */
            const uint8_t *now = g->data ? g->data + (off - g->off) : NULL;
            if (!old ? !hv_all_zero(now, LOG_SECTOR)
                     : now ? memcmp(old, now, LOG_SECTOR) != 0 : !hv_all_zero(old, LOG_SECTOR))
                li->sectors_changed++;
        }
    }
    return 0;
}

static int open_regions(struct vhdx *img, struct hv_err *e)
{
    struct hv_err re[2];
    int ok[2] = { 0, 0 };
    struct vhdx_region_table *tmp = malloc(sizeof *tmp);
    if (!tmp)
        return hv_failx(e, HV_NOMEM, "region table", "out of memory");
    for (int i = 0; i < 2; i++) {
        uint64_t at = i ? RT2_OFFSET : RT1_OFFSET;
        struct hv_span s;
        uint8_t *owned;
        hv_err_clear(&re[i]);
        if (view(img, at, RT_SIZE, "region table", at, &s, &owned, &re[i]) == 0) {
            ok[i] = vhdx_region_parse(s, i ? tmp : &img->rt, &re[i]) == 0;
            free(owned);
        }
        if (!ok[i])
            vhdx_note_err(img, VHDX_ERROR, &re[i]);
    }
    if (!ok[0] && !ok[1]) {
        free(tmp);
        *e = re[0].code == HV_UNSUPPORTED || re[1].code != HV_UNSUPPORTED ? re[0] : re[1];
        return -1;
    }
    img->rt_copy = ok[0] ? 0 : 1;
    if (!ok[0])
        img->rt = *tmp;
    else if (ok[1] && (tmp->count != img->rt.count ||
                       memcmp(tmp->e, img->rt.e, img->rt.count * sizeof tmp->e[0])))
        vhdx_note(img, VHDX_WARNING, HV_CORRUPT, "region table", RT2_OFFSET,
                  "copy 2 differs from copy 1");
    free(tmp);
    int have_bat = 0, have_meta = 0;
    uint32_t meta_ix = 0;
    for (uint32_t i = 0; i < img->rt.count; i++) {
        if (hv_guid_eq(&img->rt.e[i].guid, &VHDX_REGION_BAT)) {
            img->bat_region = img->rt.e[i];
            have_bat = 1;
        } else if (hv_guid_eq(&img->rt.e[i].guid, &VHDX_REGION_METADATA)) {
            img->meta_region = img->rt.e[i];
            meta_ix = i;
            have_meta = 1;
        }
    }
    uint64_t rt_off = img->rt_copy ? RT2_OFFSET : RT1_OFFSET;
    if (!have_bat || !have_meta)
        return hv_fail(e, HV_CORRUPT, "region table", rt_off + RT_OFF_ENTRY_COUNT, "no %s region",
                       have_bat ? "metadata" : "BAT");
    if (img->meta_region.length > VHDX_META_REGION_MAX)
        return hv_fail(e, HV_CORRUPT, "region table", rt_off + RT_HEADER_SIZE + (uint64_t)meta_ix * RTE_SIZE + RTE_OFF_LENGTH,
                       "metadata region of %u bytes above the %u bytes hvkit accepts (docs/limits.md)",
                       img->meta_region.length, (unsigned)VHDX_META_REGION_MAX);
    /* Regions must not overlap the log. */
    const struct vhdx_header *h = &img->hdr[img->cur];
    for (uint32_t i = 0; i < img->rt.count && h->log_length; i++) {
        const struct vhdx_region *r = &img->rt.e[i];
        if (r->file_offset < h->log_offset + h->log_length && h->log_offset < r->file_offset + r->length)
            return hv_fail(e, HV_CORRUPT, "region table",
                           rt_off + RT_HEADER_SIZE + (uint64_t)i * RTE_SIZE + RTE_OFF_FILE_OFFSET,
                           "region %u overlaps the log", i);
    }
    return 0;
}

static int open_metadata(struct vhdx *img, struct hv_err *e)
{
    uint64_t rt_off = img->rt_copy ? RT2_OFFSET : RT1_OFFSET;
    if (view(img, img->meta_region.file_offset, img->meta_region.length, "metadata table", rt_off,
             &img->meta, &img->meta_owned, e))
        return -1;
    if (vhdx_metadata_table_parse(img->meta, &img->mt, e) ||
        vhdx_metadata_values_parse(img->meta, &img->mt, &img->mv, e))
        return -1;
    int diff = (img->mv.fp_flags & FP_HAS_PARENT) != 0;
    img->type = diff ? VHDX_TYPE_DIFFERENCING
                     : (img->mv.fp_flags & FP_LEAVE_BLOCK_ALLOCATED) ? VHDX_TYPE_FIXED
                                                                      : VHDX_TYPE_DYNAMIC;
    if (vhdx_bat_geometry(img->mv.virtual_size, img->mv.block_size, img->mv.logical_sector_size, diff,
                     &img->g, e)) {
        e->offset = img->mv.virtual_size_at;
        return -1;
    }
    if (img->mv.has_locator) {
        struct hv_span ls;
        span_sub(img->meta, img->mv.locator_offset, img->mv.locator_length, &ls);
        img->loc_file_off = ls.off;
        if (vhdx_locator_parse(ls, &img->loc, e))
            return -1;
        img->has_loc = 1;
        const char *l1 = vhdx_locator_get(&img->loc, "parent_linkage");
        const char *l2 = vhdx_locator_get(&img->loc, "parent_linkage2");
        if (diff && !l1)
            return hv_fail(e, HV_CORRUPT, "parent locator", ls.off, "no parent_linkage key");
        if (l1 && hv_guid_parse(l1, strlen(l1), &img->linkage))
            return hv_fail(e, HV_CORRUPT, "parent locator",
                           vhdx_locator_value_at(&img->loc, "parent_linkage") + (l1[0] == '{' ? 2 : 0),
                           "parent_linkage '%s' is not a GUID", l1);
        if (l2 && hv_guid_parse(l2, strlen(l2), &img->linkage2))
            vhdx_note(img, VHDX_WARNING, HV_CORRUPT, "parent locator", ls.off,
                      "parent_linkage2 '%s' is not a GUID; ignored", l2);
        if (diff && !vhdx_locator_get(&img->loc, "relative_path") &&
            !vhdx_locator_get(&img->loc, "volume_path") && !vhdx_locator_get(&img->loc, "absolute_win32_path"))
            return hv_fail(e, HV_CORRUPT, "parent locator", ls.off, "no path key");
    }
    return 0;
}

static int open_bat(struct vhdx *img, struct hv_err *e)
{
    uint64_t rt_off = img->rt_copy ? RT2_OFFSET : RT1_OFFSET;
    uint64_t need = img->g.total_entries * 8;
    if (need > img->bat_region.length)
        return hv_fail(e, HV_CORRUPT, "BAT", img->mv.virtual_size_at,
                       "virtual size needs more than the BAT region: region length %u below the %llu bytes of %llu entries",
                       img->bat_region.length, (unsigned long long)need,
                       (unsigned long long)img->g.total_entries);
    if (view_short(img, img->bat_region.file_offset, need, "BAT", rt_off, &img->bat, &img->bat_owned, e))
        return -1;
    /* Sector bitmaps the log touched, or that lie past the real end of file,
     * are copied once so reads can use plain pointers. */
    if (img->type != VHDX_TYPE_DIFFERENCING)
        return 0;
    for (uint64_t c = 0; c < img->g.sb_blocks; c++) {
        uint64_t v = vhdx_bat(img, bat_sb_index(&img->g, c));
        if (bat_state(v) != SB_PRESENT)
            continue;
        uint64_t off = bat_file_offset(v);
        if (off > img->logical_size || SB_BLOCK_SIZE > img->logical_size - off)
            continue; /* reported by the BAT scan and when read */
        if (!vhdx_ov_intersects(&img->ov, off, SB_BLOCK_SIZE) &&
            (off + SB_BLOCK_SIZE <= img->file.len || off >= img->file.len))
            continue; /* read in place, or all zeros past the end (sb_get) */
        if ((img->nsbc + 1) * (uint64_t)SB_BLOCK_SIZE > VHDX_SB_COPIES_MAX)
            return hv_fail(e, HV_CORRUPT, "sector bitmap", img->bat_region.file_offset,
                           "more than %u sector bitmap blocks rewritten by the log or cut by the end of the file (docs/limits.md)",
                           (unsigned)(VHDX_SB_COPIES_MAX / SB_BLOCK_SIZE));
        struct sb_copy *p = realloc(img->sbc, (img->nsbc + 1) * sizeof *p);
        if (!p)
            return hv_failx(e, HV_NOMEM, "sector bitmap", "out of memory");
        img->sbc = p;
        uint8_t *buf = malloc(SB_BLOCK_SIZE);
        if (!buf)
            return hv_failx(e, HV_NOMEM, "sector bitmap", "out of memory");
        vhdx_ov_read(&img->ov, img->file, off, SB_BLOCK_SIZE, buf);
        img->sbc[img->nsbc].chunk = c;
        img->sbc[img->nsbc].buf = buf;
        img->nsbc++;
    }
    return 0;
}

/* Every structure, the log included whatever LogGuid says, and the growth a
 * pending log asks for must fit in what this image can use: the real file,
 * or at most the header section, log, regions and every payload and bitmap
 * block packed end to end. Past that, writers would grow the file for
 * nothing (or without bound). */
static int check_extents(struct vhdx *img, struct hv_err *e)
{
    const struct vhdx_header *h = &img->hdr[img->cur];
    uint64_t hoff = img->cur ? HDR2_OFFSET : HDR1_OFFSET;
    uint64_t rt_off = img->rt_copy ? RT2_OFFSET : RT1_OFFSET;
    uint64_t packed = MiB + (uint64_t)h->log_length + img->g.data_blocks * img->g.block_size +
                      img->g.sb_blocks * SB_BLOCK_SIZE;
    for (uint32_t i = 0; i < img->rt.count; i++)
        packed += img->rt.e[i].length;
    uint64_t limit = img->file.len > packed ? img->file.len : packed;
    if (h->log_length && (h->log_offset > limit || h->log_length > limit - h->log_offset))
        return hv_fail(e, HV_CORRUPT, "header", hoff + HDR_OFF_LOG_OFFSET,
                       "log at 0x%llx+0x%x ends beyond the 0x%llx bytes this image can use",
                       (unsigned long long)h->log_offset, h->log_length, (unsigned long long)limit);
    for (uint32_t i = 0; i < img->rt.count; i++) {
        const struct vhdx_region *r = &img->rt.e[i];
        if (r->file_offset > limit || r->length > limit - r->file_offset)
            return hv_fail(e, HV_CORRUPT, "region table",
                           rt_off + RT_HEADER_SIZE + (uint64_t)i * RTE_SIZE + RTE_OFF_FILE_OFFSET,
                           "region %u at 0x%llx+0x%x ends beyond the 0x%llx bytes this image can use",
                           i, (unsigned long long)r->file_offset, r->length,
                           (unsigned long long)limit);
    }
    if (img->logical_size > limit)
        return hv_fail(e, HV_CORRUPT, "log entry",
                       h->log_offset + img->log.head_pos + LE_OFF_LAST,
                       "last file offset 0x%llx beyond the 0x%llx bytes this image can use",
                       (unsigned long long)img->logical_size, (unsigned long long)limit);
    return 0;
}

static void count_bat_changes(struct vhdx *img)
{
    if (!img->loginfo.pending)
        return;
    for (uint64_t i = 0; i < img->g.total_entries; i++) {
        const uint8_t *old = span_at(img->file, img->bat_region.file_offset + i * 8, 8);
        uint64_t was = old ? le64(old) : 0;
        if (was != vhdx_bat(img, i))
            img->loginfo.bat_entries_changed++;
    }
}

struct first_err {
    struct hv_err *e;
    int set;
};

static void first_error(void *vctx, int sev, enum hv_code code, const char *what, uint64_t off,
                        const char *msg)
{
    struct first_err *f = vctx;
    if (sev != VHDX_ERROR || f->set)
        return;
    f->set = 1;
    hv_fail(f->e, code, what, off, "%s", msg);
}

/* Everything after the bytes are in place: the whole validation. */
static int parse_layer(struct vhdx *img, unsigned flags, struct hv_err *e)
{
    img->file = hv_span_make(img->map.p, img->map.len, 0);
    img->logical_size = img->map.len;
    if (vhdx_fti_parse(img->file, &img->fti, e) || open_headers(img, e) || open_log(img, e) ||
        open_regions(img, e) || open_metadata(img, e) || check_extents(img, e) || open_bat(img, e))
        return -1;
    count_bat_changes(img);
    if (!(flags & VHDX_OPEN_INTERNAL_CHECK)) {
        /* Refuse a BAT that points outside the file or overlaps itself:
         * reads would otherwise return another block's (or the log's) bytes. */
        struct first_err fe = { e, 0 };
        int n = vhdx_bat_scan(img, first_error, &fe);
        if (n < 0)
            return hv_failx(e, HV_NOMEM, "BAT", "out of memory");
        if (n > 0)
            return -1;
    }
    return 0;
}

static struct vhdx *layer_new(const char *path, unsigned flags, struct hv_err *e)
{
    struct vhdx *img = calloc(1, sizeof *img);
    if (!img || !(img->path = strdup(path))) {
        free(img);
        hv_err_file(e, path);
        hv_failx(e, HV_NOMEM, "open", "out of memory");
        return NULL;
    }
    img->flags = flags;
    return img;
}

int vhdx_open_layer(const char *path, unsigned flags, struct vhdx **out, struct hv_err *e)
{
    return vhdx_open_layer_fd(-1, path, flags, out, e);
}

/* fd >= 0: the layer is that descriptor (path only names it); else `path` is opened. */
int vhdx_open_layer_fd(int fd, const char *path, unsigned flags, struct vhdx **out, struct hv_err *e)
{
    struct vhdx *img = layer_new(path, flags, e);
    if (!img)
        return -1;
    if (fd >= 0 ? hv_map_fd(fd, path, &img->map, e) : hv_map_file(path, &img->map, e))
        goto fail;
    struct stat st;
    if (fd >= 0 ? fstat(fd, &st) == 0 : stat(path, &st) == 0) {
        img->dev = st.st_dev;
        img->ino = st.st_ino;
    }
    if (parse_layer(img, flags, e))
        goto fail;
    *out = img;
    return 0;
fail:
    hv_err_file(e, path);
    vhdx_free_layer(img);
    return -1;
}

/* Non-file io (tests, other storage) is read whole: bounded, since such io
 * only ever holds small images. */
#define IO_COPY_MAX (1 * GiB)

int vhdx_open_layer_io(struct hv_io *io, const char *path, unsigned flags, struct vhdx **out,
                       struct hv_err *e)
{
    struct vhdx *img = layer_new(path, flags, e);
    if (!img)
        return -1;
    struct hv_err me;
    if (hv_io_map(io, &img->map, &me) != 0) {
        uint64_t size;
        if (me.code != HV_UNSUPPORTED) {
            *e = me;
            goto fail;
        }
        if (hv_io_size(io, &size, e) != 0)
            goto fail;
        if (size > IO_COPY_MAX) {
            hv_failx(e, HV_UNSUPPORTED, "open", "%llu bytes: too large to read whole",
                     (unsigned long long)size);
            goto fail;
        }
        img->io_copy = malloc(size ? (size_t)size : 1);
        if (!img->io_copy) {
            hv_failx(e, HV_NOMEM, "open", "out of memory for %llu bytes", (unsigned long long)size);
            goto fail;
        }
        if (hv_io_pread(io, img->io_copy, (size_t)size, 0, e) != 0)
            goto fail;
        img->map.p = img->io_copy;
        img->map.len = (size_t)size;
    }
    if (parse_layer(img, flags, e))
        goto fail;
    *out = img;
    return 0;
fail:
    hv_err_file(e, path);
    vhdx_free_layer(img);
    return -1;
}

void vhdx_free_layer(struct vhdx *img)
{
    if (!img)
        return;
    if (img->io_copy)
        free(img->io_copy);
    else
        hv_unmap(&img->map);
    vhdx_ov_free(&img->ov);
    free(img->meta_owned);
    free(img->bat_owned);
    for (size_t i = 0; i < img->nsbc; i++)
        free(img->sbc[i].buf);
    free(img->sbc);
    vhdx_locator_free(&img->loc);
    for (size_t i = 0; i < img->ntries; i++)
        free((char *)img->tries[i].path);
    free(img->tries);
    for (int i = 0; i < 3; i++)
        free(img->link_strings[i]);
    free(img->notes);
    free(img->path);
    free(img);
}

int vhdx_open(const char *path, const struct vhdx_open_opts *opts, vhdx **out, struct hv_err *err)
{
    return vhdx_open_fd(-1, path, opts, out, err);
}

int vhdx_openat(int dirfd, const char *name, const char *path, const struct vhdx_open_opts *opts, vhdx **out,
                struct hv_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        hv_err_file(err, path);
        if (errno == ENOENT)
            return hv_failx(err, HV_NOTFOUND, "open", "no such file");
        return hv_fail_errno(err, errno, "open", "cannot open%s", errno == ELOOP ? " (a symbolic link)" : "");
    }
    int rc = vhdx_open_fd(fd, path, opts, out, err);
    close(fd);
    return rc;
}

int vhdx_open_fd(int fd, const char *path, const struct vhdx_open_opts *opts, vhdx **out, struct hv_err *err)
{
    static const struct vhdx_open_opts defaults = { 0, NULL, 0, NULL, 0 };
    if (!opts)
        opts = &defaults;
    if (!path || !out)
        return hv_failx(err, HV_USAGE, "open", "no path");
    struct vhdx *img;
    if (vhdx_open_layer_fd(fd, path, opts->flags, &img, err))
        return -1;
    if (img->type == VHDX_TYPE_DIFFERENCING && !(opts->flags & VHDX_OPEN_NO_PARENT)) {
        if (vhdx_chain_attach(img, opts, err)) {
            hv_err_file(err, path);
            vhdx_close(img);
            return -1;
        }
    }
    *out = img;
    return 0;
}

void vhdx_close(vhdx *img)
{
    while (img) {
        struct vhdx *p = img->parent;
        vhdx_free_layer(img);
        img = p;
    }
}

uint64_t vhdx_virtual_size(const vhdx *img) { return img->mv.virtual_size; }
uint32_t vhdx_logical_sector_size(const vhdx *img) { return img->mv.logical_sector_size; }
uint32_t vhdx_physical_sector_size(const vhdx *img) { return img->mv.physical_sector_size; }
uint32_t vhdx_block_size(const vhdx *img) { return img->mv.block_size; }
const vhdx *vhdx_parent(const vhdx *img) { return img ? img->parent : NULL; }
const char *vhdx_path(const vhdx *img) { return img->path; }
const struct vhdx_parent_link *vhdx_parent_link(const vhdx *img)
{
    return img && img->parent ? &img->link : NULL;
}

const char *vhdx_block_state_name(int s)
{
    static const char *const n[] = { "NOT_PRESENT", "UNDEFINED",        "ZERO",
                                     "UNMAPPED",    "RESERVED4",        "UNMAPPED_V095",
                                     "FULLY_PRESENT", "PARTIALLY_PRESENT" };
    return s >= 0 && s < 8 ? n[s] : "?";
}

/* ------------------------------------------------------------ resolution */

struct seg {
    uint64_t voff, len;
    int state, layer;
    uint64_t file_off;
    const struct vhdx *src; /* layer serving the bytes; NULL for zeros */
};
typedef int (*seg_fn)(const struct seg *s, void *ctx, struct hv_err *e);

/* The sector bitmap of chunk c: a pointer, NULL for an all-zero bitmap, or -1. */
static int sb_get(const struct vhdx *img, uint64_t c, const uint8_t **out, struct hv_err *e)
{
    uint64_t idx = bat_sb_index(&img->g, c);
    uint64_t v = vhdx_bat(img, idx);
    uint64_t at = img->bat_region.file_offset + idx * 8;
    if (bat_state(v) != SB_PRESENT)
        return hv_fail(e, HV_CORRUPT, "sector bitmap", at,
                       "chunk %llu has PARTIALLY_PRESENT blocks but its bitmap entry is in state %u",
                       (unsigned long long)c, bat_state(v));
    uint64_t off = bat_file_offset(v);
    if (off < MiB || off > img->logical_size || SB_BLOCK_SIZE > img->logical_size - off)
        return hv_fail(e, HV_CORRUPT, "sector bitmap", at,
                       "bitmap block at 0x%llx outside the file (0x%llx bytes)",
                       (unsigned long long)off, (unsigned long long)img->logical_size);
    for (size_t i = 0; i < img->nsbc; i++)
        if (img->sbc[i].chunk == c) {
            *out = img->sbc[i].buf;
            return 0;
        }
    /* Not copied: inside the real file, or wholly past its end (zeros). */
    *out = off < img->file.len ? img->file.p + off : NULL;
    return 0;
}

static int resolve(const struct vhdx *img, int layer, uint64_t voff, uint64_t len, seg_fn fn,
                   void *ctx, struct hv_err *e)
{
    const struct vhdx_geom *g = &img->g;
    while (len > 0) {
        uint64_t b = voff / g->block_size;
        uint64_t in = voff % g->block_size;
        uint64_t n = g->block_size - in;
        if (n > len)
            n = len;
        uint64_t idx = bat_payload_index(g, b);
        uint64_t v = vhdx_bat(img, idx);
        uint64_t at = img->bat_region.file_offset + idx * 8;
        unsigned st = bat_state(v);
        struct seg s = { voff, n, (int)st, VHDX_LAYER_ZERO, 0, NULL };
        int rc = 0;
        if (st == VHDX_BLOCK_FULLY_PRESENT || st == VHDX_BLOCK_PARTIALLY_PRESENT) {
            uint64_t boff = bat_file_offset(v);
            uint64_t vend = g->virtual_size - b * g->block_size;
            uint64_t extent = vend < g->block_size ? vend : g->block_size;
            if (boff < MiB || boff > img->logical_size || extent > img->logical_size - boff)
                return hv_fail(e, HV_CORRUPT, "BAT", at,
                               "block %llu at 0x%llx outside the file (0x%llx bytes)",
                               (unsigned long long)b, (unsigned long long)boff,
                               (unsigned long long)img->logical_size);
            if (st == VHDX_BLOCK_PARTIALLY_PRESENT && !g->differencing)
                return hv_fail(e, HV_CORRUPT, "BAT", at,
                               "block %llu PARTIALLY_PRESENT in a file without a parent",
                               (unsigned long long)b);
            if (st == VHDX_BLOCK_FULLY_PRESENT) {
                s.layer = layer;
                s.file_off = boff + in;
                s.src = img;
                rc = fn(&s, ctx, e);
            } else {
                const uint8_t *bits;
                uint64_t c = b / g->chunk_ratio;
                if (sb_get(img, c, &bits, e))
                    return -1;
                uint64_t bit0 = (b % g->chunk_ratio) * (g->block_size / g->lss) + in / g->lss;
                uint64_t sec = n / g->lss; /* in and n are sector multiples */
                uint64_t done = 0;
                while (done < sec && rc == 0) {
                    int bit = 0;
                    uint64_t r = bits ? vhdx_bitmap_run(bits, bit0 + done, sec - done, &bit) : sec - done;
                    struct seg t = s;
                    t.voff = voff + done * g->lss;
                    t.len = r * g->lss;
                    if (bit) {
                        t.layer = layer;
                        t.src = img;
                        t.file_off = boff + in + done * g->lss;
                        rc = fn(&t, ctx, e);
                    } else if (img->parent) {
                        rc = resolve(img->parent, layer + 1, t.voff, t.len, fn, ctx, e);
                    } else {
                        t.layer = VHDX_LAYER_NO_PARENT;
                        rc = fn(&t, ctx, e);
                    }
                    done += r;
                }
            }
        } else if (st == VHDX_BLOCK_NOT_PRESENT && g->differencing) {
            if (img->parent) {
                rc = resolve(img->parent, layer + 1, voff, n, fn, ctx, e);
            } else {
                s.layer = VHDX_LAYER_NO_PARENT;
                rc = fn(&s, ctx, e);
            }
        } else if (st == VHDX_BLOCK_RESERVED4) {
            return hv_fail(e, HV_CORRUPT, "BAT", at, "block %llu has reserved state 4",
                           (unsigned long long)b);
        } else {
            /* NOT_PRESENT in a base file, UNDEFINED, ZERO, UNMAPPED (3 and the
             * draft value 5): zeros, even in a child (ZERO must not fall
             * through to the parent). */
            rc = fn(&s, ctx, e);
        }
        if (rc)
            return rc;
        voff += n;
        len -= n;
    }
    return 0;
}

struct read_ctx {
    uint8_t *buf;
    uint64_t base;
};

static int read_seg(const struct seg *s, void *vctx, struct hv_err *e)
{
    (void)e;
    struct read_ctx *c = vctx;
    uint8_t *dst = c->buf + (s->voff - c->base);
    if (!s->src) {
        memset(dst, 0, (size_t)s->len);
        return 0;
    }
    /* A pending log that rewrites payload sectors (zero descriptors over
     * blocks, say) is replayed here too, so reads match an on-disk replay. */
    if (vhdx_ov_intersects(&s->src->ov, s->file_off, s->len)) {
        vhdx_ov_read(&s->src->ov, s->src->file, s->file_off, s->len, dst);
        return 0;
    }
    /* Bytes between the real and the logical end of file read as zeros. */
    const struct hv_span *f = &s->src->file;
    uint64_t have = s->file_off < f->len ? f->len - s->file_off : 0;
    if (have > s->len)
        have = s->len;
    memcpy(dst, f->p + s->file_off, (size_t)have);
    memset(dst + have, 0, (size_t)(s->len - have));
    return 0;
}

int vhdx_read(vhdx *img, void *buf, size_t len, uint64_t off, struct hv_err *err)
{
    uint64_t end;
    if (hv_add_overflows(off, len, &end) || end > img->mv.virtual_size)
        return hv_failx(err, HV_USAGE, "read", "range 0x%llx+0x%zx beyond the virtual size 0x%llx",
                        (unsigned long long)off, len, (unsigned long long)img->mv.virtual_size);
    struct read_ctx c = { buf, off };
    /* Sub-sector edges: read whole sectors into a bounce sector so bitmap
     * arithmetic stays exact; the aligned middle goes straight to buf. */
    uint32_t lss = img->mv.logical_sector_size;
    if (off % lss || len % lss) {
        uint8_t sec[4096];
        uint8_t *out = buf;
        while (len > 0) {
            uint64_t s0 = off / lss * lss;
            if (off % lss || len < lss) {
                struct read_ctx t = { sec, s0 };
                if (resolve(img, 0, s0, lss, read_seg, &t, err)) {
                    hv_err_file(err, img->path);
                    return -1;
                }
                size_t k = (size_t)(off - s0), n = lss - k < len ? lss - k : len;
                memcpy(out, sec + k, n);
                out += n;
                off += n;
                len -= n;
            } else {
                size_t n = len / lss * lss;
                if (vhdx_read(img, out, n, off, err))
                    return -1;
                out += n;
                off += n;
                len -= n;
            }
        }
        return 0;
    }
    if (resolve(img, 0, off, len, read_seg, &c, err)) {
        hv_err_file(err, img->path);
        return -1;
    }
    return 0;
}

struct map_ctx {
    struct vhdx_run run;
    int have;
    int (*cb)(const struct vhdx_run *, void *);
    void *ctx;
};

static int map_seg(const struct seg *s, void *vctx, struct hv_err *e)
{
    (void)e;
    struct map_ctx *m = vctx;
    struct vhdx_run *r = &m->run;
    int zero = s->layer < 0;
    if (m->have && r->state == s->state && r->layer == s->layer &&
        (zero || r->file_off + r->len == s->file_off) && r->voff + r->len == s->voff) {
        r->len += s->len;
        return 0;
    }
    if (m->have) {
        int rc = m->cb(r, m->ctx);
        if (rc)
            return rc;
    }
    r->voff = s->voff;
    r->len = s->len;
    r->state = s->state;
    r->layer = s->layer;
    r->file_off = zero ? 0 : s->file_off;
    m->have = 1;
    return 0;
}

int vhdx_map(const vhdx *img, int (*cb)(const struct vhdx_run *, void *), void *ctx,
             struct hv_err *err)
{
    struct map_ctx m = { { 0, 0, 0, 0, 0 }, 0, cb, ctx };
    int rc = resolve(img, 0, 0, img->mv.virtual_size, map_seg, &m, err);
    if (rc == 0 && m.have)
        rc = cb(&m.run, ctx);
    if (rc < 0)
        hv_err_file(err, img->path);
    return rc;
}

const void *vhdx_run_data(const vhdx *img, const struct vhdx_run *run)
{
    const struct vhdx *l = img;
    if (run->layer < 0)
        return NULL;
    for (int i = 0; i < run->layer && l; i++)
        l = l->parent;
    if (!l || run->file_off > l->file.len || run->len > l->file.len - run->file_off ||
        vhdx_ov_intersects(&l->ov, run->file_off, run->len))
        return NULL;
    return l->file.p + run->file_off;
}

/* ------------------------------------------------------------ info */

/* Counts z all-zero BAT entries as vhdx_get_info's loop would one by one:
 * with the chunk position at *pos, (*pos + z) / (ratio + 1) of them are
 * bitmap entries; payload entries past the last block are not counted. */
static void count_zero_entries(const struct vhdx_geom *g, uint64_t z, uint32_t *pos, uint64_t *b,
                               struct vhdx_info *o)
{
    uint64_t per = (uint64_t)g->chunk_ratio + 1;
    uint64_t nsb = (*pos + z) / per, npay = z - nsb;
    *pos = (uint32_t)((*pos + z) % per);
    o->sb_states[0] += nsb;
    uint64_t left = *b < g->data_blocks ? g->data_blocks - *b : 0;
    o->payload_states[0] += npay < left ? npay : left;
    *b += npay;
}

int vhdx_get_info(const vhdx *img, struct vhdx_info *o)
{
    if (!img || !o)
        return -1;
    memset(o, 0, sizeof *o);
    const struct vhdx_header *h = &img->hdr[img->cur];
    o->type = img->type;
    o->virtual_size = img->mv.virtual_size;
    o->block_size = img->mv.block_size;
    o->logical_sector_size = img->mv.logical_sector_size;
    o->physical_sector_size = img->mv.physical_sector_size;
    o->chunk_ratio = img->g.chunk_ratio;
    o->data_blocks = img->g.data_blocks;
    o->sb_blocks = img->g.sb_blocks;
    o->bat_entries = img->g.total_entries;
    o->file_write_guid = h->file_write_guid;
    o->data_write_guid = h->data_write_guid;
    o->log_guid = h->log_guid;
    o->virtual_disk_id = img->mv.virtual_disk_id;
    snprintf(o->creator, sizeof o->creator, "%s", img->fti.creator);
    for (int i = 0; i < 2; i++) {
        o->header_valid[i] = img->hdr_valid[i];
        o->header_seq[i] = img->hdr_valid[i] ? img->hdr[i].seq : 0;
    }
    o->current_header = img->cur;
    o->region_copy = img->rt_copy;
    o->file_size = img->file.len;
    o->logical_file_size = img->logical_size;
    o->log = img->loginfo;
    o->has_parent = img->type == VHDX_TYPE_DIFFERENCING;
    o->parent_linkage = img->linkage;
    o->parent_linkage2 = img->linkage2;
    o->locator_entries = img->has_loc ? img->loc.n : 0;
    const struct vhdx_geom *g = &img->g;
    uint64_t spb = g->block_size / g->lss;
    /* One linear pass with a chunk-position counter: no division per entry,
     * so a 64 TiB image (a million entries) costs about a millisecond. */
    uint32_t pos = 0;
    uint64_t b = 0;
    for (uint64_t i = 0; i < g->total_entries; i++) {
        uint64_t v = vhdx_bat(img, i);
        uint64_t z = v ? 0 : vhdx_bat_zero_run(img->bat, i, g->total_entries);
        if (z > 1) { /* a sparse stretch, counted at once */
            count_zero_entries(g, z, &pos, &b, o);
            i += z - 1;
            continue;
        }
        unsigned st = bat_state(v);
        if (pos == g->chunk_ratio) {
            pos = 0;
            o->sb_states[st]++;
            if (st == SB_PRESENT)
                o->allocated_bytes += SB_BLOCK_SIZE;
            continue;
        }
        pos++;
        if (b++ >= g->data_blocks)
            continue; /* differencing: entries past the last block of the last chunk */
        o->payload_states[st]++;
        if (st != VHDX_BLOCK_FULLY_PRESENT && st != VHDX_BLOCK_PARTIALLY_PRESENT)
            continue;
        uint64_t bb = b - 1;
        uint64_t vend = g->virtual_size - bb * g->block_size;
        uint64_t secs = (vend < g->block_size ? vend : g->block_size) / g->lss;
        o->allocated_bytes += g->block_size;
        if (st == VHDX_BLOCK_FULLY_PRESENT) {
            o->present_sectors += secs;
        } else {
            const uint8_t *bits;
            if (g->differencing && sb_get(img, bb / g->chunk_ratio, &bits, NULL) == 0 && bits)
                o->present_sectors += vhdx_bitmap_count(bits, (bb % g->chunk_ratio) * spb, secs);
        }
    }
    return 0;
}

int vhdx_locator_entry(const vhdx *img, size_t i, const char **key, const char **value)
{
    if (!img || !img->has_loc || i >= img->loc.n)
        return -1;
    *key = img->loc.kv[i].key;
    *value = img->loc.kv[i].value;
    return 0;
}

void vhdx_advise_sequential(const vhdx *img)
{
    for (; img; img = img->parent)
        if (img->map.p)
            madvise((void *)(uintptr_t)img->map.p, img->map.len, MADV_SEQUENTIAL);
}
