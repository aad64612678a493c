/* test_bat.c: bat.c and bitmap.c: the section 8.4 count table, index
 * formulas, entry round trip, geometry limits, bitmap runs (LSB first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include "layout.h"

static void row(uint64_t vsize, uint32_t bs, uint32_t lss, int diff, uint32_t ratio,
                uint64_t data, uint64_t sb, uint64_t total)
{
    struct vhdx_geom g;
    struct hv_err e;
    assert_int_equal(vhdx_bat_geometry(vsize, bs, lss, diff, &g, &e), 0);
    assert_int_equal(g.chunk_ratio, ratio);
    assert_true(g.data_blocks == data);
    assert_true(g.sb_blocks == sb);
    assert_true(g.total_entries == total);
}

static void test_count_table(void **state)
{
    (void)state;
    row(127 * GiB, 32 * MiB, 512, 0, 128, 4064, 32, 4095);
    row(127 * GiB, 32 * MiB, 512, 1, 128, 4064, 32, 4128);
    row(4 * GiB, 32 * MiB, 512, 0, 128, 128, 1, 128);
    row(4 * GiB + MiB, 32 * MiB, 512, 0, 128, 129, 2, 130);
    row(64 * TiB, MiB, 512, 0, 4096, 67108864, 16384, 67125247);
    row(64 * TiB, MiB, 4096, 1, 32768, 67108864, 2048, 67110912);
    row(10 * MiB, 32 * MiB, 512, 0, 128, 1, 1, 1); /* one block larger than the disk */
    row(256 * MiB, 256 * MiB, 512, 0, 16, 1, 1, 1);
}

static void test_indices(void **state)
{
    (void)state;
    struct vhdx_geom g;
    struct hv_err e;
    assert_int_equal(vhdx_bat_geometry(4 * GiB + MiB, 32 * MiB, 512, 0, &g, &e), 0);
    assert_int_equal(bat_payload_index(&g, 0), 0);
    assert_int_equal(bat_payload_index(&g, 127), 127);
    assert_int_equal(bat_sb_index(&g, 0), 128);
    assert_int_equal(bat_payload_index(&g, 128), 129);
    uint64_t v = bat_entry_make(6, 104 * MiB);
    assert_true(v == 0x6800006);
    uint8_t b[16];
    vhdx_bat_entry_encode(v, b + 8);
    uint64_t got;
    assert_int_equal(vhdx_bat_entry_parse(hv_span_make(b, 16, 0), 1, &got, &e), 0);
    assert_true(got == v);
    assert_int_equal(bat_state(got), 6);
    assert_true(bat_file_offset(got) == 104 * MiB);
    assert_int_equal(vhdx_bat_entry_parse(hv_span_make(b, 16, 0), 2, &got, &e), -1);
    assert_int_equal(vhdx_bat_entry_parse(hv_span_make(b, 15, 0), 1, &got, &e), -1);
    assert_int_equal(vhdx_bat_entry_parse(hv_span_make(b, 16, 0), UINT64_MAX / 4, &got, &e), -1);
}

static void test_limits(void **state)
{
    (void)state;
    struct vhdx_geom g;
    struct hv_err e;
    assert_int_equal(vhdx_bat_geometry(GiB, MiB / 2, 512, 0, &g, &e), -1);
    assert_int_equal(vhdx_bat_geometry(GiB, 512 * MiB, 512, 0, &g, &e), -1);
    assert_int_equal(vhdx_bat_geometry(GiB, 3 * MiB, 512, 0, &g, &e), -1);
    assert_int_equal(vhdx_bat_geometry(GiB, MiB, 2048, 0, &g, &e), -1);
    assert_int_equal(vhdx_bat_geometry(0, MiB, 512, 0, &g, &e), -1);
    assert_int_equal(vhdx_bat_geometry(64 * TiB + 512, MiB, 512, 0, &g, &e), -1);
}

static void test_bitmap(void **state)
{
    (void)state;
    uint8_t bits[32];
    memset(bits, 0, sizeof bits);
    bits[0] = 0x76; /* 0111 0110: sectors 1, 2, 4, 5, 6 */
    int v;
    assert_int_equal(vhdx_bitmap_run(bits, 0, 256, &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(vhdx_bitmap_run(bits, 1, 255, &v), 2);
    assert_int_equal(v, 1);
    assert_int_equal(vhdx_bitmap_run(bits, 3, 253, &v), 1);
    assert_int_equal(vhdx_bitmap_run(bits, 4, 252, &v), 3);
    assert_int_equal(vhdx_bitmap_run(bits, 7, 249, &v), 249);
    assert_int_equal(v, 0);
    memset(bits + 8, 0xFF, 16);
    assert_int_equal(vhdx_bitmap_run(bits, 64, 192, &v), 128);
    assert_int_equal(v, 1);
    assert_int_equal(vhdx_bitmap_run(bits, 70, 10, &v), 10); /* limit respected */
    assert_int_equal(vhdx_bitmap_count(bits, 0, 256), 5 + 128);
    assert_int_equal(vhdx_bitmap_count(bits, 1, 3), 2);
    assert_int_equal(vhdx_bitmap_run(bits, 0, 0, &v), 0);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_count_table), cmocka_unit_test(test_indices),
              cmocka_unit_test(test_limits), cmocka_unit_test(test_bitmap))
