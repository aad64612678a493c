/* test_metadata.c: metadata.c: table round trip, known items, unknown
 * required/optional items, bounds and overlap rules, truncation sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include "layout.h"

#define REGION (1024 * 1024)
static uint8_t region[REGION];
static struct vhdx_meta_table t, back;

/* A metadata region as qemu lays it out: table, then the five items. */
static void build(uint32_t bs, uint64_t vsize, uint32_t lss)
{
    memset(region, 0, sizeof region);
    memset(&t, 0, sizeof t);
    t.count = 5;
    t.e[0] = (struct vhdx_meta_entry){ VHDX_META_FILE_PARAMETERS, 0x10000, 8, 4 };
    t.e[1] = (struct vhdx_meta_entry){ VHDX_META_VIRTUAL_DISK_SIZE, 0x10008, 8, 6 };
    t.e[2] = (struct vhdx_meta_entry){ VHDX_META_VIRTUAL_DISK_ID, 0x10010, 16, 6 };
    t.e[3] = (struct vhdx_meta_entry){ VHDX_META_LOGICAL_SECTOR_SIZE, 0x10020, 4, 6 };
    t.e[4] = (struct vhdx_meta_entry){ VHDX_META_PHYSICAL_SECTOR_SIZE, 0x10024, 4, 6 };
    vhdx_metadata_table_encode(&t, region);
    vhdx_meta_file_parameters_encode(bs, 0, region + 0x10000);
    vhdx_meta_u64_encode(vsize, region + 0x10008);
    memset(region + 0x10010, 0xAB, 16);
    vhdx_meta_u32_encode(lss, region + 0x10020);
    vhdx_meta_u32_encode(4096, region + 0x10024);
}

static int parse(struct vhdx_meta_values *v, struct hv_err *e)
{
    struct hv_span s = hv_span_make(region, REGION, 2 * MiB);
    if (vhdx_metadata_table_parse(s, &back, e))
        return -1;
    return vhdx_metadata_values_parse(s, &back, v, e);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct vhdx_meta_values v;
    struct hv_err e;
    build(32 * MiB, 10 * GiB, 512);
    assert_int_equal(parse(&v, &e), 0);
    assert_int_equal(back.count, 5);
    assert_memory_equal(back.e, t.e, 5 * sizeof t.e[0]);
    assert_int_equal(v.block_size, 32 * MiB);
    assert_true(v.virtual_size == 10 * GiB);
    assert_int_equal(v.logical_sector_size, 512);
    assert_int_equal(v.physical_sector_size, 4096);
    assert_int_equal(v.virtual_disk_id.b[3], 0xAB);
    assert_int_equal(v.has_locator, 0);
}

static void test_rules(void **state)
{
    (void)state;
    struct vhdx_meta_values v;
    struct hv_err e;
    build(3 * MiB, GiB, 512); /* not a power of 2 */
    assert_int_equal(parse(&v, &e), -1);
    assert_int_equal(e.offset, 2 * MiB + 0x10000);
    build(512 * MiB, GiB, 512);
    assert_int_equal(parse(&v, &e), -1);
    build(MiB, GiB, 1024);
    assert_int_equal(parse(&v, &e), -1);
    build(MiB, GiB + 512, 4096); /* not a multiple of the sector size */
    assert_int_equal(parse(&v, &e), -1);
    build(MiB, 64 * TiB + 4096, 4096);
    assert_int_equal(parse(&v, &e), -1);
    build(MiB, 64 * TiB, 4096);
    assert_int_equal(parse(&v, &e), 0);
    /* Unknown required item -> UNSUPPORTED; unknown optional ignored. */
    build(MiB, GiB, 512);
    t.count = 6;
    t.e[5] = (struct vhdx_meta_entry){ { { 1, 2, 3 } }, 0x10100, 8, 4 };
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    assert_int_equal(e.code, HV_UNSUPPORTED);
    t.e[5].flags = 0;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), 0);
    /* Item past the region end, overlapping items, item inside the table. */
    t.e[5].offset = REGION - 4;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    t.e[5].offset = 0x10004;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    assert_non_null(strstr(e.msg, "overlaps"));
    t.e[5].offset = 0x100;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    /* Missing item; wrong known-item size; differencing without a locator. */
    build(MiB, GiB, 512);
    t.count = 4;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    assert_non_null(strstr(e.msg, "missing"));
    build(MiB, GiB, 512);
    t.e[0].length = 4;
    vhdx_metadata_table_encode(&t, region);
    assert_int_equal(parse(&v, &e), -1);
    build(MiB, GiB, 512);
    vhdx_meta_file_parameters_encode(MiB, FP_HAS_PARENT, region + 0x10000);
    assert_int_equal(parse(&v, &e), -1);
    /* Entry count above 2047. */
    build(MiB, GiB, 512);
    put_le16(region + MT_OFF_ENTRY_COUNT, 2048);
    assert_int_equal(parse(&v, &e), -1);
    assert_int_equal(e.offset, 2 * MiB + MT_OFF_ENTRY_COUNT);
}

static void test_truncation(void **state)
{
    (void)state;
    struct hv_err e;
    build(MiB, GiB, 512);
    for (size_t n = 0; n < MT_SIZE; n += 97)
        assert_int_equal(vhdx_metadata_table_parse(hv_span_make(region, n, 0), &back, &e), -1);
    /* Region cut inside the items: the table check must catch it. */
    assert_int_equal(vhdx_metadata_table_parse(hv_span_make(region, 0x10020, 0), &back, &e), -1);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_rules),
              cmocka_unit_test(test_truncation))
