/* vhd.c: the read-only VHD handle (vhd.h): footer at the end of the file
 * (the copy at offset 0 when the last one is damaged), dynamic header, BAT,
 * block bitmaps, differencing chains. Layouts and parsers: vhd_layout.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_io.h"
#include "layout.h"
#include "vhd.h"
#include "vhd_layout.h"

#define MAX_DEPTH 64

struct vhd {
    struct hv_map m;
    struct hv_span s;
    char path[4096];
    struct vhd_footer f;
    struct vhd_dyn_header h;
    uint64_t blocks;
    uint32_t bitmap_bytes;    /* per block, whole sectors */
    const uint8_t *bat;       /* blocks * 4 bytes, bounds-checked at open */
    struct vhd *parent;
};

int vhdx_vhd_probe_file(const char *path)
{
    struct hv_map m;
    if (hv_map_file(path, &m, NULL) != 0)
        return 0;
    int yes = m.len >= VF_SIZE && (memcmp(m.p + m.len - VF_SIZE, "conectix", 8) == 0 ||
                                   memcmp(m.p, "conectix", 8) == 0);
    hv_unmap(&m);
    return yes;
}

static int read_footer(struct vhd *v, struct hv_err *e)
{
    if (v->m.len < VF_SIZE)
        return hv_fail(e, HV_FORMAT, "VHD footer", 0, "file too short for a VHD footer");
    uint64_t at = v->m.len - VF_SIZE;
    struct hv_span tail;
    span_sub(v->s, at, VF_SIZE, &tail);
    if (vhdx_vhd_footer_parse(tail, &v->f, e) == 0)
        return 0;
    struct hv_err e0; /* a dynamic disk keeps a copy of the footer at offset 0 */
    if (vhdx_vhd_footer_parse(v->s, &v->f, &e0) == 0 && v->f.disk_type != VHD_TYPE_FIXED)
        return 0;
    return -1;
}

static int read_dynamic(struct vhd *v, struct hv_err *e)
{
    struct hv_span hs;
    if (span_sub(v->s, v->f.data_offset, VH_SIZE, &hs) != 0)
        return hv_fail(e, HV_CORRUPT, "VHD footer", v->m.len - VF_SIZE + VF_OFF_DATA_OFFSET,
                       "dynamic header offset %llu beyond the file",
                       (unsigned long long)v->f.data_offset);
    if (vhdx_vhd_dyn_header_parse(hs, &v->h, e) != 0)
        return -1;
    v->blocks = (v->f.current_size + v->h.block_size - 1) / v->h.block_size;
    if (v->h.max_entries < v->blocks)
        return hv_fail(e, HV_CORRUPT, "VHD dynamic header", v->f.data_offset + VH_OFF_MAX_ENTRIES,
                       "%u BAT entries for %llu blocks", v->h.max_entries,
                       (unsigned long long)v->blocks);
    v->bat = span_at(v->s, v->h.table_offset, v->blocks * 4);
    if (!v->bat)
        return hv_fail(e, HV_CORRUPT, "VHD BAT", v->f.data_offset + VH_OFF_TABLE_OFFSET,
                       "table at %llu beyond the file", (unsigned long long)v->h.table_offset);
    uint32_t bits = v->h.block_size / VHD_SECTOR;
    v->bitmap_bytes = ((bits + 7) / 8 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
    return 0;
}

/* ---- parents ---- */

static int utf16_path(const uint8_t *p, size_t len, int big_endian, char *out, size_t cap)
{
    uint8_t le[1024];
    if (len > sizeof le || len % 2)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        le[i] = big_endian ? p[i + 1] : p[i];
        le[i + 1] = big_endian ? p[i] : p[i + 1];
    }
    while (len >= 2 && !le[len - 1] && !le[len - 2]) /* trailing NULs */
        len -= 2;
    if (vhdx_utf16le_to_utf8(le, len, out, cap, 0) != 0)
        return -1;
    for (char *c = out; *c; c++)
        if (*c == '\\')
            *c = '/';
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Candidate i of the parent's local path (relative locator, absolute
 * locator's name beside the child, the header's parent name beside it). */
static int candidate(const struct vhd *v, int i, char *out, size_t cap)
{
    char dir[4096], name[1024];
    snprintf(dir, sizeof dir, "%s", v->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    if (i < 8) {
        const struct vhd_locator *l = &v->h.loc[i];
        const uint8_t *p = span_at(v->s, l->offset, l->length);
        if ((l->code != VPL_W2RU && l->code != VPL_W2KU) || !p || utf16_path(p, l->length, 0, name, sizeof name))
            return -1;
        const char *rel = name;
        if (l->code == VPL_W2KU)
            rel = base_name(name);
        else if (!strncmp(rel, "./", 2))
            rel += 2;
        int n = snprintf(out, cap, "%s%s", dir, rel);
        return n < 0 || (size_t)n >= cap ? -1 : 0;
    }
    if (utf16_path(v->h.parent_name, sizeof v->h.parent_name, 1, name, sizeof name) || !name[0])
        return -1;
    int n = snprintf(out, cap, "%s%s", dir, base_name(name));
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int open_at(const char *path, unsigned flags, int depth, struct vhd **out, struct hv_err *e);

static int open_parent(struct vhd *v, unsigned flags, int depth, struct hv_err *e)
{
    if (depth >= MAX_DEPTH)
        return hv_fail(e, HV_CORRUPT, "parent chain", 0, "more than %d levels", MAX_DEPTH);
    char path[4096];
    for (int i = 0; i <= 8; i++) {
        if (candidate(v, i, path, sizeof path) != 0 || !vhdx_vhd_probe_file(path))
            continue;
        struct vhd *p = NULL;
        if (open_at(path, flags, depth + 1, &p, e) != 0)
            return -1;
        if (memcmp(p->f.unique_id, v->h.parent_id, 16) != 0 || p->f.current_size != v->f.current_size) {
            vhdx_vhd_close(p);
            return hv_fail(e, HV_MISMATCH, "parent chain", v->f.data_offset + VH_OFF_PARENT_ID,
                           "'%s' is not this disk's parent (unique id or size differ)", path);
        }
        v->parent = p;
        return 0;
    }
    return hv_fail(e, HV_NOTFOUND, "parent chain", v->f.data_offset + VH_OFF_LOCATORS,
                   "parent not found through its locators or name");
}

static int open_at(const char *path, unsigned flags, int depth, struct vhd **out, struct hv_err *e)
{
    struct vhd *v = calloc(1, sizeof *v);
    if (!v)
        return hv_failx(e, HV_NOMEM, "open", "out of memory");
    snprintf(v->path, sizeof v->path, "%s", path);
    int rc = hv_map_file(path, &v->m, e);
    if (rc == 0) {
        v->s = hv_span_make(v->m.p, v->m.len, 0);
        rc = read_footer(v, e);
    }
    if (rc == 0 && v->f.disk_type == VHD_TYPE_FIXED && v->m.len - VF_SIZE < v->f.current_size)
        rc = hv_fail(e, HV_CORRUPT, "VHD footer", v->m.len - VF_SIZE + VF_OFF_CURRENT_SIZE,
                     "data area of %llu bytes shorter than the size %llu",
                     (unsigned long long)(v->m.len - VF_SIZE), (unsigned long long)v->f.current_size);
    if (rc == 0 && v->f.disk_type != VHD_TYPE_FIXED)
        rc = read_dynamic(v, e);
    if (rc == 0 && v->f.disk_type == VHD_TYPE_DIFFERENCING && !(flags & VHD_OPEN_NO_PARENT))
        rc = open_parent(v, flags, depth, e);
    if (rc != 0) {
        hv_err_file(e, path);
        vhdx_vhd_close(v);
        return -1;
    }
    *out = v;
    return 0;
}

int vhdx_vhd_open(const char *path, unsigned flags, vhd **out, struct hv_err *e)
{
    return open_at(path, flags, 0, out, e);
}

void vhdx_vhd_close(vhd *v)
{
    if (!v)
        return;
    vhdx_vhd_close(v->parent);
    hv_unmap(&v->m);
    free(v);
}

/* ---- reading ---- */

static int read_below(struct vhd *v, uint8_t *buf, size_t n, uint64_t off, struct hv_err *e)
{
    if (v->f.disk_type == VHD_TYPE_DIFFERENCING && v->parent)
        return vhdx_vhd_read(v->parent, buf, n, off, e);
    memset(buf, 0, n);
    return 0;
}

/* Sectors [off, off+n) inside block b (allocated at sector `entry`). */
static int read_in_block(struct vhd *v, uint32_t entry, uint64_t b, uint8_t *buf, size_t n,
                         uint64_t off, struct hv_err *e)
{
    uint64_t start = (uint64_t)entry * VHD_SECTOR, in = off - b * v->h.block_size;
    const uint8_t *bm = span_at(v->s, start, v->bitmap_bytes);
    const uint8_t *data = span_at(v->s, start + v->bitmap_bytes + in, n);
    if (!bm || !data) {
        hv_err_file(e, v->path);
        return hv_fail(e, HV_CORRUPT, "VHD BAT", v->h.table_offset + b * 4,
                       "block %llu at sector %u beyond the file", (unsigned long long)b, entry);
    }
    /* runs of sectors with the same bitmap bit (MSB first): 1 here, 0 below */
    for (size_t done = 0; done < n;) {
        uint64_t sec = (in + done) / VHD_SECTOR;
        int bit = (bm[sec / 8] >> (7 - sec % 8)) & 1;
        size_t run = VHD_SECTOR - (size_t)((in + done) % VHD_SECTOR);
        while (done + run < n) {
            uint64_t nx = (in + done + run) / VHD_SECTOR;
            if (((bm[nx / 8] >> (7 - nx % 8)) & 1) != bit)
                break;
            run += VHD_SECTOR;
        }
        if (run > n - done)
            run = n - done;
        if (bit)
            memcpy(buf + done, data + done, run);
        else if (read_below(v, buf + done, run, off + done, e) != 0)
            return -1;
        done += run;
    }
    return 0;
}

int vhdx_vhd_read(vhd *v, void *out, size_t len, uint64_t off, struct hv_err *e)
{
    uint8_t *buf = out;
    if (off > v->f.current_size || len > v->f.current_size - off)
        return hv_failx(e, HV_USAGE, "read", "range beyond the virtual size %llu",
                        (unsigned long long)v->f.current_size);
    if (v->f.disk_type == VHD_TYPE_FIXED) {
        memcpy(buf, v->m.p + off, len); /* data area checked at open */
        return 0;
    }
    while (len > 0) {
        uint64_t b = off / v->h.block_size;
        size_t n = (size_t)(v->h.block_size - off % v->h.block_size);
        if (n > len)
            n = len;
        uint32_t entry = vhd_be32(v->bat + b * 4);
        int rc = entry == VHD_BAT_UNUSED ? read_below(v, buf, n, off, e)
                                         : read_in_block(v, entry, b, buf, n, off, e);
        if (rc != 0)
            return -1;
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

int vhdx_vhd_block_used(const vhd *v, uint64_t b)
{
    if (v->f.disk_type == VHD_TYPE_FIXED)
        return 1;
    if (b < v->blocks && vhd_be32(v->bat + b * 4) != VHD_BAT_UNUSED)
        return 1;
    return v->parent ? vhdx_vhd_block_used(v->parent, b) : 0;
}

void vhdx_vhd_get_info(const vhd *v, struct vhd_info *o)
{
    memset(o, 0, sizeof *o);
    o->type = v->f.disk_type;
    o->virtual_size = v->f.current_size;
    o->block_size = v->f.disk_type == VHD_TYPE_FIXED ? 0 : v->h.block_size;
    o->blocks = v->blocks;
    for (uint64_t b = 0; v->bat && b < v->blocks; b++)
        o->allocated_blocks += vhd_be32(v->bat + b * 4) != VHD_BAT_UNUSED;
    memcpy(o->creator, v->f.creator_app, 5);
    o->cylinders = v->f.cylinders;
    o->heads = v->f.heads;
    o->sectors = v->f.sectors;
    o->parent_path = v->parent ? v->parent->path : NULL;
}
