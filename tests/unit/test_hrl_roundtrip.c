/* test_hrl_roundtrip.c: writer -> reader over many random write sets (sizes
 * 512 B - 1 MiB, overlapping offsets, several metadata blocks, MetadataSize
 * 4096 and 8192 and odd ones, flushes on demand, with and without
 * DataChecksums): the reader returns exactly the writes, in order. Also a
 * real file, its gzip-compressed copy, and the chain order of written logs. */
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
#include <zlib.h>

#include "hrl_impl.h"
#include "hrl_memio.h"

struct wr {
    uint64_t off;
    uint32_t len, time;
    uint64_t seed; /* payload = bytes from this seed */
};

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(uint8_t *p, uint32_t len, uint64_t seed)
{
    for (uint32_t i = 0; i < len; i += 8) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = seed ^ (seed >> 29);
        memcpy(p + i, &v, len - i < 8 ? len - i : 8);
    }
}

static uint32_t rand_len(int sectors_only)
{
    uint64_t r = next_rand() % 100;
    if (sectors_only && r >= 80 && r < 90)
        r = 0;
    if (r < 80) /* mostly sectors, as Hyper-V writes */
        return 512u * (uint32_t)(1 + next_rand() % 16);
    if (r < 90)
        return 512u + (uint32_t)(next_rand() % (64u << 10)); /* not sector-sized */
    return 512u * (uint32_t)(1 + next_rand() % 2048);    /* up to 1 MiB */
}

static void one_round(int round)
{
    static uint8_t buf[1u << 20];
    struct hrl_writer_opts o = { 0 };
    static const uint32_t sizes[] = { 4096, 8192, 4096, 8192, 64, 544 };
    o.metadata_size = sizes[round % 6];
    o.empty_first_block = round & 1;
    o.no_data_checksum = (round % 3) == 2;
    o.created = 600000000u + (uint32_t)round;
    hv_guid_random(&o.unique_id);
    hv_guid_random(&o.previous_unique_id);
    hv_guid_random(&o.vhd2_guid);
    size_t n = 1 + next_rand() % 400;
    struct wr *w = calloc(n, sizeof *w);
    struct memfile mf = { 0 };
    hrl_writer *wr;
    struct hv_err err;
    assert_int_equal(hrl_writer_open_io(memio(&mf), &o, &wr, &err), 0);
    uint32_t t = o.created;
    for (size_t i = 0; i < n; i++) {
        w[i].off = 512u * (next_rand() % 8192); /* 4 MiB of disk: many overlaps */
        w[i].len = rand_len(round % 4 == 0);
        t += (uint32_t)(next_rand() % 3);
        w[i].time = t;
        w[i].seed = next_rand();
        fill(buf, w[i].len, w[i].seed);
        assert_int_equal(hrl_writer_add(wr, w[i].off, buf, w[i].len, w[i].time, &err), 0);
        if (next_rand() % 50 == 0)
            assert_int_equal(hrl_writer_flush(wr, &err), 0);
    }
    struct hv_guid uid;
    assert_int_equal(hrl_writer_close(wr, &uid, &err), 0);
    assert_true(mf.closed);
    assert_true(hv_guid_eq(&uid, &o.unique_id));

    struct plog pl = { 0 };
    struct hrl_open_opts oo = { HRL_OPEN_STRICT, plog_cb, &pl };
    hrl_log *log;
    assert_int_equal(hrl_open_mem(mf.p, mf.len, &oo, &log, &err), 0);
    struct hrl_info in;
    hrl_info(log, &in);
    assert_int_equal(in.problems, 0);
    assert_int_equal(in.entries, n);
    assert_int_equal(in.hdr.eol, mf.len);
    assert_int_equal(in.hdr.current_size, mf.len);
    assert_int_equal(in.hdr.total_entries, n);
    assert_int_equal(in.hdr.metadata_size, o.metadata_size);
    assert_int_equal(in.hdr.last_modified, t);
    assert_true(hv_guid_eq(&in.hdr.previous_unique_id, &o.previous_unique_id));
    assert_true(hv_guid_eq(&in.hdr.vhd2_guid, &o.vhd2_guid));
    uint32_t cap = (o.metadata_size - 32) / 32;
    assert_true(in.blocks >= (n + cap - 1) / cap + (uint64_t)o.empty_first_block);
    struct hrl_iter it;
    struct hrl_entry e;
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    uint64_t prev_block = 0;
    uint32_t slots_in_block = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(hrl_iter_next(&it, &e), 1);
        assert_int_equal(e.index, i);
        assert_int_equal(e.disk_offset, w[i].off);
        assert_int_equal(e.length, w[i].len);
        assert_int_equal(e.timestamp, w[i].time);
        assert_true(e.entry_ok);
        assert_int_equal(e.data, o.no_data_checksum ? HRL_DATA_ABSENT : HRL_DATA_OK);
        fill(buf, w[i].len, w[i].seed);
        assert_memory_equal(e.payload, buf, w[i].len);
        assert_ptr_equal(e.payload, mf.p + e.payload_offset);
        slots_in_block = e.block_offset == prev_block ? slots_in_block + 1 : 1;
        prev_block = e.block_offset;
        assert_true(slots_in_block <= cap);
    }
    assert_int_equal(hrl_iter_next(&it, &e), 0);
    assert_int_equal(hrl_verify_data(log), 0);
    assert_int_equal(pl.n, 0);
    hrl_close(log);

    /* Salvage of the intact log finds the same blocks and loses nothing: the
     * 512-byte scan finds sector-aligned blocks, the byte rescan the others. */
    oo.flags = HRL_OPEN_SALVAGE;
    assert_int_equal(hrl_open_mem(mf.p, mf.len, &oo, &log, &err), 0);
    struct hrl_info sv;
    hrl_info(log, &sv);
    int all_sectors = 1;
    for (size_t i = 0; i < n; i++)
        all_sectors &= w[i].len % 512 == 0;
    if (round % 4 == 0)
        assert_true(all_sectors);
    assert_int_equal(sv.entries, n);
    assert_int_equal(sv.blocks, in.blocks);
    assert_int_equal(sv.lost_bytes, 0);
    assert_int_equal(sv.problems, 0);
    assert_int_equal(hrl_block_count(log), in.blocks);
    struct hrl_block_info bi;
    assert_int_equal(hrl_block_get(log, hrl_block_count(log) - 1, &bi), 0);
    assert_int_equal(bi.offset + o.metadata_size, mf.len);
    assert_true(bi.usable);
    assert_int_equal(hrl_block_get(log, hrl_block_count(log), &bi), -1);
    hrl_close(log);
    free(mf.p);
    free(w);
}

static void test_random_roundtrips(void **state)
{
    (void)state;
    for (int round = 0; round < 28; round++)
        one_round(round);
}

static void test_empty_log(void **state)
{
    (void)state;
    struct memfile mf = { 0 };
    hrl_writer *w;
    struct hv_err err;
    struct hrl_writer_opts o = { .created = 1 };
    assert_int_equal(hrl_writer_open_io(memio(&mf), &o, &w, &err), 0);
    assert_int_equal(hrl_writer_close(w, NULL, &err), 0);
    assert_int_equal(mf.len, 4096 + 4096); /* a log always ends with a block */
    hrl_log *log;
    assert_int_equal(hrl_open_mem(mf.p, mf.len, NULL, &log, &err), 0);
    struct hrl_info in;
    hrl_info(log, &in);
    assert_int_equal(in.problems, 0);
    assert_int_equal(in.entries, 0);
    assert_int_equal(in.blocks, 1);
    hrl_close(log);
    free(mf.p);
    o.metadata_size = 100;
    assert_int_equal(hrl_writer_open_io(memio(&mf), &o, &w, &err), -1);
    assert_int_equal(err.code, HV_USAGE);
    /* A range whose end passes 2^64 is never written (the reader's entry-range). */
    o.metadata_size = 0;
    memset(&mf, 0, sizeof mf);
    assert_int_equal(hrl_writer_open_io(memio(&mf), &o, &w, &err), 0);
    uint8_t b[1024] = { 0 };
    assert_int_equal(hrl_writer_add(w, 0xfffffffffffffe00ull, b, sizeof b, 1, &err), -1);
    assert_int_equal(err.code, HV_USAGE);
    assert_int_equal(hrl_writer_add(w, 0xfffffffffffff800ull, b, sizeof b, 1, &err), 0);
    hrl_writer_abort(w);
    free(mf.p);
}

static void test_file_and_gzip(void **state)
{
    (void)state;
    char dir[] = "/tmp/hrl-rt.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], gzpath[256];
    snprintf(path, sizeof path, "%s/a.hrl", dir);
    snprintf(gzpath, sizeof gzpath, "%s/a.hrl.gz", dir);
    hrl_writer *w;
    struct hv_err err;
    hv_err_clear(&err);
    struct hrl_writer_opts o = { .metadata_size = 8192 };
    assert_int_equal(hrl_writer_create(path, &o, &w, &err), 0);
    static uint8_t buf[65536];
    for (int i = 0; i < 300; i++) {
        memset(buf, i, sizeof buf);
        assert_int_equal(hrl_writer_add(w, (uint64_t)i << 16, buf, 4096u * (1 + i % 16), 7, &err), 0);
    }
    assert_int_equal(hrl_writer_close(w, NULL, &err), 0);
    assert_int_equal(hrl_writer_create(path, &o, &w, &err), -1); /* never overwrites */
    assert_int_equal(err.code, HV_EXISTS);

    struct hv_map m;
    assert_int_equal(hv_map_file(path, &m, &err), 0);
    gzFile gz = gzopen(gzpath, "wb1");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, m.p, (unsigned)m.len), (int)m.len);
    gzclose(gz);
    for (int z = 0; z < 2; z++) {
        hrl_log *log;
        assert_int_equal(hrl_open(z ? gzpath : path, NULL, &log, &err), 0);
        struct hrl_info in;
        hrl_info(log, &in);
        assert_int_equal(in.gzip, z);
        assert_int_equal(in.file_size, m.len);
        assert_int_equal(in.entries, 300);
        assert_int_equal(in.problems, 0);
        struct hrl_iter it;
        struct hrl_entry e;
        hrl_iter_init(log, HRL_ITER_DATA, &it);
        for (int i = 0; i < 300; i++) {
            assert_int_equal(hrl_iter_next(&it, &e), 1);
            assert_int_equal(e.length, 4096u * (1 + i % 16));
            assert_int_equal(e.payload[e.length - 1], (uint8_t)i);
            assert_int_equal(e.data, HRL_DATA_OK);
        }
        hrl_close(log);
    }
    hv_unmap(&m);
    /* A truncated gzip stream is an error, not a short log. */
    assert_int_equal(truncate(gzpath, 100), 0);
    hrl_log *log;
    hv_err_clear(&err);
    assert_int_equal(hrl_open(gzpath, NULL, &log, &err), -1);
    unlink(path);
    unlink(gzpath);
    rmdir(dir);
}

/* I/O-error sweep (SQLite shape): the k-th write fails, for every k until the
 * log completes. Each failure surfaces as -1 from the writer; what reached the
 * "disk" salvages to a prefix of the writes, never anything else. */
static void test_io_error_sweep(void **state)
{
    (void)state;
    uint8_t buf[2048];
    for (int k = 1;; k++) {
        struct memfile mf = { .fail_after = k };
        struct hrl_writer_opts o = { .created = 5, .metadata_size = 256, .empty_first_block = 1 };
        hrl_writer *w = NULL; /* stays NULL when open fails (it frees everything) */
        struct hv_err err;
        int rc = hrl_writer_open_io(memio(&mf), &o, &w, &err);
        int added = 0;
        for (int i = 0; rc == 0 && i < 30; i++, added++) {
            memset(buf, i + 1, sizeof buf);
            rc = hrl_writer_add(w, (uint64_t)i * 2048, buf, 512u * (1 + i % 4), 6, &err);
        }
        if (rc == 0)
            rc = hrl_writer_close(w, NULL, &err);
        else
            hrl_writer_abort(w);
        assert_true(mf.closed);
        if (rc)
            assert_int_equal(err.code, HV_IO);
        struct hrl_open_opts oo = { rc ? HRL_OPEN_SALVAGE : HRL_OPEN_STRICT, NULL, NULL };
        hrl_log *log;
        if (hrl_open_mem(mf.p, mf.len, &oo, &log, &err) == 0) {
            struct hrl_iter it;
            struct hrl_entry e;
            hrl_iter_init(log, HRL_ITER_DATA, &it);
            int n = 0;
            while (hrl_iter_next(&it, &e)) {
                assert_int_equal(e.disk_offset, (uint64_t)n * 2048);
                assert_int_equal(e.length, 512u * (1 + n % 4));
                assert_int_equal(e.payload[0], n + 1);
                assert_int_equal(e.data, HRL_DATA_OK);
                n++;
            }
            assert_true(n <= added);
            if (rc == 0)
                assert_int_equal(n, 30);
            hrl_close(log);
        } else {
            assert_true(rc != 0); /* only an incomplete header may be unreadable */
        }
        free(mf.p);
        if (rc == 0)
            break;
        assert_true(k < 1000);
    }
}

static void test_chain(void **state)
{
    (void)state;
    struct hrl_header h[5];
    memset(h, 0, sizeof h);
    for (int i = 0; i < 5; i++) {
        hv_guid_random(&h[i].unique_id);
        if (i)
            h[i].previous_unique_id = h[i - 1].unique_id;
    }
    hv_guid_random(&h[0].previous_unique_id);
    /* given out of order: 3 0 4 1 2 */
    const struct hrl_header *set[5] = { &h[3], &h[0], &h[4], &h[1], &h[2] };
    size_t order[5];
    struct plog pl = { 0 };
    assert_int_equal(hrl_chain_order(set, 5, order, plog_cb, &pl), 0);
    size_t want[5] = { 1, 3, 4, 0, 2 };
    assert_memory_equal(order, want, sizeof want);
    /* gap: drop h[2] */
    const struct hrl_header *gap[4] = { &h[0], &h[1], &h[3], &h[4] };
    pl.n = 0;
    assert_int_equal(hrl_chain_order(gap, 4, order, plog_cb, &pl), 1);
    assert_int_equal(pl.p[0].kind, HRL_P_CHAIN_GAP);
    assert_int_equal(pl.p[0].offset, 2);
    /* duplicate */
    const struct hrl_header *dup[3] = { &h[0], &h[1], &h[1] };
    pl.n = 0;
    assert_true(hrl_chain_order(dup, 3, order, plog_cb, &pl) >= 1);
    assert_int_equal(pl.p[0].kind, HRL_P_CHAIN_DUPLICATE);
    assert_int_equal(pl.p[0].offset, 2);
    /* fork: a second log following h[1] */
    struct hrl_header f = h[2];
    hv_guid_random(&f.unique_id);
    const struct hrl_header *fork[4] = { &h[0], &h[1], &h[2], &f };
    pl.n = 0;
    assert_int_equal(hrl_chain_order(fork, 4, order, plog_cb, &pl), 2);
    assert_int_equal(pl.p[0].kind, HRL_P_CHAIN_FORK);
    assert_int_equal(pl.p[0].offset, 3);
    /* foreign disk */
    struct hrl_header x = h[2];
    hv_guid_random(&x.vhd2_guid);
    const struct hrl_header *foreign[3] = { &h[0], &h[1], &x };
    pl.n = 0;
    assert_int_equal(hrl_chain_order(foreign, 3, order, plog_cb, &pl), 1);
    assert_int_equal(pl.p[0].kind, HRL_P_CHAIN_FOREIGN);
    assert_int_equal(pl.p[0].offset, 2);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_random_roundtrips), cmocka_unit_test(test_empty_log),
              cmocka_unit_test(test_file_and_gzip), cmocka_unit_test(test_io_error_sweep),
              cmocka_unit_test(test_chain))
