/* test_builder.c: the sequential image builder (vhdx/builder.c) read back
 * through the reader: FULLY/PARTIALLY_PRESENT, ZERO and NOT_PRESENT blocks of
 * a differencing child over a parent, streamed writes, and refused misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhdx.h"
#include "vhdx_write.h"

#define MB (1024 * 1024)
#define DISK (8 * MB)

struct fx {
    char dir[128], parent[160], child[160];
    uint8_t *pdata; /* the parent's virtual disk */
};

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hvk-builder.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->parent, sizeof f->parent, "%s/p.vhdx", f->dir);
    snprintf(f->child, sizeof f->child, "%s/c.vhdx", f->dir);
    f->pdata = malloc(DISK);
    fill(f->pdata, DISK, 1);
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK, .block_size = MB };
    vhdx_builder *b;
    assert_int_equal(vhdx_builder_begin(f->parent, &p, &b, &e), 0);
    /* streamed, in pieces, every block */
    for (uint64_t off = 0; off < DISK; off += 256 * 1024)
        assert_int_equal(vhdx_builder_write(b, f->pdata + off, 256 * 1024, off, &e), 0);
    assert_int_equal(vhdx_builder_finish(b, &e), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unlink(f->child);
    unlink(f->parent);
    rmdir(f->dir);
    free(f->pdata);
    free(f);
    return 0;
}

static uint8_t *read_all(const char *path)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img;
    if (vhdx_open(path, NULL, &img, &e) != 0) {
        char buf[1400];
        fail_msg("open: %s", hv_err_format(&e, buf, sizeof buf));
    }
    uint8_t *d = malloc(vhdx_virtual_size(img));
    assert_int_equal(vhdx_read(img, d, vhdx_virtual_size(img), 0, &e), 0);
    vhdx_close(img);
    return d;
}

static void test_parent_streamed(void **state)
{
    struct fx *f = *state;
    uint8_t *d = read_all(f->parent);
    assert_memory_equal(d, f->pdata, DISK);
    free(d);
}

static void ignore_problem(const struct vhdx_problem *p, void *ctx)
{
    (void)p;
    (void)ctx;
}

static void test_child_states(void **state)
{
    struct fx *f = *state;
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *parent;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    assert_int_equal(vhdx_open(f->parent, &o, &parent, &e), 0);
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    assert_int_equal(vhdx_parent_info_from(parent, f->child, NULL, &pi, store, sizeof store, &e), 0);
    vhdx_close(parent);
    assert_string_equal(pi.relative_path, "p.vhdx");
    struct vhdx_build_params p = { .type = VHDX_TYPE_DIFFERENCING, .block_size = MB, .parent = &pi };
    vhdx_builder *b;
    assert_int_equal(vhdx_builder_begin(f->child, &p, &b, &e), 0);
    uint8_t *blk = malloc(MB), *want = malloc(DISK);
    memcpy(want, f->pdata, DISK);
    fill(blk, MB, 9);
    /* block 1 whole; block 3 ZERO; block 5 partial: sectors 0-7 and 100 */
    assert_int_equal(vhdx_builder_put_block(b, 1, blk, NULL, &e), 0);
    memcpy(want + 1 * MB, blk, MB);
    assert_int_equal(vhdx_builder_put_zero(b, 3, &e), 0);
    memset(want + 3 * MB, 0, MB);
    uint8_t bits[MB / 512 / 8] = { 0 };
    bits[0] = 0xFF;
    bits[100 / 8] |= 1u << (100 % 8);
    assert_int_equal(vhdx_builder_put_block(b, 5, blk, bits, &e), 0);
    memcpy(want + 5 * MB, blk, 8 * 512);
    memcpy(want + 5 * MB + 100 * 512, blk + 100 * 512, 512);
    /* zero-copy allocation: no bit set stores nothing (block 6 reads the
     * parent); block 7 allocated but never written reads zeros */
    uint64_t at;
    uint8_t none[MB / 512 / 8] = { 0 };
    assert_int_equal(vhdx_builder_alloc_block(b, 6, none, &at, &e), 0);
    assert_int_equal(at, 0);
    assert_int_equal(vhdx_builder_alloc_block(b, 7, NULL, &at, &e), 0);
    assert_true(at >= MB && at % MB == 0);
    memset(want + 7 * MB, 0, MB);
    assert_int_equal(vhdx_builder_alloc_block(b, 7, NULL, &at, &e), -1);
    /* misuse is refused */
    assert_int_equal(vhdx_builder_put_block(b, 1, blk, NULL, &e), -1);
    assert_int_equal(e.code, HV_USAGE);
    assert_int_equal(vhdx_builder_put_block(b, 8, blk, NULL, &e), -1);
    assert_int_equal(vhdx_builder_write(b, blk, 512, 3 * MB, &e), -1);
    assert_int_equal(vhdx_builder_finish(b, &e), 0);
    uint8_t *got = read_all(f->child);
    assert_memory_equal(got, want, DISK);
    free(got);
    free(want);
    free(blk);
    int errors = vhdx_check(f->child, NULL, ignore_problem, NULL, &e);
    assert_int_equal(errors, 0);
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK, .block_size = MB };
    vhdx_builder *b;
    assert_int_equal(vhdx_builder_begin(f->parent, &p, &b, &e), -1); /* exists */
    assert_int_equal(e.code, HV_EXISTS);
    char path[200];
    snprintf(path, sizeof path, "%s/x.vhdx", f->dir);
    p.block_size = 3 * MB;
    assert_int_equal(vhdx_create(path, &p, &e), -1);
    p.block_size = MB;
    p.virtual_size = 1000;
    assert_int_equal(vhdx_create(path, &p, &e), -1);
    p.virtual_size = DISK;
    assert_int_equal(vhdx_builder_begin(path, &p, &b, &e), 0);
    uint8_t bits[256] = { 1 };
    uint8_t *blk = calloc(1, MB);
    assert_int_equal(vhdx_builder_put_block(b, 0, blk, bits, &e), -1); /* bitmap needs a child */
    free(blk);
    vhdx_builder_abort(b);
    assert_int_equal(access(path, F_OK), -1);
}

HVK_TEST_MAIN(setup, teardown,
              cmocka_unit_test(test_parent_streamed), cmocka_unit_test(test_child_states),
              cmocka_unit_test(test_refusals))
