/* test_plan.c: hrl_plan last-writer-wins against a naive in-order replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "hrl_plan.h"

/* Small deterministic generator (xorshift), so failures reproduce. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_against_replay(const struct hrl_write *w, size_t n, size_t disk)
{
    uint8_t *naive = calloc(1, disk), *planned = calloc(1, disk);
    for (size_t i = 0; i < n; i++)
        memcpy(naive + w[i].off, w[i].data, w[i].len);
    struct hrl_plan p;
    struct hv_err e;
    assert_int_equal(hrl_plan_build(w, n, &p, &e), 0);
    uint64_t bytes = 0, last_end = 0;
    for (size_t i = 0; i < p.count; i++) {
        const struct hrl_extent *x = &p.ext[i];
        assert_true(x->len > 0);
        assert_true(x->off >= last_end); /* sorted and disjoint */
        assert_true(x->src + x->len <= w[x->write].len);
        memcpy(planned + x->off, w[x->write].data + x->src, x->len);
        last_end = x->off + x->len;
        bytes += x->len;
    }
    assert_int_equal(bytes, p.bytes);
    assert_memory_equal(naive, planned, disk);
    /* hrl_plan_find lands on the extent holding (or after) an offset. */
    for (size_t i = 0; i < p.count; i++) {
        assert_int_equal(hrl_plan_find(&p, p.ext[i].off), i);
        assert_int_equal(hrl_plan_find(&p, p.ext[i].off + p.ext[i].len - 1), i);
    }
    assert_int_equal(hrl_plan_find(&p, disk), p.count);
    hrl_plan_free(&p);
    free(naive);
    free(planned);
}

static void test_simple_overlaps(void **state)
{
    (void)state;
    static uint8_t a[4096], b[1024], c[512];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    memset(c, 'c', sizeof c);
    struct hrl_write w[] = {
        { 0, 4096, a, 0, 0 },    /* later split by b */
        { 1024, 1024, b, 0, 1 },
        { 1536, 512, c, 1, 0 },  /* inside b */
        { 8192, 0, a, 1, 1 },    /* empty: ignored */
    };
    struct hrl_plan p;
    struct hv_err e;
    assert_int_equal(hrl_plan_build(w, 4, &p, &e), 0);
    assert_int_equal(p.count, 4);
    assert_int_equal(p.ext[0].off, 0);    assert_int_equal(p.ext[0].len, 1024); assert_int_equal(p.ext[0].write, 0);
    assert_int_equal(p.ext[1].off, 1024); assert_int_equal(p.ext[1].len, 512);  assert_int_equal(p.ext[1].write, 1);
    assert_int_equal(p.ext[2].off, 1536); assert_int_equal(p.ext[2].len, 512);  assert_int_equal(p.ext[2].write, 2);
    assert_int_equal(p.ext[3].off, 2048); assert_int_equal(p.ext[3].len, 2048); assert_int_equal(p.ext[3].write, 0);
    assert_int_equal(p.ext[3].src, 2048);
    assert_int_equal(p.bytes, 4096);
    hrl_plan_free(&p);
    check_against_replay(w, 4, 16384);
}

static void test_same_range_rewritten(void **state)
{
    (void)state;
    static uint8_t x[3][512];
    for (int i = 0; i < 3; i++)
        memset(x[i], 'x' + i, 512);
    struct hrl_write w[] = { { 512, 512, x[0], 0, 0 }, { 512, 512, x[1], 0, 1 }, { 512, 512, x[2], 0, 2 } };
    struct hrl_plan p;
    struct hv_err e;
    assert_int_equal(hrl_plan_build(w, 3, &p, &e), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.ext[0].write, 2);
    hrl_plan_free(&p);
    assert_int_equal(hrl_plan_build(w, 0, &p, &e), 0);
    assert_int_equal(p.count, 0);
    hrl_plan_free(&p);
}

static void test_random_against_replay(void **state)
{
    (void)state;
    enum { DISK = 1 << 20, N = 3000 };
    uint64_t s = 0x9e3779b97f4a7c15ull;
    uint8_t *payload = malloc(N * 16384);
    for (size_t i = 0; i < (size_t)N * 16384; i++)
        payload[i] = (uint8_t)rnd(&s);
    struct hrl_write *w = calloc(N, sizeof *w);
    for (size_t i = 0; i < N; i++) {
        uint64_t len = 512 * (1 + rnd(&s) % 32);
        uint64_t off = 512 * (rnd(&s) % ((DISK - len) / 512 + 1));
        w[i] = (struct hrl_write){ off, len, payload + i * 16384, (uint32_t)(i / 1000), i % 1000 };
    }
    check_against_replay(w, N, DISK);
    free(w);
    free(payload);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_simple_overlaps), cmocka_unit_test(test_same_range_rewritten),
              cmocka_unit_test(test_random_against_replay))
