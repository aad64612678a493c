/* test_hrl_checksum.c: the one HRL checksum: vectorised == scalar for every
 * length 0..300 at every misalignment, large buffers, and the skipped field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "hrl_impl.h"

static void test_vector_equals_scalar(void **state)
{
    (void)state;
    static uint8_t buf[300 + 64];
    srand(7);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = round == 3 ? 0xFF : (uint8_t)rand();
        for (size_t mis = 0; mis < 32; mis++)
            for (size_t n = 0; n <= 300; n++)
            {
                assert_int_equal(hrl_sum(buf + mis, n), hrl_sum_scalar(buf + mis, n));
                assert_int_equal(hrl_sum_swar(buf + mis, n), hrl_sum_scalar(buf + mis, n));
            }
    }
}

static void test_large(void **state)
{
    (void)state;
    size_t n = (32u << 20) + 13;
    uint8_t *p = malloc(n);
    assert_non_null(p);
    memset(p, 0xFF, n); /* 0xFF everywhere: the sum wraps 2^32 more than twice */
    assert_int_equal(hrl_sum(p + 3, n - 3), hrl_sum_scalar(p + 3, n - 3));
    assert_int_equal(hrl_sum_swar(p + 3, n - 3), hrl_sum_scalar(p + 3, n - 3));
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 2654435761u >> 13);
    assert_int_equal(hrl_sum(p + 1, n - 1), hrl_sum_scalar(p + 1, n - 1));
    free(p);
}

static void test_skip(void **state)
{
    (void)state;
    uint8_t b[32] = { 0 };
    assert_int_equal(hrl_checksum(b, 32, 12), 0xFFFFFFFFu); /* empty metadata header */
    b[12] = 0xAB; /* the skipped field does not count */
    b[15] = 0xCD;
    assert_int_equal(hrl_checksum(b, 32, 12), 0xFFFFFFFFu);
    b[0] = 1;
    assert_int_equal(hrl_checksum(b, 32, 12), 0xFFFFFFFEu);
    assert_int_equal(hrl_checksum(b, 32, HRL_NO_SKIP), ~(uint32_t)(1 + 0xAB + 0xCD));
    assert_int_equal(hrl_checksum(b, 0, HRL_NO_SKIP), 0xFFFFFFFFu);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_vector_equals_scalar), cmocka_unit_test(test_large),
              cmocka_unit_test(test_skip))
