/* test_hrl_view.c: hrl_view (a recovery point read in place) against a model:
 * the base's bytes with logs 1..k replayed entry by entry in memory. Reads at
 * random, unaligned offsets and lengths cross extent and block edges. */
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

#include "hrl.h"
#include "hrl_view.h"
#include "vhdx_write.h"

#define DISK (8u << 20)
#define NLOGS 3

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

struct fixture {
    char dir[64], base[96], logs[NLOGS][96];
    uint8_t *model[NLOGS + 1]; /* point k's bytes */
    vhdx *img;
    hrl_set *set;
};

static void make_base(struct fixture *f, uint64_t *seed)
{
    struct hv_err e;
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK, .block_size = 1u << 20 };
    assert_int_equal(vhdx_create(f->base, &p, &e), 0);
    vhdx_rw *w;
    assert_int_equal(vhdx_open_rw(f->base, NULL, &w, &e), 0);
    uint8_t *buf = malloc(1u << 20);
    for (size_t i = 0; i < (1u << 20); i++)
        buf[i] = (uint8_t)rnd(seed);
    assert_int_equal(vhdx_write(w, buf, 1u << 20, 0, &e), 0);          /* block 0 full */
    assert_int_equal(vhdx_write(w, buf, 512u << 10, 5u << 20, &e), 0); /* half of block 5 */
    assert_int_equal(vhdx_close_rw(w, &e), 0);
    free(buf);
}

/* Log i: 40 sector-aligned writes, replayed into model[i + 1]. */
static void make_log(struct fixture *f, size_t i, const struct hv_guid *vhd2, struct hv_guid *prev, uint64_t *seed)
{
    struct hv_err e;
    struct hrl_writer_opts o = { .vhd2_guid = *vhd2, .previous_unique_id = *prev, .created = 1000 + 100 * (uint32_t)i };
    hrl_writer *w;
    assert_int_equal(hrl_writer_create(f->logs[i], &o, &w, &e), 0);
    f->model[i + 1] = malloc(DISK);
    memcpy(f->model[i + 1], f->model[i], DISK);
    uint8_t *data = malloc(64u << 10);
    for (int n = 0; n < 40; n++) {
        uint32_t len = (uint32_t)(1 + rnd(seed) % 128) * 512;
        uint64_t off = rnd(seed) % (DISK / 512 - len / 512) * 512;
        for (uint32_t b = 0; b < len; b++)
            data[b] = (uint8_t)rnd(seed);
        assert_int_equal(hrl_writer_add(w, off, data, len, o.created + (uint32_t)n, &e), 0);
        memcpy(f->model[i + 1] + off, data, len);
    }
    free(data);
    assert_int_equal(hrl_writer_close(w, prev, &e), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    snprintf(f->dir, sizeof f->dir, "/tmp/hvk-view.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->base, sizeof f->base, "%s/base.vhdx", f->dir);
    make_base(f, &seed);
    struct hv_err e;
    assert_int_equal(vhdx_open(f->base, NULL, &f->img, &e), 0);
    f->model[0] = malloc(DISK);
    assert_int_equal(vhdx_read(f->img, f->model[0], DISK, 0, &e), 0);
    struct vhdx_info info;
    vhdx_get_info(f->img, &info);
    struct hv_guid prev = { 0 };
    const char *paths[NLOGS];
    for (size_t i = 0; i < NLOGS; i++) {
        snprintf(f->logs[i], sizeof f->logs[i], "%s/log%zu.hrl", f->dir, i + 1);
        make_log(f, i, &info.data_write_guid, &prev, &seed);
        paths[i] = f->logs[i];
    }
    struct hrl_base b = { DISK, 512, 1, info.data_write_guid };
    assert_int_equal(hrl_set_open(paths, NLOGS, &b, NULL, &f->set, &e), 0);
    assert_int_equal(hrl_set_problems(f->set), 0);
    assert_int_equal(hrl_set_usable(f->set), NLOGS);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hrl_set_close(f->set);
    vhdx_close(f->img);
    for (size_t i = 0; i < NLOGS; i++)
        unlink(f->logs[i]);
    unlink(f->base);
    rmdir(f->dir);
    for (size_t k = 0; k <= NLOGS; k++)
        free(f->model[k]);
    free(f);
    return 0;
}

static void test_reads_match_replay(void **state)
{
    struct fixture *f = *state;
    struct hv_err e;
    uint64_t seed = 42;
    uint8_t *buf = malloc(DISK);
    for (size_t k = 0; k <= NLOGS; k++) {
        hrl_view *v;
        assert_int_equal(hrl_view_open(f->img, f->set, k, &v, &e), 0);
        assert_int_equal(hrl_view_size(v), DISK);
        assert_int_equal(hrl_view_point(v), k);
        assert_int_equal(hrl_view_read(v, buf, DISK, 0, &e), 0);
        assert_memory_equal(buf, f->model[k], DISK);
        for (int n = 0; n < 500; n++) {
            uint64_t off = rnd(&seed) % DISK;
            size_t len = (size_t)(rnd(&seed) % (200u << 10));
            if (len > DISK - off)
                len = (size_t)(DISK - off);
            assert_int_equal(hrl_view_read(v, buf, len, off, &e), 0);
            assert_memory_equal(buf, f->model[k] + off, len);
        }
        assert_int_equal(hrl_view_read(v, buf, 2, DISK - 1, &e), -1); /* beyond the disk */
        assert_int_equal(e.code, HV_USAGE);
        hrl_view_close(v);
    }
    free(buf);
}

struct walk {
    uint64_t next;
    const uint8_t *model;
    uint64_t log_bytes;
};

static int on_run(const struct hrl_view_run *r, void *ctx)
{
    struct walk *w = ctx;
    assert_int_equal(r->off, w->next); /* consecutive, covering */
    assert_true(r->len > 0);
    if (!r->data) /* a zero run reads as zeros */
        for (uint64_t i = 0; i < r->len; i++)
            assert_int_equal(w->model[r->off + i], 0);
    if (r->from_log)
        w->log_bytes += r->len;
    w->next = r->off + r->len;
    return 0;
}

static void test_map_covers_and_zero_runs_are_zero(void **state)
{
    struct fixture *f = *state;
    struct hv_err e;
    for (size_t k = 0; k <= NLOGS; k++) {
        hrl_view *v;
        assert_int_equal(hrl_view_open(f->img, f->set, k, &v, &e), 0);
        struct walk w = { 0, f->model[k], 0 };
        assert_int_equal(hrl_view_map(v, on_run, &w, &e), 0);
        assert_int_equal(w.next, DISK);
        assert_int_equal(w.log_bytes, hrl_view_log_bytes(v));
        hrl_view_close(v);
    }
}

static void test_refusals(void **state)
{
    struct fixture *f = *state;
    struct hv_err e;
    hrl_view *v = (hrl_view *)1;
    assert_int_equal(hrl_view_open(f->img, f->set, NLOGS + 1, &v, &e), -1);
    assert_int_equal(e.code, HV_USAGE);
    assert_null(v);
    hrl_view_close(NULL);
}

HVK_TEST_MAIN(setup, teardown,
              cmocka_unit_test(test_reads_match_replay),
              cmocka_unit_test(test_map_covers_and_zero_runs_are_zero), cmocka_unit_test(test_refusals))
