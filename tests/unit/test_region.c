/* test_region.c: region.c: section 13 CRC vector, round trip, rule checks,
 * truncation sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include "hv_crc.h"
#include "layout.h"

static struct vhdx_region_table rt, back;
static uint8_t buf[RT_SIZE];

static void vector(void)
{
    memset(&rt, 0, sizeof rt);
    rt.count = 2;
    rt.e[0] = (struct vhdx_region){ VHDX_REGION_BAT, 3 * MiB, MiB, 1 };
    rt.e[1] = (struct vhdx_region){ VHDX_REGION_METADATA, 2 * MiB, MiB, 1 };
}

static void test_vector(void **state)
{
    (void)state;
    vector();
    vhdx_region_encode(&rt, buf);
    assert_int_equal(le32(buf + 4), 0xC66B8CAEu);
    static const uint8_t e0[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                                    0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
    assert_memory_equal(buf + 16, e0, 16);
    struct hv_err e;
    assert_int_equal(vhdx_region_parse(hv_span_make(buf, RT_SIZE, RT1_OFFSET), &back, &e), 0);
    assert_int_equal(back.count, 2);
    assert_memory_equal(back.e, rt.e, 2 * sizeof rt.e[0]);
}

static int parse_modified(void (*mod)(void), struct hv_err *e)
{
    vector();
    mod();
    vhdx_region_encode(&rt, buf);
    return vhdx_region_parse(hv_span_make(buf, RT_SIZE, RT1_OFFSET), &back, e);
}

static void m_unaligned(void) { rt.e[0].file_offset += 4096; }
static void m_overlap(void) { rt.e[0].file_offset = 2 * MiB; }
static void m_dup(void) { rt.e[1].guid = VHDX_REGION_BAT; rt.e[1].file_offset = 5 * MiB; }
static void m_unknown_req(void) { rt.e[1].guid.b[0] ^= 1; }
static void m_unknown_opt(void) { rt.e[1].guid.b[0] ^= 1; rt.e[1].required = 0; }
static void m_in_header(void) { rt.e[0].file_offset = 0; }

static void test_rules(void **state)
{
    (void)state;
    struct hv_err e;
    assert_int_equal(parse_modified(m_unaligned, &e), -1);
    assert_int_equal(e.offset, RT1_OFFSET + 16 + 16);
    assert_int_equal(parse_modified(m_overlap, &e), -1);
    assert_non_null(strstr(e.msg, "overlaps"));
    assert_int_equal(parse_modified(m_dup, &e), -1);
    assert_int_equal(parse_modified(m_unknown_req, &e), -1);
    assert_int_equal(e.code, HV_UNSUPPORTED);
    assert_int_equal(parse_modified(m_unknown_opt, &e), 0);
    assert_int_equal(parse_modified(m_in_header, &e), -1);
    /* Count above 2047, with a valid CRC. */
    vector();
    vhdx_region_encode(&rt, buf);
    put_le32(buf + RT_OFF_ENTRY_COUNT, 4096);
    put_le32(buf + 4, hv_crc32c_skip(buf, RT_SIZE, 4));
    assert_int_equal(vhdx_region_parse(hv_span_make(buf, RT_SIZE, RT1_OFFSET), &back, &e), -1);
    char msg[1400];
    e.file[0] = 0;
    hv_err_file(&e, "a.vhdx");
    assert_string_equal(hv_err_format(&e, msg, sizeof msg),
                        "'a.vhdx': region table at 0x30008: entry count 4096 above 2047");
    /* A bit flip anywhere, even in the reserved tail, breaks the CRC. */
    vector();
    vhdx_region_encode(&rt, buf);
    buf[RT_SIZE - 1] ^= 0x80;
    assert_int_equal(vhdx_region_parse(hv_span_make(buf, RT_SIZE, RT1_OFFSET), &back, &e), -1);
    assert_int_equal(e.offset, RT1_OFFSET + 4);
}

static void test_truncation(void **state)
{
    (void)state;
    struct hv_err e;
    vector();
    vhdx_region_encode(&rt, buf);
    for (size_t n = 0; n < RT_SIZE; n += 61)
        assert_int_equal(vhdx_region_parse(hv_span_make(buf, n, 0), &back, &e), -1);
    assert_int_equal(vhdx_region_parse(hv_span_make(buf, RT_SIZE - 1, 0), &back, &e), -1);
}


HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_vector), cmocka_unit_test(test_rules),
              cmocka_unit_test(test_truncation))
