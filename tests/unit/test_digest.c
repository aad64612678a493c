/* test_digest.c: hv_digest tree digest, whole and incremental. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "hv_digest.h"

struct mem { uint8_t *p; uint64_t size; int reads; };

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    struct mem *m = ctx;
    if (off + len > m->size)
        return hv_failx(e, HV_IO, "mem", "read past end");
    memcpy(buf, m->p + off, len);
    m->reads++;
    return 0;
}

/* Everything at or above 3 MiB is reported as known zeros. */
static int mem_zero(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    (void)len;
    return off >= 3 * HV_DIGEST_PIECE;
}

/* The definition, spelled out: SHA-256 over SHA-256 of each MiB. */
static void reference(const uint8_t *p, uint64_t size, uint8_t out[32])
{
    uint64_t n = (size + HV_DIGEST_PIECE - 1) / HV_DIGEST_PIECE;
    uint8_t *cat = malloc(n * 32 + 1);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = size - i * HV_DIGEST_PIECE;
        if (len > HV_DIGEST_PIECE)
            len = HV_DIGEST_PIECE;
        hv_sha256(p + i * HV_DIGEST_PIECE, len, cat + i * 32);
    }
    hv_sha256(cat, n * 32, out);
    free(cat);
}

/* Known zeros in [1, 2) MiB and from 4 MiB on (a sparse disk). */
static int mem_zero_gaps(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    uint64_t end = off + len;
    return (off >= HV_DIGEST_PIECE && end <= 2 * HV_DIGEST_PIECE) || off >= 4 * HV_DIGEST_PIECE;
}

/* The streaming digest equals the definition, with and without zero runs,
 * for short and whole last pieces, and its whole-disk SHA-256 too. */
static void test_streaming(void **state)
{
    (void)state;
    uint64_t sizes[] = { 9 * HV_DIGEST_PIECE + 4096, 9 * HV_DIGEST_PIECE, 4096, 0 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t size = sizes[k];
        struct mem m = { calloc(1, size + 1), size, 0 };
        for (uint64_t i = 0; i < size && i < HV_DIGEST_PIECE; i++)
            m.p[i] = (uint8_t)(i * 5 + 1);
        for (uint64_t i = 2 * HV_DIGEST_PIECE; i < size && i < 4 * HV_DIGEST_PIECE; i++)
            m.p[i] = (uint8_t)(i * 3 + 2);
        uint8_t root[32], whole[32], want[32], want_whole[32];
        struct hv_err e;
        reference(m.p, size, want);
        hv_sha256(m.p, size, want_whole);
        struct hv_digest_source plain = { mem_read, NULL, NULL, &m };
        struct hv_digest_source sparse = { mem_read, mem_zero_gaps, NULL, &m };
        assert_int_equal(hv_tree_digest(size, &plain, root, whole, &e), 0);
        assert_memory_equal(root, want, 32);
        assert_memory_equal(whole, want_whole, 32);
        m.reads = 0;
        assert_int_equal(hv_tree_digest(size, &sparse, root, whole, &e), 0);
        assert_memory_equal(root, want, 32);
        assert_memory_equal(whole, want_whole, 32);
        assert_true(m.reads <= 2); /* only [0,1) and [2,4) MiB are read */
        free(m.p);
    }
}

static void test_full_and_incremental(void **state)
{
    (void)state;
    uint64_t size = 7 * HV_DIGEST_PIECE + 4096; /* short last piece */
    struct mem m = { calloc(1, size), size, 0 };
    for (uint64_t i = 0; i < 2 * HV_DIGEST_PIECE; i++)
        m.p[i] = (uint8_t)(i * 7 + 3);
    struct hv_digest_source src = { mem_read, NULL, NULL, &m };
    hv_tree *t;
    struct hv_err e;
    assert_int_equal(hv_tree_new(size, &t, &e), 0);
    assert_int_equal(hv_tree_pieces(t), 8);
    assert_int_equal(hv_tree_piece_len(t, 7), 4096);
    uint8_t whole[32], root[32], want[32];
    assert_int_equal(hv_tree_hash(t, &src, 0, 8, whole, &e), 0);
    hv_tree_root(t, root);
    reference(m.p, size, want);
    assert_memory_equal(root, want, 32);
    hv_sha256(m.p, size, want);
    assert_memory_equal(whole, want, 32);

    /* Change bytes in pieces 1 and 7, rehash only those. */
    m.p[HV_DIGEST_PIECE + 5] ^= 0xff;
    m.p[size - 1] = 9;
    assert_int_equal(hv_tree_hash(t, &src, 1, 1, NULL, &e), 0);
    assert_int_equal(hv_tree_hash(t, &src, 7, 1, NULL, &e), 0);
    hv_tree_root(t, root);
    reference(m.p, size, want);
    assert_memory_equal(root, want, 32);

    /* set_piece from a buffer gives the same digest. */
    hv_tree *c;
    assert_int_equal(hv_tree_copy(t, &c, &e), 0);
    m.p[10] = 1;
    hv_tree_set_piece(c, 0, m.p);
    hv_tree_root(c, root);
    reference(m.p, size, want);
    assert_memory_equal(root, want, 32);
    hv_tree_free(c);

    /* Out of range and "whole" on a part are refused. */
    assert_int_equal(hv_tree_hash(t, &src, 8, 1, NULL, &e), -1);
    assert_int_equal(hv_tree_hash(t, &src, 1, 2, whole, &e), -1);
    hv_tree_free(t);
    free(m.p);
}

static void test_known_zero_skips_reads(void **state)
{
    (void)state;
    uint64_t size = 16 * HV_DIGEST_PIECE;
    struct mem m = { calloc(1, size), size, 0 };
    memset(m.p, 0x5a, 3 * HV_DIGEST_PIECE);
    struct hv_digest_source src = { mem_read, mem_zero, NULL, &m };
    hv_tree *t;
    struct hv_err e;
    assert_int_equal(hv_tree_new(size, &t, &e), 0);
    uint8_t whole[32], root[32], want[32];
    assert_int_equal(hv_tree_hash(t, &src, 0, 16, whole, &e), 0);
    assert_int_equal(m.reads, 1); /* the 3 data pieces in one read, the rest skipped */
    hv_tree_root(t, root);
    reference(m.p, size, want);
    assert_memory_equal(root, want, 32);
    hv_sha256(m.p, size, want);
    assert_memory_equal(whole, want, 32);
    hv_tree_free(t);
    free(m.p);
}

static void test_hex_and_empty(void **state)
{
    (void)state;
    uint8_t d[32], back[32];
    char hex[65];
    hv_sha256("", 0, d);
    assert_string_equal(hv_digest_hex(d, hex),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(hv_digest_parse(hex, back), 0);
    assert_memory_equal(d, back, 32);
    assert_int_equal(hv_digest_parse("e3b0", back), -1);
    /* The zero-MiB digest is the well-known constant. */
    uint8_t *z = calloc(1, HV_DIGEST_PIECE);
    hv_sha256(z, HV_DIGEST_PIECE, d);
    assert_string_equal(hv_digest_hex(d, hex),
                        "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58");
    assert_true(hv_is_zero(z, HV_DIGEST_PIECE));
    z[HV_DIGEST_PIECE - 1] = 1;
    assert_false(hv_is_zero(z, HV_DIGEST_PIECE));
    z[HV_DIGEST_PIECE - 1] = 0;
    z[3] = 1;
    assert_false(hv_is_zero(z, 5));
    free(z);
    /* An empty disk has no pieces: root = SHA-256 of nothing. */
    hv_tree *t;
    struct hv_err e;
    assert_int_equal(hv_tree_new(0, &t, &e), 0);
    uint8_t root[32];
    hv_tree_root(t, root);
    hv_sha256("", 0, d);
    assert_memory_equal(root, d, 32);
    hv_tree_free(t);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_full_and_incremental), cmocka_unit_test(test_streaming),
              cmocka_unit_test(test_known_zero_skips_reads), cmocka_unit_test(test_hex_and_empty))
