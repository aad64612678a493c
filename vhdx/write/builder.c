/* builder.c: the sequential writer of a complete new image (create, convert,
 * hrl restore). Layout (docs/vhdx-format.md §2, §11.9):
 *
 *   0      1M     2M        3M         3M+BAT          ...
 *   +------+------+---------+----------+---------------+----------------+
 *   | hdrs | log  | metadata|   BAT    | payload blocks in put order,   |
 *   | + RT | zero | region  | (1M units| then sector-bitmap blocks      |
 *   +------+------+---------+----------+---------------+----------------+
 *
 * Fixed images place block b at data_start + b * BlockSize (all allocated).
 * No log is needed: nothing existed before, and the file only becomes visible
 * under its real name once complete (publish.c). Every write goes through
 * hv_io; the encoders are the reader's (layout.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_zero.h"
#include "write_int.h"

struct vhdx_builder {
    struct hv_io *io;
    int own_io;            /* opened by begin(): close, publish, unlink on abort */
    char path[4096], tmp[4096];
    enum vhdx_type type;
    struct vhdx_geom g;
    uint32_t pss;
    struct hv_guid disk_id;
    char creator[128];
    uint8_t *locator;      /* encoded parent locator (differencing) */
    size_t locator_len;
    uint64_t *bat;         /* g.total_entries */
    uint8_t **sb;          /* per chunk: 1 MiB bitmap, allocated on demand */
    uint64_t bat_len, data_start, eof;
    uint64_t unkicked;     /* payload bytes written since write-back was last started */
};

/* finish() flushes everything; starting write-back every few MiB keeps the
 * disk busy while the caller produces data, so that flush finds little left
 * (a large image otherwise pays its whole write time again at the end). */
#define WRITEBACK_STEP (32 * MiB)

static int payload_pwrite(vhdx_builder *b, const void *data, size_t len, uint64_t at,
                          struct hv_err *e)
{
    if (hv_io_pwrite(b->io, data, len, at, e) != 0)
        return -1;
    b->unkicked += len;
    if (b->unkicked >= WRITEBACK_STEP) {
        hv_io_writeback(b->io, 0, 0);
        b->unkicked = 0;
    }
    return 0;
}

/* Writes only the pages of buf holding a non-zero byte: the file is new and
 * reads zeros elsewhere, so mostly-empty structures (header area, BAT,
 * metadata region) cost no disk space. */
static int sparse_pwrite(vhdx_builder *b, const uint8_t *buf, size_t len, uint64_t at,
                         struct hv_err *e)
{
    for (size_t i = hv_zero_run(buf, len, HV_ZERO_UNIT, 1); i < len;) {
        size_t n = hv_zero_run(buf + i, len - i, HV_ZERO_UNIT, 0);
        if (hv_io_pwrite(b->io, buf + i, n, at + i, e) != 0)
            return -1;
        i += n;
        i += hv_zero_run(buf + i, len - i, HV_ZERO_UNIT, 1);
    }
    return 0;
}

static int check_params(const struct vhdx_build_params *p, struct hv_err *e)
{
    if (p->type != VHDX_TYPE_FIXED && p->type != VHDX_TYPE_DYNAMIC &&
        p->type != VHDX_TYPE_DIFFERENCING)
        return hv_failx(e, HV_USAGE, "create", "unknown image type %d", (int)p->type);
    if (p->type == VHDX_TYPE_DIFFERENCING && !p->parent)
        return hv_failx(e, HV_USAGE, "create", "a differencing image needs a parent");
    uint32_t pss = p->type == VHDX_TYPE_DIFFERENCING ? p->parent->physical_sector_size
                                                    : p->physical_sector_size;
    if (pss && pss != 512 && pss != 4096)
        return hv_failx(e, HV_USAGE, "create", "physical sector size %u is not 512 or 4096", pss);
    return 0;
}

/* Geometry, identity and locator from the parameters (parent items copied). */
static int setup(vhdx_builder *b, const struct vhdx_build_params *p, struct hv_err *e)
{
    if (check_params(p, e) != 0)
        return -1;
    int diff = p->type == VHDX_TYPE_DIFFERENCING;
    const struct vhdx_parent_info *pi = p->parent;
    uint64_t vsize = diff ? pi->virtual_size : p->virtual_size;
    uint32_t lss = diff ? pi->logical_sector_size : (p->logical_sector_size ? p->logical_sector_size : 512);
    uint32_t bs = p->block_size ? p->block_size : (uint32_t)(diff ? 2 * MiB : 32 * MiB);
    if (vsize == 0)
        return hv_failx(e, HV_USAGE, "create", "virtual size must be above 0");
    if (vhdx_bat_geometry(vsize, bs, lss, diff, &b->g, e) != 0)
        return -1;
    b->type = p->type;
    b->pss = diff ? pi->physical_sector_size : (p->physical_sector_size ? p->physical_sector_size : 4096);
    if (diff)
        b->disk_id = pi->disk_id;
    else
        hv_guid_random(&b->disk_id);
    snprintf(b->creator, sizeof b->creator, "%s", p->creator ? p->creator : "hvkit " HVK_VERSION_STRING);
    if (diff) {
        b->locator = malloc(64 * KiB);
        if (!b->locator)
            return hv_failx(e, HV_NOMEM, "parent locator", "out of memory");
        if (vhdx_locator_build(pi, b->locator, 64 * KiB, &b->locator_len, e) != 0)
            return -1;
    }
    b->bat_len = round_up(b->g.total_entries * 8, MiB);
    b->data_start = NEW_BAT_OFFSET + b->bat_len;
    b->eof = b->data_start;
    if (p->type == VHDX_TYPE_FIXED)
        b->eof += b->g.data_blocks * b->g.block_size;
    b->bat = calloc(b->g.total_entries, sizeof *b->bat);
    b->sb = calloc(b->g.sb_blocks, sizeof *b->sb);
    if (!b->bat || !b->sb)
        return hv_failx(e, HV_NOMEM, "BAT", "out of memory for %llu entries",
                        (unsigned long long)b->g.total_entries);
    return 0;
}

static void builder_free(vhdx_builder *b)
{
    if (!b)
        return;
    for (uint64_t c = 0; b->sb && c < b->g.sb_blocks; c++)
        free(b->sb[c]);
    free(b->sb);
    free(b->bat);
    free(b->locator);
    free(b);
}

int vhdx_builder_begin_io(struct hv_io *io, const struct vhdx_build_params *p, vhdx_builder **out,
                          struct hv_err *e)
{
    vhdx_builder *b = calloc(1, sizeof *b);
    if (!b)
        return hv_failx(e, HV_NOMEM, "create", "out of memory");
    b->io = io;
    if (setup(b, p, e) != 0) {
        builder_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

int vhdx_builder_begin(const char *path, const struct vhdx_build_params *p, vhdx_builder **out,
                       struct hv_err *e)
{
    if (access(path, F_OK) == 0) {
        hv_err_file(e, path);
        return hv_failx(e, HV_EXISTS, "create", "file exists; refusing to overwrite");
    }
    char tmp[4096];
    struct hv_io *io;
    if (hv_tmp_sibling(path, tmp, sizeof tmp, e) != 0 || hv_io_open_file(tmp, HV_IO_CREATE, &io, e) != 0)
        return -1;
    if (vhdx_builder_begin_io(io, p, out, e) != 0) {
        hv_io_close(io);
        unlink(tmp);
        hv_err_file(e, path);
        return -1;
    }
    (*out)->own_io = 1;
    snprintf((*out)->path, sizeof (*out)->path, "%s", path);
    snprintf((*out)->tmp, sizeof (*out)->tmp, "%s", tmp);
    return 0;
}

uint64_t vhdx_builder_blocks(const vhdx_builder *b)
{
    return b->g.data_blocks;
}

uint32_t vhdx_builder_block_size(const vhdx_builder *b)
{
    return b->g.block_size;
}

/* Bytes of block `index` inside the virtual disk (the last block may be short). */
static uint64_t block_bytes(const vhdx_builder *b, uint64_t index)
{
    uint64_t start = index * b->g.block_size;
    uint64_t left = b->g.virtual_size - start;
    return left < b->g.block_size ? left : b->g.block_size;
}

static int check_index(const vhdx_builder *b, uint64_t index, struct hv_err *e)
{
    if (index >= b->g.data_blocks)
        return hv_failx(e, HV_USAGE, "BAT", "block %llu beyond the last block %llu",
                        (unsigned long long)index, (unsigned long long)b->g.data_blocks - 1);
    if (b->bat[bat_payload_index(&b->g, index)] != 0)
        return hv_failx(e, HV_USAGE, "BAT", "block %llu stored twice", (unsigned long long)index);
    return 0;
}

/* Copies the block's slice of a caller bitmap into the chunk's SB block.
 * Returns 1 if all bits are set, 0 if none, 2 if mixed. */
static int merge_bitmap(vhdx_builder *b, uint64_t index, const uint8_t *bitmap, struct hv_err *e)
{
    uint64_t nbytes = (uint64_t)b->g.block_size / b->g.lss / 8;
    uint64_t set = vhdx_bitmap_count(bitmap, 0, nbytes * 8);
    if (set == 0 || set == nbytes * 8)
        return set ? 1 : 0;
    uint64_t c = index / b->g.chunk_ratio;
    if (!b->sb[c] && !(b->sb[c] = calloc(1, SB_BLOCK_SIZE)))
        return hv_failx(e, HV_NOMEM, "sector bitmap", "out of memory");
    memcpy(b->sb[c] + bat_sb_first_bit(&b->g, index) / 8, bitmap, nbytes);
    return 2;
}

int vhdx_builder_alloc_block(vhdx_builder *b, uint64_t index, const uint8_t *bitmap,
                             uint64_t *file_off, struct hv_err *e)
{
    *file_off = 0;
    if (check_index(b, index, e) != 0)
        return -1;
    unsigned state = VHDX_BLOCK_FULLY_PRESENT;
    if (bitmap) {
        if (b->type != VHDX_TYPE_DIFFERENCING)
            return hv_failx(e, HV_USAGE, "BAT", "partially present blocks need a differencing image");
        int kind = merge_bitmap(b, index, bitmap, e);
        if (kind < 0)
            return -1;
        if (kind == 0)
            return 0; /* nothing stored here: stays NOT_PRESENT */
        if (kind == 2)
            state = VHDX_BLOCK_PARTIALLY_PRESENT;
    }
    uint64_t at;
    if (b->type == VHDX_TYPE_FIXED) {
        at = b->data_start + index * b->g.block_size;
    } else {
        at = b->eof; /* bytes never written stay a hole: zeros */
        b->eof += b->g.block_size;
    }
    b->bat[bat_payload_index(&b->g, index)] = bat_entry_make(state, at);
    *file_off = at;
    return 0;
}

int vhdx_builder_put_block(vhdx_builder *b, uint64_t index, const void *data, const uint8_t *bitmap,
                           struct hv_err *e)
{
    uint64_t at;
    if (vhdx_builder_alloc_block(b, index, bitmap, &at, e) != 0)
        return -1;
    return at ? payload_pwrite(b, data, (size_t)block_bytes(b, index), at, e) : 0;
}

/* File offset of block `index`, allocating it FULLY_PRESENT on first use. */
static int block_for_stream(vhdx_builder *b, uint64_t index, uint64_t *at, struct hv_err *e)
{
    uint64_t *ent = &b->bat[bat_payload_index(&b->g, index)];
    if (bat_state(*ent) == VHDX_BLOCK_FULLY_PRESENT) {
        *at = bat_file_offset(*ent);
        return 0;
    }
    if (*ent != 0)
        return hv_failx(e, HV_USAGE, "BAT", "block %llu already put as another state",
                        (unsigned long long)index);
    if (b->type == VHDX_TYPE_FIXED) {
        *at = b->data_start + index * b->g.block_size;
    } else {
        *at = b->eof; /* the unwritten rest stays a hole: zeros */
        b->eof += b->g.block_size;
    }
    *ent = bat_entry_make(VHDX_BLOCK_FULLY_PRESENT, *at);
    return 0;
}

int vhdx_builder_write(vhdx_builder *b, const void *data, size_t len, uint64_t off, struct hv_err *e)
{
    if (off > b->g.virtual_size || len > b->g.virtual_size - off)
        return hv_failx(e, HV_USAGE, "write", "range beyond the virtual size %llu",
                        (unsigned long long)b->g.virtual_size);
    const uint8_t *p = data;
    while (len > 0) {
        uint64_t index = off / b->g.block_size, in = off % b->g.block_size, at = 0;
        size_t n = (size_t)(b->g.block_size - in < len ? b->g.block_size - in : len);
        if (block_for_stream(b, index, &at, e) != 0 || payload_pwrite(b, p, n, at + in, e) != 0)
            return -1;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

int vhdx_builder_put_zero(vhdx_builder *b, uint64_t index, struct hv_err *e)
{
    if (check_index(b, index, e) != 0)
        return -1;
    /* A fixed image keeps every block allocated (its blocks are already zero). */
    if (b->type != VHDX_TYPE_FIXED)
        b->bat[bat_payload_index(&b->g, index)] = bat_entry_make(VHDX_BLOCK_ZERO, 0);
    return 0;
}

/* Fixed images: every block not put explicitly is allocated (zero-filled by
 * the file extension). */
static void fill_fixed(vhdx_builder *b)
{
    for (uint64_t i = 0; i < b->g.data_blocks; i++) {
        uint64_t *ent = &b->bat[bat_payload_index(&b->g, i)];
        if (*ent == 0)
            *ent = bat_entry_make(VHDX_BLOCK_FULLY_PRESENT, b->data_start + i * b->g.block_size);
    }
}

static int write_bitmaps(vhdx_builder *b, struct hv_err *e)
{
    for (uint64_t c = 0; c < b->g.sb_blocks; c++) {
        if (!b->sb[c])
            continue;
        if (hv_io_pwrite(b->io, b->sb[c], SB_BLOCK_SIZE, b->eof, e) != 0)
            return -1;
        b->bat[bat_sb_index(&b->g, c)] = bat_entry_make(SB_PRESENT, b->eof);
        b->eof += SB_BLOCK_SIZE;
    }
    return 0;
}

static int write_bat(vhdx_builder *b, struct hv_err *e)
{
    uint8_t *buf = calloc(1, (size_t)b->bat_len);
    if (!buf)
        return hv_failx(e, HV_NOMEM, "BAT", "out of memory");
    for (uint64_t i = 0; i < b->g.total_entries; i++)
        vhdx_bat_entry_encode(b->bat[i], buf + i * 8);
    int rc = sparse_pwrite(b, buf, (size_t)b->bat_len, NEW_BAT_OFFSET, e);
    free(buf);
    return rc;
}

static int write_metadata(vhdx_builder *b, struct hv_err *e)
{
    uint8_t fp[8], vs[8], lss[4], pss[4];
    uint32_t flags = b->type == VHDX_TYPE_FIXED ? FP_LEAVE_BLOCK_ALLOCATED
                     : b->type == VHDX_TYPE_DIFFERENCING ? FP_HAS_PARENT : 0;
    vhdx_meta_file_parameters_encode(b->g.block_size, flags, fp);
    vhdx_meta_u64_encode(b->g.virtual_size, vs);
    vhdx_meta_u32_encode(b->g.lss, lss);
    vhdx_meta_u32_encode(b->pss, pss);
    const uint32_t sys = MT_FLAG_IS_REQUIRED, vd = MT_FLAG_IS_REQUIRED | MT_FLAG_IS_VIRTUAL_DISK;
    struct meta_item items[6] = {
        { VHDX_META_FILE_PARAMETERS, sys, fp, 8 },
        { VHDX_META_VIRTUAL_DISK_SIZE, vd, vs, 8 },
        { VHDX_META_VIRTUAL_DISK_ID, vd, b->disk_id.b, 16 },
        { VHDX_META_LOGICAL_SECTOR_SIZE, vd, lss, 4 },
        { VHDX_META_PHYSICAL_SECTOR_SIZE, vd, pss, 4 },
        { VHDX_META_PARENT_LOCATOR, sys, b->locator, (uint32_t)b->locator_len },
    };
    uint8_t *region = malloc(NEW_META_LENGTH);
    if (!region)
        return hv_failx(e, HV_NOMEM, "metadata table", "out of memory");
    int rc = vhdx_metabuild(items, b->locator ? 6 : 5, region, NEW_META_LENGTH, e);
    if (rc == 0)
        rc = sparse_pwrite(b, region, NEW_META_LENGTH, NEW_META_OFFSET, e);
    free(region);
    return rc;
}

/* File identifier, both headers and both region tables: the first 1 MiB. */
static int write_header_area(vhdx_builder *b, struct hv_err *e)
{
    uint8_t *area = calloc(1, MiB);
    struct vhdx_region_table *rt = calloc(1, sizeof *rt);
    struct vhdx_fti fti;
    if (!area || !rt) {
        free(area);
        free(rt);
        return hv_failx(e, HV_NOMEM, "header", "out of memory");
    }
    memset(&fti, 0, sizeof fti);
    snprintf(fti.creator, sizeof fti.creator, "%s", b->creator);
    vhdx_fti_encode(&fti, area + FTI_OFFSET);
    struct vhdx_header h;
    memset(&h, 0, sizeof h);
    hv_guid_random(&h.file_write_guid);
    hv_guid_random(&h.data_write_guid);
    h.version = 1;
    h.log_length = NEW_LOG_LENGTH;
    h.log_offset = NEW_LOG_OFFSET;
    for (int i = 0; i < 2; i++) { /* header 2 (seq 2) is current, as in qemu/openvmm */
        h.seq = (uint64_t)i + 1;
        vhdx_header_encode(&h, area + (i ? HDR2_OFFSET : HDR1_OFFSET));
    }
    rt->count = 2;
    rt->e[0] = (struct vhdx_region){ VHDX_REGION_BAT, NEW_BAT_OFFSET, (uint32_t)b->bat_len, 1 };
    rt->e[1] = (struct vhdx_region){ VHDX_REGION_METADATA, NEW_META_OFFSET, NEW_META_LENGTH, 1 };
    vhdx_region_encode(rt, area + RT1_OFFSET);
    vhdx_region_encode(rt, area + RT2_OFFSET);
    int rc = sparse_pwrite(b, area, MiB, 0, e);
    free(rt);
    free(area);
    return rc;
}

static int finish_structures(vhdx_builder *b, struct hv_err *e)
{
    if (b->type == VHDX_TYPE_FIXED)
        fill_fixed(b);
    if (write_bitmaps(b, e) || write_bat(b, e) || write_metadata(b, e))
        return -1;
    /* The log stays zero: the extension below zero-fills it. */
    if (hv_io_truncate(b->io, b->eof, e) != 0 || write_header_area(b, e) != 0)
        return -1;
    return hv_io_flush(b->io, e);
}

int vhdx_builder_finish(vhdx_builder *b, struct hv_err *e)
{
    int rc = finish_structures(b, e);
    if (b->own_io) {
        hv_io_close(b->io);
        if (rc == 0)
            rc = hv_publish_tmp(b->tmp, b->path, e);
        if (rc != 0) {
            unlink(b->tmp);
            hv_err_file(e, b->path);
        }
    }
    builder_free(b);
    return rc;
}

void vhdx_builder_abort(vhdx_builder *b)
{
    if (!b)
        return;
    if (b->own_io) {
        hv_io_close(b->io);
        unlink(b->tmp);
    }
    builder_free(b);
}
