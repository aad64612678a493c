/* test_prestage_fs.c: the target walk never follows a symbolic link below
 * the root, creates directories only when asked, and classifies the leaf. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "prestage_fs.h"

static void test_walk(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    char root[256], outside[300], p[400];
    snprintf(root, sizeof root, "%s/hvk-fs.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(root));
    snprintf(outside, sizeof outside, "%s/outside", root);
    assert_int_equal(mkdir(outside, 0755), 0);
    snprintf(p, sizeof p, "%s/r", root);
    assert_int_equal(mkdir(p, 0755), 0);
    char r[300];
    snprintf(r, sizeof r, "%s/r", root);

    int dfd;
    const char *leaf;
    struct hv_err e;
    hv_err_clear(&e);
    /* absent directories: reported, or made with create */
    assert_int_equal(ps_walk(r, "a/b/f.vhdx", 0, &dfd, &leaf, &e), PS_WALK_ABSENT);
    assert_int_equal(ps_walk(r, "a/b/f.vhdx", 1, &dfd, &leaf, &e), PS_WALK_OK);
    assert_string_equal(leaf, "f.vhdx");
    assert_int_equal(ps_leaf_kind(dfd, leaf), PS_LEAF_ABSENT);
    int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ps_leaf_kind(dfd, leaf), PS_LEAF_FILE);
    assert_int_equal(symlinkat(outside, dfd, "link"), 0);
    assert_int_equal(ps_leaf_kind(dfd, "link"), PS_LEAF_LINK);
    assert_int_equal(ps_leaf_kind(dfd, "."), PS_LEAF_OTHER);
    close(dfd);

    /* a link as a directory on the way is never walked through, even with create */
    snprintf(p, sizeof p, "%s/a/sneaky", r);
    assert_int_equal(symlink(outside, p), 0);
    assert_int_equal(ps_walk(r, "a/sneaky/x.vhdx", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);
    assert_int_equal(ps_walk(r, "a/sneaky/deeper/x.vhdx", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);
    snprintf(p, sizeof p, "%s/deeper", outside);
    assert_int_equal(access(p, F_OK), -1); /* nothing was made outside */
    /* a file where a directory should be */
    assert_int_equal(ps_walk(r, "a/b/f.vhdx/x.vhdx", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);
    /* components that prestage_path never produces are refused anyway */
    assert_int_equal(ps_walk(r, "../outside/x.vhdx", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);
    assert_int_equal(ps_walk(r, "a//x.vhdx", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);
    assert_int_equal(ps_walk(r, "a/..", 1, &dfd, &leaf, &e), PS_WALK_UNSAFE);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_walk))
