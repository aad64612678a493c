/* test_hv_walk.c: hv_walk() resolves below its root only: "..", absolute
 * paths and symbolic links (absolute or relative, pointing out of the root or
 * staying inside it) are refused at every depth, with openat2 and with the
 * portable openat walk alike; nothing is ever created outside the root. */
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

#include "hv_walk.h"

struct fx {
    char top[256];     /* holds root/ and outside/ */
    char root[300];
    char outside[300];
    int rfd;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    const char *t = getenv("TMPDIR");
    snprintf(f->top, sizeof f->top, "%s/hvk-walk.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(f->top))
        return -1;
    snprintf(f->root, sizeof f->root, "%s/root", f->top);
    snprintf(f->outside, sizeof f->outside, "%s/outside", f->top);
    char p[400];
    if (mkdir(f->root, 0755) || mkdir(f->outside, 0755))
        return -1;
    /* root/a/b/c/ and outside/a/b/c/ (so an escape would find its way) */
    const char *dirs[] = { "a", "a/b", "a/b/c", "in" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", f->root, dirs[i]);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/%s", f->outside, dirs[i]);
        mkdir(p, 0755);
    }
    f->rfd = hv_walk_root(f->root);
    *state = f;
    return f->rfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[400];
    close(f->rfd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->top);
    int rc = system(cmd);
    free(f);
    return rc;
}

static int walk(struct fx *f, const char *rel, unsigned flags, struct hv_walk *w)
{
    struct hv_err e;
    hv_err_clear(&e);
    int rc = hv_walk(f->rfd, rel, flags, w, &e);
    if (rc == HV_WALK_OK) {
        assert_true(w->dirfd >= 0);
        close(w->dirfd);
    } else {
        assert_int_equal(w->dirfd, -1);
    }
    return rc;
}

static const unsigned modes[2] = { 0, HV_WALK_PORTABLE };

static void test_plain(void **state)
{
    struct fx *f = *state;
    struct hv_walk w;
    for (int m = 0; m < 2; m++) {
        assert_int_equal(walk(f, "a/b/c/x.vhdx", modes[m], &w), HV_WALK_OK);
        assert_string_equal(w.leaf, "x.vhdx");
        assert_int_equal(walk(f, "x.vhdx", modes[m], &w), HV_WALK_OK);
        assert_string_equal(w.leaf, "x.vhdx");
        assert_int_equal(walk(f, "a/nope/x.vhdx", modes[m], &w), HV_WALK_ABSENT);
        assert_int_equal((int)w.bad_len, (int)strlen("a/nope"));
    }
    /* create makes the directories, below the root only */
    assert_int_equal(walk(f, "a/new1/new2/x.vhdx", HV_WALK_CREATE, &w), HV_WALK_OK);
    char p[400];
    struct stat st;
    snprintf(p, sizeof p, "%s/a/new1/new2", f->root);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void test_lexical(void **state)
{
    struct fx *f = *state;
    struct hv_walk w;
    const char *bad[] = { "../outside/x", "a/../../outside/x", "a/b/c/../../../../outside/x", "/etc/passwd",
                          "a//x", "./a/x", "a/./x", "a/..", "..", "a/b/", "" };
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
            assert_int_equal(walk(f, bad[i], modes[m] | HV_WALK_CREATE, &w), HV_WALK_UNSAFE);
    assert_int_equal(walk(f, "a/b/../x", 0, &w), HV_WALK_UNSAFE);
    assert_int_equal((int)w.bad_len, (int)strlen("a/b/.."));
}

/* Replaces directory root/<dir> by a link to `target` (kept as <dir>.real). */
static void swap_for_link(struct fx *f, const char *dir, const char *target)
{
    char from[400], to[420];
    snprintf(from, sizeof from, "%s/%s", f->root, dir);
    snprintf(to, sizeof to, "%s.real", from);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(symlink(target, from), 0);
}

static void unswap(struct fx *f, const char *dir)
{
    char from[400], to[420];
    snprintf(from, sizeof from, "%s/%s", f->root, dir);
    snprintf(to, sizeof to, "%s.real", from);
    assert_int_equal(unlink(from), 0);
    assert_int_equal(rename(to, from), 0);
}

static void test_links_every_depth(void **state)
{
    struct fx *f = *state;
    struct hv_walk w;
    const char *dirs[] = { "a", "a/b", "a/b/c" };
    const char *rel_in[] = { "in", "../in", "../../in" };        /* relative, stays inside */
    const char *rel_out[] = { "../outside/a", "../../outside/a/b", "../../../outside/a/b/c" };
    char abs_out[3][400];
    for (int d = 0; d < 3; d++)
        snprintf(abs_out[d], sizeof abs_out[d], "%s/%s", f->outside, dirs[d]);
    for (int d = 0; d < 3; d++) {
        const char *targets[3] = { abs_out[d], rel_out[d], rel_in[d] };
        for (int t = 0; t < 3; t++) {
            swap_for_link(f, dirs[d], targets[t]);
            for (int m = 0; m < 2; m++) {
                assert_int_equal(walk(f, "a/b/c/x.vhdx", modes[m], &w), HV_WALK_UNSAFE);
                assert_int_equal((int)w.bad_len, (int)strlen(dirs[d]));
                assert_int_equal(walk(f, "a/b/c/new/x.vhdx", modes[m] | HV_WALK_CREATE, &w), HV_WALK_UNSAFE);
            }
            unswap(f, dirs[d]);
        }
    }
    /* nothing was made outside through any of the links */
    char p[400];
    snprintf(p, sizeof p, "%s/a/b/c/new", f->outside);
    assert_int_equal(access(p, F_OK), -1);
    /* a file where a directory should be */
    snprintf(p, sizeof p, "%s/a/file", f->root);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    for (int m = 0; m < 2; m++)
        assert_int_equal(walk(f, "a/file/x.vhdx", modes[m], &w), HV_WALK_UNSAFE);
    /* the leaf is not the walk's business: a link there is returned as a name */
    snprintf(p, sizeof p, "%s/a/leaflink", f->root);
    assert_int_equal(symlink(f->outside, p), 0);
    assert_int_equal(walk(f, "a/leaflink", 0, &w), HV_WALK_OK);
    assert_string_equal(w.leaf, "leaflink");
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
              cmocka_unit_test_setup_teardown(test_lexical, setup, teardown),
              cmocka_unit_test_setup_teardown(test_links_every_depth, setup, teardown))
