/* hvk_test.h: the one main() of every CMocka unit test:
 *   HVK_TEST_MAIN(setup, teardown, cmocka_unit_test(test_a), cmocka_unit_test(test_b))
 * runs the group and returns CMocka's status. */
#ifndef HVK_TEST_H
#define HVK_TEST_H

#define HVK_TEST_MAIN(setup, teardown, ...)                        \
    int main(void)                                                 \
    {                                                              \
        const struct CMUnitTest tests_[] = { __VA_ARGS__ };        \
        return cmocka_run_group_tests(tests_, setup, teardown);    \
    }

#endif
