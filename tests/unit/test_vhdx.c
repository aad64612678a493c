/* test_vhdx.c: vhdx.c, chain.c and check.c through the public API, on images
 * built in a temp directory with the library's own encoders (header, region
 * table, metadata table/items, parent locator, BAT entries): every block
 * state, sub-sector reads, 512 and 4096-byte sectors, a differencing chain
 * with PARTIALLY_PRESENT blocks, --map style path maps, identity mismatch,
 * and check collecting several problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "vhdx.h"

static char dir[256];

struct spec {
    uint64_t vsize;
    uint32_t bs, lss;
    int diff;
    struct hv_guid dwg, linkage;
    const char *rel, *abs; /* locator paths (diff only) */
    unsigned states[8];    /* per block; 6 and 7 get data */
    uint8_t fill;
    uint8_t sb_byte;       /* first byte of each block's bitmap share */
};

#define DATA0 (4 * MiB)

static void put(FILE *f, uint64_t off, const void *p, size_t n)
{
    fseek(f, (long)off, SEEK_SET);
    fwrite(p, 1, n, f);
}

static void build(const char *name, const struct spec *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static uint8_t buf[RT_SIZE];
    struct vhdx_fti fti = { "test" };
    static uint8_t fbuf[FTI_SIZE];
    vhdx_fti_encode(&fti, fbuf);
    put(f, 0, fbuf, FTI_SIZE);
    struct vhdx_header h = { 0, 1, { { 1 } }, s->dwg, { { 0 } }, 0, 1, MiB, MiB };
    vhdx_header_encode(&h, buf);
    put(f, HDR1_OFFSET, buf, HDR_SIZE);
    h.seq = 2;
    vhdx_header_encode(&h, buf);
    put(f, HDR2_OFFSET, buf, HDR_SIZE);
    static struct vhdx_region_table rt;
    rt.count = 2;
    rt.e[0] = (struct vhdx_region){ VHDX_REGION_BAT, 3 * MiB, MiB, 1 };
    rt.e[1] = (struct vhdx_region){ VHDX_REGION_METADATA, 2 * MiB, MiB, 1 };
    vhdx_region_encode(&rt, buf);
    put(f, RT1_OFFSET, buf, RT_SIZE);
    put(f, RT2_OFFSET, buf, RT_SIZE);
    static struct vhdx_meta_table mt;
    memset(&mt, 0, sizeof mt);
    mt.count = s->diff ? 6 : 5;
    mt.e[0] = (struct vhdx_meta_entry){ VHDX_META_FILE_PARAMETERS, 0x10000, 8, 4 };
    mt.e[1] = (struct vhdx_meta_entry){ VHDX_META_VIRTUAL_DISK_SIZE, 0x10008, 8, 6 };
    mt.e[2] = (struct vhdx_meta_entry){ VHDX_META_VIRTUAL_DISK_ID, 0x10010, 16, 6 };
    mt.e[3] = (struct vhdx_meta_entry){ VHDX_META_LOGICAL_SECTOR_SIZE, 0x10020, 4, 6 };
    mt.e[4] = (struct vhdx_meta_entry){ VHDX_META_PHYSICAL_SECTOR_SIZE, 0x10024, 4, 6 };
    uint8_t items[0x28] = { 0 };
    vhdx_meta_file_parameters_encode(s->bs, s->diff ? FP_HAS_PARENT : 0, items);
    vhdx_meta_u64_encode(s->vsize, items + 8);
    vhdx_meta_u32_encode(s->lss, items + 0x20);
    vhdx_meta_u32_encode(s->lss, items + 0x24);
    put(f, 2 * MiB + 0x10000, items, sizeof items);
    if (s->diff) {
        char g[40];
        struct vhdx_locator_kv kv[3] = { { "parent_linkage", hv_guid_format(&s->linkage, 1, g), 0 },
                                         { "relative_path", (char *)s->rel, 0 },
                                         { "absolute_win32_path", (char *)s->abs, 0 } };
        struct vhdx_locator l = { VHDX_LOCATOR_TYPE_VHDX, 3, kv };
        uint8_t lb[2048];
        size_t n = vhdx_locator_encode(&l, lb, sizeof lb);
        assert_true(n > 0 && n <= sizeof lb);
        mt.e[5] = (struct vhdx_meta_entry){ VHDX_META_PARENT_LOCATOR, 0x10100, (uint32_t)n, 4 };
        put(f, 2 * MiB + 0x10100, lb, n);
    }
    vhdx_metadata_table_encode(&mt, buf);
    put(f, 2 * MiB, buf, MT_SIZE);
    struct vhdx_geom geo;
    struct hv_err e;
    assert_int_equal(vhdx_bat_geometry(s->vsize, s->bs, s->lss, s->diff, &geo, &e), 0);
    uint64_t next = DATA0;
    uint8_t *block = malloc(s->bs);
    uint64_t sb_off = 0;
    for (uint64_t b = 0; b < geo.data_blocks; b++) {
        unsigned st = s->states[b];
        uint64_t off = 0;
        if (st == 6 || st == 7) {
            off = next;
            next += s->bs;
            for (uint32_t i = 0; i < s->bs; i++)
                block[i] = (uint8_t)(s->fill + b + i / s->lss);
            put(f, off, block, s->bs);
        }
        if (st == 7) {
            if (!sb_off) {
                sb_off = next;
                next += SB_BLOCK_SIZE;
                uint8_t z = 0;
                put(f, sb_off + SB_BLOCK_SIZE - 1, &z, 1);
            }
            uint64_t share = SB_BLOCK_SIZE / geo.chunk_ratio;
            put(f, sb_off + (b % geo.chunk_ratio) * share, &s->sb_byte, 1);
        }
        uint8_t ent[8];
        vhdx_bat_entry_encode(bat_entry_make(st, off), ent);
        put(f, 3 * MiB + bat_payload_index(&geo, b) * 8, ent, 8);
    }
    if (sb_off) {
        uint8_t ent[8];
        vhdx_bat_entry_encode(bat_entry_make(SB_PRESENT, sb_off), ent);
        put(f, 3 * MiB + bat_sb_index(&geo, 0) * 8, ent, 8);
    }
    uint8_t z = 0;
    put(f, next + MiB - 1, &z, 1);
    free(block);
    fclose(f);
}

static char *at(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static const struct hv_guid PG = { { 0x11, 0x22 } }, CG = { { 0x33, 0x44 } };

static void parent_spec(struct spec *p, uint32_t lss)
{
    memset(p, 0, sizeof *p);
    *p = (struct spec){ 4 * MiB, MiB, lss, 0, PG, { { 0 } }, NULL, NULL, { 6, 6, 6, 2 }, 0x10, 0 };
}

static void test_base_states(void **state)
{
    (void)state;
    struct spec s = { 5 * MiB + 1024, MiB, 512, 0, PG, { { 0 } }, NULL, NULL,
                      { 6, 2, 0, 3, 1, 6 }, 0x40, 0 };
    build("base.vhdx", &s);
    vhdx *v;
    struct hv_err e;
    hv_err_clear(&e);
    assert_int_equal(vhdx_open(at("base.vhdx"), NULL, &v, &e), 0);
    assert_true(vhdx_virtual_size(v) == 5 * MiB + 1024);
    assert_int_equal(vhdx_block_size(v), MiB);
    assert_null(vhdx_parent(v));
    uint8_t b[3000];
    /* Unaligned read across blocks 0 (data) and 1 (ZERO). */
    assert_int_equal(vhdx_read(v, b, sizeof b, MiB - 1000, &e), 0);
    assert_int_equal(b[0], (uint8_t)(0x40 + (MiB - 1000) / 512));
    assert_int_equal(b[999], (uint8_t)(0x40 + 2047));
    assert_int_equal(b[1000], 0);
    assert_int_equal(b[2999], 0);
    /* Last partial block: data, and reads past the end are refused. */
    assert_int_equal(vhdx_read(v, b, 1024, 5 * MiB, &e), 0);
    assert_int_equal(b[0], (uint8_t)(0x40 + 5));
    assert_int_equal(vhdx_read(v, b, 1025, 5 * MiB, &e), -1);
    assert_int_equal(e.code, HV_USAGE);
    struct vhdx_info in;
    assert_int_equal(vhdx_get_info(v, &in), 0);
    assert_int_equal(in.type, VHDX_TYPE_DYNAMIC);
    assert_int_equal(in.payload_states[6], 2);
    assert_int_equal(in.payload_states[2], 1);
    assert_int_equal(in.current_header, 1);
    assert_string_equal(in.creator, "test");
    assert_true(in.present_sectors == 2048 + 2);
    vhdx_close(v);
}

struct runs {
    struct vhdx_run r[32];
    int n;
};

static int collect(const struct vhdx_run *r, void *ctx)
{
    struct runs *rs = ctx;
    if (rs->n < 32)
        rs->r[rs->n++] = *r;
    return 0;
}

static void chain_case(uint32_t lss)
{
    struct spec p, c;
    parent_spec(&p, lss);
    build("Parent.VHDX", &p);
    c = (struct spec){ 4 * MiB, MiB, lss, 1, CG, PG, "..\\nope\\Parent.VHDX",
                       "\\\\?\\D:\\VMs\\Parent.VHDX", { 7, 2, 0, 6 }, 0x80, 0x05 };
    build("child.avhdx", &c);
    vhdx *v;
    struct hv_err e;
    hv_err_clear(&e);
    /* relative_path points nowhere: the error lists what was tried. */
    assert_int_equal(vhdx_open(at("child.avhdx"), NULL, &v, &e), -1);
    assert_int_equal(e.code, HV_NOTFOUND);
    assert_non_null(strstr(e.msg, "parent not found; tried: '"));
    assert_non_null(strstr(e.msg, "(relative_path)"));
    /* A map of the absolute path, matched case-insensitively with '/'. */
    struct vhdx_path_map m = { "d:/vms/", dir };
    struct vhdx_open_opts o = { 0, NULL, 0, &m, 1 };
    hv_err_clear(&e);
    assert_int_equal(vhdx_open(at("child.avhdx"), &o, &v, &e), 0);
    const struct vhdx_parent_link *l = vhdx_parent_link(v);
    assert_non_null(l);
    assert_string_equal(l->key, "absolute_win32_path");
    assert_string_equal(l->via, "map");
    assert_int_equal(l->linkage, 1);
    assert_true(l->n_tries >= 2);
    assert_int_equal(l->tries[0].result, VHDX_TRY_MISSING);
    uint32_t s = lss;
    uint8_t *b = malloc(4 * MiB);
    assert_int_equal(vhdx_read(v, b, 4 * MiB, 0, &e), 0);
    /* Block 0 PARTIALLY_PRESENT, bitmap 0x05: sectors 0 and 2 from the child. */
    assert_int_equal(b[0], 0x80);
    assert_int_equal(b[s], (uint8_t)(0x10 + 1));
    assert_int_equal(b[2 * s + 7], (uint8_t)(0x80 + 2));
    assert_int_equal(b[3 * s], (uint8_t)(0x10 + 3));
    /* Block 1 ZERO over parent data: zeros, not the parent. */
    assert_int_equal(b[MiB + 5], 0);
    /* Block 2 NOT_PRESENT: the parent. Block 3 FULLY_PRESENT: the child. */
    assert_int_equal(b[2 * MiB], (uint8_t)(0x10 + 2));
    assert_int_equal(b[3 * MiB], (uint8_t)(0x80 + 3));
    /* Sub-sector read inside the partial block. */
    uint8_t x[3];
    assert_int_equal(vhdx_read(v, x, 3, s - 1, &e), 0);
    assert_int_equal(x[0], 0x80);
    assert_int_equal(x[1], 0x11);
    free(b);
    struct runs rs = { .n = 0 };
    assert_int_equal(vhdx_map(v, collect, &rs, &e), 0);
    assert_int_equal(rs.r[0].layer, 0);
    assert_true(rs.r[0].len == s);
    assert_int_equal(rs.r[1].layer, 1);
    assert_int_equal(rs.r[1].state, 6);
    assert_non_null(vhdx_run_data(v, &rs.r[1]));
    struct vhdx_info in;
    vhdx_get_info(v, &in);
    assert_true(in.present_sectors == 2 + MiB / s);
    assert_int_equal(in.sb_states[6], 1);
    vhdx_close(v);
    /* Identity: a child linked to another GUID is refused unless ignored. */
    c.linkage = CG;
    build("child.avhdx", &c);
    hv_err_clear(&e);
    assert_int_equal(vhdx_open(at("child.avhdx"), &o, &v, &e), -1);
    assert_int_equal(e.code, HV_MISMATCH);
    o.flags = VHDX_OPEN_IGNORE_ID_MISMATCH;
    assert_int_equal(vhdx_open(at("child.avhdx"), &o, &v, &e), 0);
    assert_int_equal(vhdx_parent_link(v)->linkage, 0);
    vhdx_close(v);
    o.flags = VHDX_OPEN_NO_PARENT;
    assert_int_equal(vhdx_open(at("child.avhdx"), &o, &v, &e), 0);
    assert_null(vhdx_parent(v));
    vhdx_close(v);
}

static void test_chain512(void **state)
{
    (void)state;
    chain_case(512);
}

static void test_chain4096(void **state)
{
    (void)state;
    chain_case(4096);
}

struct probs {
    int n, errors;
    char first[256];
};

static void on_problem(const struct vhdx_problem *p, void *ctx)
{
    struct probs *ps = ctx;
    if (!ps->n)
        snprintf(ps->first, sizeof ps->first, "%s@%llx", p->what, (unsigned long long)p->offset);
    ps->n++;
    ps->errors += p->severity == VHDX_ERROR;
}

static void test_check_collects(void **state)
{
    (void)state;
    struct spec s = { 4 * MiB, MiB, 512, 0, PG, { { 0 } }, NULL, NULL, { 6, 6, 4, 6 }, 0x40, 0 };
    build("bad.vhdx", &s);
    /* Damage header 1's CRC and region table copy 2, and make block 3 overlap block 0. */
    FILE *f = fopen(at("bad.vhdx"), "r+b");
    uint8_t x = 0xEE;
    put(f, HDR1_OFFSET + 200, &x, 1);
    put(f, RT2_OFFSET + 300, &x, 1);
    uint8_t ent[8];
    vhdx_bat_entry_encode(bat_entry_make(6, DATA0), ent);
    put(f, 3 * MiB + 3 * 8, ent, 8);
    fclose(f);
    struct probs ps = { 0, 0, "" };
    struct hv_err e;
    int n = vhdx_check(at("bad.vhdx"), NULL, on_problem, &ps, &e);
    assert_int_equal(n, 4); /* header 1, region copy 2, state 4, overlap */
    assert_int_equal(ps.errors, 4);
    assert_string_equal(ps.first, "header@10004");
    /* The same file refuses to open (state 4 and the overlap are fatal). */
    vhdx *v;
    assert_int_equal(vhdx_open(at("bad.vhdx"), NULL, &v, &e), -1);
    assert_string_equal(e.what, "BAT");
    assert_int_equal(vhdx_check(at("missing.vhdx"), NULL, on_problem, &ps, &e), -1);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/hvk-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = { "base.vhdx", "Parent.VHDX", "child.avhdx", "bad.vhdx" };
    for (size_t i = 0; i < 4; i++)
        unlink(at(names[i]));
    rmdir(dir);
    return 0;
}

HVK_TEST_MAIN(setup, teardown,
              cmocka_unit_test(test_base_states), cmocka_unit_test(test_chain512),
              cmocka_unit_test(test_chain4096), cmocka_unit_test(test_check_collects))
