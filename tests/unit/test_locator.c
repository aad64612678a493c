/* test_locator.c: locator.c: UTF-16 decoding (surrogates, odd lengths, NULs),
 * round trip, duplicate keys, bounds, entry limits, truncation sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "layout.h"

static uint8_t buf[65536];

static size_t make(const char *const *kv, size_t n)
{
    struct vhdx_locator l = { VHDX_LOCATOR_TYPE_VHDX, n, calloc(n, sizeof(struct vhdx_locator_kv)) };
    for (size_t i = 0; i < n; i++) {
        l.kv[i].key = (char *)kv[2 * i];
        l.kv[i].value = (char *)kv[2 * i + 1];
    }
    size_t sz = vhdx_locator_encode(&l, buf, sizeof buf);
    free(l.kv);
    return sz;
}

static void test_roundtrip(void **state)
{
    (void)state;
    const char *kv[] = { "parent_linkage", "{ff34003b-11ed-4cf8-a166-b2be05e20b80}",
                         "relative_path", "..\\caf\xc3\xa9 \xf0\x9f\x92\xbe\\p.vhdx" };
    size_t sz = make(kv, 2);
    assert_int_equal(sz, 20 + 24 + 28 + 76 + 26 + 34);
    struct vhdx_locator l;
    struct hv_err e;
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0x200000), &l, &e), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(vhdx_locator_get(&l, "relative_path"), kv[3]);
    assert_string_equal(vhdx_locator_get(&l, "parent_linkage"), kv[1]);
    assert_null(vhdx_locator_get(&l, "volume_path"));
    /* The emoji is a surrogate pair on disk. */
    int found = 0;
    for (size_t i = 0; i + 4 <= sz; i += 2)
        if (le16(buf + i) == 0xD83D && le16(buf + i + 2) == 0xDCBE)
            found = 1;
    assert_true(found);
    vhdx_locator_free(&l);
    for (size_t n = 0; n < sz; n++) {
        assert_int_equal(vhdx_locator_parse(hv_span_make(buf, n, 0), &l, &e), -1);
        assert_null(l.kv);
    }
}

static void test_utf16(void **state)
{
    (void)state;
    char out[16];
    const uint8_t ok[] = { 'a', 0, 0x3D, 0xD8, 0xBE, 0xDC };
    assert_int_equal(vhdx_utf16le_to_utf8(ok, 6, out, sizeof out, 0), 0);
    assert_string_equal(out, "a\xf0\x9f\x92\xbe");
    assert_int_equal(vhdx_utf16le_to_utf8(ok, 5, out, sizeof out, 0), -1);    /* odd */
    assert_int_equal(vhdx_utf16le_to_utf8(ok, 4, out, sizeof out, 0), -1);    /* lone high */
    assert_int_equal(vhdx_utf16le_to_utf8(ok + 4, 2, out, sizeof out, 0), -1); /* lone low */
    const uint8_t nul[] = { 'a', 0, 0, 0, 'b', 0 };
    assert_int_equal(vhdx_utf16le_to_utf8(nul, 6, out, sizeof out, 0), -1);
    assert_int_equal(vhdx_utf16le_to_utf8(ok, 6, out, 4, 0), -1); /* no room */
}

static void test_rules(void **state)
{
    (void)state;
    struct vhdx_locator l;
    struct hv_err e;
    const char *kv[] = { "a", "x", "a", "y" };
    size_t sz = make(kv, 2);
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
    assert_non_null(strstr(e.msg, "duplicate"));
    sz = make(kv, 1);
    uint8_t *ent = buf + PL_HEADER_SIZE;
    put_le16(ent + PLE_OFF_VALUE_LENGTH, 1); /* odd */
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
    assert_non_null(strstr(e.msg, "odd"));
    sz = make(kv, 1);
    put_le32(ent + PLE_OFF_VALUE_OFFSET, 0xFFFFFFF0u);
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
    sz = make(kv, 1);
    put_le16(buf + PL_OFF_COUNT, 257);
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sizeof buf, 0), &l, &e), -1);
    put_le16(buf + PL_OFF_COUNT, 0);
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
    sz = make(kv, 1);
    buf[0] ^= 1; /* unknown locator type */
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
    assert_int_equal(e.code, HV_UNSUPPORTED);
    /* Embedded NUL in a value. */
    sz = make(kv, 1);
    put_le16(buf + le32(ent + PLE_OFF_VALUE_OFFSET), 0);
    assert_int_equal(vhdx_locator_parse(hv_span_make(buf, sz, 0), &l, &e), -1);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_utf16), cmocka_unit_test(test_rules))
