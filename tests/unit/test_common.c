/* test_common.c: the shared utilities: bounds gate, byte order, GUIDs, CRC-32C, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include <stdlib.h>

#include "hv_array.h"
#include "hv_bytes.h"
#include "hv_pool.h"
#include "hv_crc.h"
#include "hv_err.h"
#include "hv_guid.h"
#include "hv_zero.h"

#include <fcntl.h>
#include <unistd.h>

/* The one zero check: every position of a non-zero byte, every length,
 * unaligned starts; and page runs as the sparse writers use them. */
static void test_zero(void **state)
{
    (void)state;
    uint8_t *b = calloc(1, 3 * 4096 + 64);
    assert_non_null(b);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 600; n++) {
            assert_true(hv_is_zero(b + off, n));
            for (size_t at = 0; at < n; at += (n < 80 ? 1 : 37)) {
                b[off + at] = 0x80;
                assert_false(hv_is_zero(b + off, n));
                b[off + at] = 0;
            }
        }
    b[4096 + 100] = 1;  /* page 1 holds data */
    b[3 * 4096 + 5] = 1; /* the short last unit too */
    assert_int_equal(hv_zero_run(b, 3 * 4096 + 64, 4096, 1), 4096);
    assert_int_equal(hv_zero_run(b + 4096, 2 * 4096 + 64, 4096, 0), 4096);
    assert_int_equal(hv_zero_run(b + 2 * 4096, 4096 + 64, 4096, 1), 4096);
    assert_int_equal(hv_zero_run(b + 3 * 4096, 64, 4096, 0), 64);
    assert_int_equal(hv_zero_run(b, 0, 4096, 1), 0);
    free(b);
}

/* hv_data_next on a file with a hole between two data extents (file systems
 * without SEEK_HOLE report one extent: then only the bounds are checked). */
static void test_data_next(void **state)
{
    (void)state;
    char path[] = "/tmp/hvk-zero-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t blk[4096];
    memset(blk, 7, sizeof blk);
    assert_int_equal(pwrite(fd, blk, sizeof blk, 0), 4096);
    assert_int_equal(pwrite(fd, blk, sizeof blk, 1 << 20), 4096);
    assert_int_equal(ftruncate(fd, 2 << 20), 0);
    uint64_t d, h;
    assert_int_equal(hv_data_next(fd, 0, 2 << 20, &d, &h), 1);
    assert_int_equal(d, 0);
    int holes = h == 4096;
    assert_true(h == 4096 || h == (2u << 20));
    if (holes) {
        assert_int_equal(hv_data_next(fd, 4096, 2 << 20, &d, &h), 1);
        assert_int_equal(d, 1 << 20);
        assert_int_equal(h, (1 << 20) + 4096);
        assert_int_equal(hv_data_next(fd, h, 2 << 20, &d, &h), 0);  /* trailing hole */
        assert_int_equal(hv_data_next(fd, 4096, 8192, &d, &h), 0);     /* inside the hole */
        assert_int_equal(hv_data_next(fd, 100, 200, &d, &h), 1);      /* clipped */
        assert_int_equal(d, 100);
        assert_int_equal(h, 200);
    }
    close(fd);
}

static void test_span_bounds(void **state)
{
    (void)state;
    uint8_t buf[16] = { 0 };
    struct hv_span s = hv_span_make(buf, sizeof buf, 0x1000);
    assert_non_null(span_at(s, 0, 16));
    assert_non_null(span_at(s, 16, 0));
    assert_null(span_at(s, 17, 0));
    assert_null(span_at(s, 1, 16));
    assert_null(span_at(s, UINT64_MAX, 2));
    assert_null(span_at(s, 2, UINT64_MAX));
    struct hv_span sub;
    assert_int_equal(span_sub(s, 4, 8, &sub), 0);
    assert_int_equal(sub.off, 0x1004);
    assert_int_equal(sub.len, 8);
    assert_int_equal(span_sub(s, 12, 8, &sub), -1);
}

static void test_le(void **state)
{
    (void)state;
    uint8_t b[8];
    put_le64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 8);
    assert_int_equal(b[7], 1);
    assert_true(le64(b) == 0x0102030405060708ull);
    assert_int_equal(le32(b), 0x05060708);
    assert_int_equal(le16(b), 0x0708);
}

/* Test vectors from vhdx-format.md section 13. */
static void test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(hv_crc32c(0, "123456789", 9), 0xE3069283u);
    uint32_t c = hv_crc32c(0, "1234", 4);
    assert_int_equal(hv_crc32c(c, "56789", 5), 0xE3069283u);
    static uint8_t zeros[65536];
    assert_int_equal(hv_crc32c(0, zeros, 4096), 0x98F94189u);
    assert_int_equal(hv_crc32c(0, zeros, 65536), 0x72C0C4A4u);
    uint8_t b[8] = { 1, 2, 3, 4, 0xAA, 0xBB, 0xCC, 0xDD };
    uint8_t z[8] = { 1, 2, 3, 4, 0, 0, 0, 0 };
    assert_int_equal(hv_crc32c_skip(b, 8, 4), hv_crc32c(0, z, 8));
}

static void test_guid(void **state)
{
    (void)state;
    struct hv_guid g;
    const char *txt = "{2DC27766-F623-4200-9D64-115E9BFD4A08}";
    assert_int_equal(hv_guid_parse(txt, strlen(txt), &g), 0);
    const uint8_t want[16] = { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42,
                               0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 };
    assert_memory_equal(g.b, want, 16);
    char out[40];
    assert_string_equal(hv_guid_format(&g, 1, out), "{2dc27766-f623-4200-9d64-115e9bfd4a08}");
    assert_string_equal(hv_guid_format(&g, 0, out), "2dc27766-f623-4200-9d64-115e9bfd4a08");
    assert_int_equal(hv_guid_parse(txt + 1, 36, &g), 0);
    assert_int_equal(hv_guid_parse("{2DC27766-F623-4200-9D64-115E9BFD4A0}", 37, &g), -1);
    assert_int_equal(hv_guid_parse("{2DC27766-F623-4200-9D64-115E9BFD4A0G}", 38, &g), -1);
    assert_int_equal(hv_guid_parse("x2DC27766-F623-4200-9D64-115E9BFD4A08}", 38, &g), -1);
    struct hv_guid r1, r2;
    hv_guid_random(&r1);
    hv_guid_random(&r2);
    assert_false(hv_guid_eq(&r1, &r2));
    assert_false(hv_guid_is_zero(&r1));
}

static void test_err_format(void **state)
{
    (void)state;
    struct hv_err e;
    hv_err_clear(&e);
    assert_int_equal(hv_fail(&e, HV_CORRUPT, "region table", 0x30008, "entry count %u above %u", 4096u, 2047u), -1);
    hv_err_file(&e, "a.vhdx");
    hv_err_file(&e, "b.vhdx"); /* the first file named wins */
    char buf[1400];
    assert_string_equal(hv_err_format(&e, buf, sizeof buf),
                        "'a.vhdx': region table at 0x30008: entry count 4096 above 2047");
    assert_string_equal(hv_code_name(e.code), "CORRUPT");
    assert_int_equal(hv_fail(NULL, HV_IO, "x", 0, "y"), -1);
}

static void test_grow(void **state)
{
    (void)state;
    size_t cap = 0;
    int *a = hv_grow(NULL, &cap, 1, sizeof *a);
    assert_non_null(a);
    assert_int_equal(cap, 16); /* a floor, so tiny arrays do not realloc per item */
    assert_ptr_equal(hv_grow(a, &cap, 16, sizeof *a), a);
    int *b = hv_grow(a, &cap, 17, sizeof *a);
    assert_non_null(b);
    assert_int_equal(cap, 32); /* doubles */
    size_t before = cap;
    assert_null(hv_grow(b, &cap, SIZE_MAX / 2, sizeof *b)); /* overflow refused */
    assert_int_equal(cap, before);                       /* ... and nothing changed */
    free(b);
}

static void add_index(void *ctx, size_t i)
{
    ((unsigned char *)ctx)[i] += 1;
}

static void test_parallel_for(void **state)
{
    (void)state;
    unsigned char seen[1000] = { 0 };
    hv_parallel_for(1000, 4, add_index, seen);
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(seen[i], 1); /* every item exactly once */
    hv_parallel_for(0, 4, add_index, seen); /* nothing to do is fine */
    assert_true(hv_cpu_count(1) == 1);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_span_bounds), cmocka_unit_test(test_le),
              cmocka_unit_test(test_crc32c), cmocka_unit_test(test_guid),
              cmocka_unit_test(test_err_format), cmocka_unit_test(test_grow),
              cmocka_unit_test(test_parallel_for), cmocka_unit_test(test_zero),
              cmocka_unit_test(test_data_next))
