/* test_header.c: header.c: file identifier, headers (section 13 CRC vector),
 * current-header selection, truncation sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include "layout.h"
#include "vhdx.h"

static void vector_header(struct vhdx_header *h)
{
    memset(h, 0, sizeof *h);
    h->seq = 1;
    hv_guid_parse("{01234567-89AB-CDEF-0123-456789ABCDEF}", 38, &h->file_write_guid);
    hv_guid_parse("{FEDCBA98-7654-3210-FEDC-BA9876543210}", 38, &h->data_write_guid);
    h->version = 1;
    h->log_length = 0x100000;
    h->log_offset = 0x100000;
}

static void test_vector(void **state)
{
    (void)state;
    static uint8_t buf[HDR_SIZE];
    struct vhdx_header h, back;
    vector_header(&h);
    vhdx_header_encode(&h, buf);
    assert_int_equal(le32(buf + 4), 0x146435B7u);
    static const uint8_t first[16] = { 0x68, 0x65, 0x61, 0x64, 0xb7, 0x35, 0x64, 0x14,
                                       0x01, 0, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(buf, first, 16);
    assert_int_equal(buf[16], 0x67);
    assert_int_equal(buf[32], 0x98);
    struct hv_err e;
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0x10000), &back, &e), 0);
    assert_int_equal(back.checksum, 0x146435B7u);
    assert_true(back.seq == h.seq);
    assert_true(hv_guid_eq(&back.file_write_guid, &h.file_write_guid));
    assert_true(hv_guid_eq(&back.data_write_guid, &h.data_write_guid));
    assert_true(hv_guid_eq(&back.log_guid, &h.log_guid));
    assert_int_equal(back.version, 1);
    assert_int_equal(back.log_version, 0);
    assert_int_equal(back.log_length, h.log_length);
    assert_true(back.log_offset == h.log_offset);
}

static void test_bad(void **state)
{
    (void)state;
    static uint8_t buf[HDR_SIZE];
    struct vhdx_header h, out;
    struct hv_err e;
    vector_header(&h);
    vhdx_header_encode(&h, buf);
    buf[100] ^= 1; /* reserved byte: CRC must catch it */
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0x10000), &out, &e), -1);
    assert_int_equal(e.code, HV_CORRUPT);
    assert_int_equal(e.offset, 0x10004);
    assert_non_null(strstr(e.msg, "checksum"));
    h.version = 2;
    vhdx_header_encode(&h, buf);
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0), &out, &e), -1);
    assert_int_equal(e.code, HV_UNSUPPORTED);
    vector_header(&h);
    h.log_offset = 0x80000;
    vhdx_header_encode(&h, buf);
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0), &out, &e), -1);
    vector_header(&h);
    hv_guid_random(&h.log_guid);
    h.log_version = 1;
    vhdx_header_encode(&h, buf);
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0), &out, &e), -1);
    h.log_guid = (struct hv_guid){ { 0 } }; /* LogVersion only matters with a log */
    vhdx_header_encode(&h, buf);
    assert_int_equal(vhdx_header_parse(hv_span_make(buf, HDR_SIZE, 0), &out, &e), 0);
}

static void test_truncation(void **state)
{
    (void)state;
    static uint8_t buf[HDR_SIZE];
    struct vhdx_header h, out;
    struct hv_err e;
    vector_header(&h);
    vhdx_header_encode(&h, buf);
    for (size_t n = 0; n < HDR_SIZE; n++)
        assert_int_equal(vhdx_header_parse(hv_span_make(buf, n, 0), &out, &e), -1);
}

static void test_select(void **state)
{
    (void)state;
    struct vhdx_header h[2];
    memset(h, 0, sizeof h);
    int tie;
    h[0].seq = 5;
    h[1].seq = 6;
    assert_int_equal(vhdx_header_select(h, (int[]){ 1, 1 }, &tie), 1);
    assert_int_equal(tie, 0);
    assert_int_equal(vhdx_header_select(h, (int[]){ 1, 0 }, &tie), 0);
    assert_int_equal(vhdx_header_select(h, (int[]){ 0, 1 }, &tie), 1);
    assert_int_equal(vhdx_header_select(h, (int[]){ 0, 0 }, &tie), -1);
    h[1].seq = 5;
    assert_int_equal(vhdx_header_select(h, (int[]){ 1, 1 }, &tie), 0);
    assert_int_equal(tie, 1);
    h[0].seq = 9;
    assert_int_equal(vhdx_header_select(h, (int[]){ 1, 1 }, &tie), 0);
}

static void test_fti(void **state)
{
    (void)state;
    static uint8_t buf[FTI_SIZE];
    struct vhdx_fti f = { "QEMU v7.2" }, out;
    struct hv_err e;
    vhdx_fti_encode(&f, buf);
    assert_int_equal(vhdx_probe(buf, sizeof buf), 100);
    assert_int_equal(vhdx_fti_parse(hv_span_make(buf, FTI_SIZE, 0), &out, &e), 0);
    assert_string_equal(out.creator, "QEMU v7.2");
    for (size_t n = 0; n < FTI_OFF_RESERVED; n += 7)
        assert_int_equal(vhdx_fti_parse(hv_span_make(buf, n, 0), &out, &e), -1);
    memcpy(buf, "msctlog\0", 8);
    assert_int_equal(vhdx_probe(buf, sizeof buf), 0);
    assert_int_equal(vhdx_fti_parse(hv_span_make(buf, FTI_SIZE, 0), &out, &e), -1);
    assert_int_equal(e.code, HV_FORMAT);
    assert_non_null(strstr(e.msg, "try 'hrl info'"));
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_vector), cmocka_unit_test(test_bad),
              cmocka_unit_test(test_truncation), cmocka_unit_test(test_select), cmocka_unit_test(test_fti))
