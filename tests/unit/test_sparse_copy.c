/* test_sparse_copy.c: data extents copied byte for byte, holes kept, injected
 * failures reported. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparse_copy.h"

#define MiB (1u << 20)

static int tmpfile_fd(char *path)
{
    const char *d = getenv("TMPDIR");
    snprintf(path, 256, "%s/hvk-sc.XXXXXX", d && *d ? d : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    return fd;
}

static void put(int fd, uint64_t off, size_t len, uint8_t seed)
{
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed + i * 7);
    assert_int_equal(pwrite(fd, b, len, (off_t)off), (ssize_t)len);
    free(b);
}

static void test_copy_keeps_holes(void **state)
{
    (void)state;
    char ps[256], pd[256];
    int in = tmpfile_fd(ps), out = tmpfile_fd(pd);
    /* data at 0, a hole, data at 8 MiB (unaligned length), a trailing hole */
    put(in, 0, 3 * MiB, 1);
    put(in, 8 * MiB, MiB + 123, 2);
    assert_int_equal(ftruncate(in, 20 * MiB), 0);
    struct sparse_copy_stats st;
    struct hv_err e;
    assert_int_equal(sparse_copy_fd(in, out, NULL, &st, &e), 0);
    assert_int_equal(st.size, 20 * MiB);
    assert_true(st.data_bytes >= 4 * MiB + 123 && st.data_bytes < 20 * MiB);

    uint8_t *a = malloc(20 * MiB), *b = malloc(20 * MiB);
    assert_int_equal(pread(in, a, 20 * MiB, 0), 20 * MiB);
    assert_int_equal(pread(out, b, 20 * MiB, 0), 20 * MiB);
    assert_memory_equal(a, b, 20 * MiB);
    free(a);
    free(b);
    /* the gap and the tail are holes in the copy too (file systems with SEEK_HOLE) */
    off_t h = lseek(out, 0, SEEK_HOLE);
    if (h >= 0 && h < (off_t)(20 * MiB)) {
        assert_true(h <= (off_t)(8 * MiB));
        assert_true(lseek(out, 4 * MiB, SEEK_DATA) >= (off_t)(4 * MiB));
        uint64_t ai, ao;
        assert_int_equal(sparse_allocated(in, &ai, &e), 0);
        assert_int_equal(sparse_allocated(out, &ao, &e), 0);
        assert_true(ao < 8 * MiB);
    }
    close(in);
    close(out);
    unlink(ps);
    unlink(pd);
}

static void test_injected_failure(void **state)
{
    (void)state;
    char ps[256], pd[256];
    int in = tmpfile_fd(ps), out = tmpfile_fd(pd);
    put(in, 0, 4 * MiB, 3);
    struct sparse_copy_opts o = { NULL, NULL, MiB, 0, NULL };
    struct hv_err e;
    hv_err_clear(&e);
    assert_int_equal(sparse_copy_fd(in, out, &o, NULL, &e), -1);
    assert_int_equal(e.code, HV_IO);
    assert_non_null(strstr(e.msg, "injected"));
    close(in);
    close(out);
    unlink(ps);
    unlink(pd);
}

static void test_empty(void **state)
{
    (void)state;
    char ps[256], pd[256];
    int in = tmpfile_fd(ps), out = tmpfile_fd(pd);
    struct sparse_copy_stats st;
    struct hv_err e;
    assert_int_equal(sparse_copy_fd(in, out, NULL, &st, &e), 0);
    assert_int_equal(st.size, 0);
    assert_int_equal(st.data_bytes, 0);
    close(in);
    close(out);
    unlink(ps);
    unlink(pd);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_copy_keeps_holes), cmocka_unit_test(test_injected_failure),
              cmocka_unit_test(test_empty))
