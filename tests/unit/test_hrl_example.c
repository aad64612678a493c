/* test_hrl_example.c: the spec's section 3 example (docs/hrl-format.md §13) as test
 * vectors: block #2 rebuilt byte for byte reproduces all 58 entry checksums
 * and 0xFFFFFECF; the empty block #1 gives 0xFFFFFFFF; a whole file laid out
 * like the example reads back with the same offsets, lengths, times and
 * payload locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "hrl_impl.h"
#include "hrl_example_table.h"
#include "hrl_memio.h"

#define EX_SIZE 332288u
#define EX_BLOCK1 4096u
#define EX_BLOCK2 328192u

/* An entry built field by field from the spec table, independently of
 * hrl_me_encode: ByteOffset, (checksum), DataLength, TimeStamp, op 1, rest 0. */
static void hand_entry(uint8_t *q, const struct ex_entry *x)
{
    memset(q, 0, 32);
    put_le64(q, x->disk);
    put_le32(q + 12, x->len);
    put_le32(q + 16, x->time);
    q[20] = 1;
    put_le32(q + 8, hrl_checksum(q, 32, 8));
}

static void test_block2_checksums(void **state)
{
    (void)state;
    uint8_t blk[4096] = { 0 }, enc[32];
    for (int i = 0; i < 58; i++) {
        uint8_t *q = blk + 32 + 32 * i;
        hand_entry(q, &example[i]);
        assert_int_equal(le32(q + 8), example[i].checksum);
        hrl_me_encode(enc, example[i].disk, example[i].len, example[i].time, 0);
        assert_memory_equal(enc, q, 32);
        if (i)
            assert_int_equal(example[i].payload, example[i - 1].payload + example[i - 1].len);
    }
    hrl_mb_encode(blk, 324096, 58);
    static const uint8_t want[32] = { 0x00, 0xf2, 0x04, 0, 0, 0, 0, 0, 0x3a, 0, 0, 0,
                                      0xcf, 0xfe, 0xff, 0xff };
    assert_memory_equal(blk, want, 32);
    assert_int_equal(le32(blk + 12), 0xFFFFFECFu);
    /* ID 1 and ID 23 as printed in the notes. */
    static const uint8_t id1[32] = { 0x00, 0xb0, 0x25, 0xd8, 0, 0, 0, 0, 0x50, 0xfd, 0xff, 0xff,
                                     0x00, 0x10, 0, 0, 0x4d, 0x57, 0x2d, 0x20, 0x01 };
    static const uint8_t id23[32] = { 0x00, 0x00, 0x10, 0x08, 0, 0, 0, 0, 0xf0, 0xfe, 0xff, 0xff,
                                      0x00, 0x04, 0, 0, 0x4e, 0x57, 0x2d, 0x20, 0x01 };
    assert_memory_equal(blk + 32, id1, 32);
    assert_memory_equal(blk + 32 + 22 * 32, id23, 32);
    /* Decoding checks the same block without a single problem. */
    struct hrl_report r = { 0 };
    uint32_t valid;
    uint64_t sum;
    struct hv_span s = hv_span_make(blk, sizeof blk, 0);
    assert_int_equal(hrl_block_check(s, 0, 4096, &r, &valid, &sum), 0);
    assert_int_equal(r.count, 0);
    assert_int_equal(valid, 58);
    assert_int_equal(sum, 320000);
}

static void test_block1_empty(void **state)
{
    (void)state;
    uint8_t b[32];
    hrl_mb_encode(b, 0, 0);
    assert_int_equal(le32(b + 12), 0xFFFFFFFFu);
    for (int i = 0; i < 32; i++)
        if (i < 12 || i > 15)
            assert_int_equal(b[i], 0);
}

static void guid(const char *s, struct hv_guid *g)
{
    assert_int_equal(hv_guid_parse(s, strlen(s), g), 0);
}

/* The header of §13.1, with a checksum that matches its bytes. */
static void example_header(struct hrl_header *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->cookie, "msctlog", 8);
    h->version = 0x20000;
    h->timestamp = 539842380;
    memcpy(h->creator_app, "ct\0\0", 4);
    h->creator_version = 0xA0000;
    h->current_size = EX_SIZE;
    h->eol = EX_SIZE;
    h->metadata_size = 4096;
    guid("{572fc7ff-1f03-49ab-b3c5-30a665b8e20c}", &h->unique_id);
    guid("{a8ae4b46-f7ad-4402-87aa-5b33e9f89c77}", &h->previous_unique_id);
    h->last_modified = 539842384;
    h->total_entries = 58;
    guid("{b9be5c57-f8be-5503-98bb-6c44faf9ac87}", &h->vhd2_guid);
}

static uint8_t payload_byte(size_t entry, size_t i)
{
    return (uint8_t)(entry * 31 + i * 7 + (i >> 9));
}

static void test_whole_file(void **state)
{
    (void)state;
    uint8_t *f = calloc(1, EX_SIZE);
    assert_non_null(f);
    struct hrl_header h;
    example_header(&h);
    hrl_header_encode(&h, f);
    /* The bytes of §13.1's illustrative dump, checksum aside. */
    static const uint8_t dump[] = {
        0x6d, 0x73, 0x63, 0x74, 0x6c, 0x6f, 0x67, 0x00, 0x00, 0x00, 0x02, 0x00, 0x4c, 0x57, 0x2d, 0x20,
        0x63, 0x74, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x12, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    assert_memory_equal(f, dump, sizeof dump);
    assert_int_equal(le64(f + 0x2c), EX_SIZE);
    static const uint8_t uid[16] = { 0xff, 0xc7, 0x2f, 0x57, 0x03, 0x1f, 0xab, 0x49,
                                     0xb3, 0xc5, 0x30, 0xa6, 0x65, 0xb8, 0xe2, 0x0c };
    assert_memory_equal(f + 0x3c, uid, 16);
    hrl_mb_encode(f + EX_BLOCK1, 0, 0);
    for (int i = 0; i < 58; i++) {
        for (uint32_t k = 0; k < example[i].len; k++)
            f[example[i].payload + k] = payload_byte((size_t)i, k);
        hand_entry(f + EX_BLOCK2 + 32 + 32 * i, &example[i]);
    }
    hrl_mb_encode(f + EX_BLOCK2, EX_BLOCK2 - EX_BLOCK1, 58);

    struct plog pl = { 0 };
    struct hrl_open_opts o = { 0, plog_cb, &pl };
    hrl_log *log;
    struct hv_err err;
    assert_int_equal(hrl_open_mem(f, EX_SIZE, &o, &log, &err), 0);
    assert_int_equal(pl.n, 0);
    struct hrl_info in;
    hrl_info(log, &in);
    assert_int_equal(in.blocks, 2);
    assert_int_equal(in.entries, 58);
    assert_int_equal(in.data_bytes, 320000);
    assert_int_equal(in.first_time, 539842381);
    assert_int_equal(in.last_time, 539842382);
    assert_int_equal(in.hdr.last_modified, 539842384);
    assert_true(hv_guid_eq(&in.hdr.previous_unique_id, &h.previous_unique_id));
    char g[40];
    assert_string_equal(hv_guid_format(&in.hdr.vhd2_guid, 1, g),
                        "{b9be5c57-f8be-5503-98bb-6c44faf9ac87}");
    struct hrl_iter it;
    struct hrl_entry e;
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    for (int i = 0; i < 58; i++) {
        assert_int_equal(hrl_iter_next(&it, &e), 1);
        assert_int_equal(e.index, i);
        assert_int_equal(e.block_offset, EX_BLOCK2);
        assert_int_equal(e.slot, i);
        assert_int_equal(e.disk_offset, example[i].disk);
        assert_int_equal(e.length, example[i].len);
        assert_int_equal(e.timestamp, example[i].time);
        assert_int_equal(e.payload_offset, example[i].payload);
        assert_ptr_equal(e.payload, f + example[i].payload);
        assert_int_equal(e.checksum, example[i].checksum);
        assert_true(e.entry_ok);
        assert_int_equal(e.data, HRL_DATA_ABSENT);
    }
    assert_int_equal(hrl_iter_next(&it, &e), 0);
    hrl_close(log);

    /* The same file never closed (EOLLocation 0): salvage finds both blocks. */
    h.eol = 0;
    hrl_header_encode(&h, f);
    pl.n = 0;
    o.flags = HRL_OPEN_SALVAGE;
    assert_int_equal(hrl_open_mem(f, EX_SIZE, &o, &log, &err), 0);
    hrl_info(log, &in);
    assert_int_equal(in.blocks, 2);
    assert_int_equal(in.entries, 58);
    assert_int_equal(in.lost_bytes, 0);
    assert_int_equal(pl.n, 1);
    assert_int_equal(pl.p[0].kind, HRL_P_UNCLOSED);
    hrl_close(log);
    free(f);
}

/* §13.1 printed checksum (0xFFFFE27B) does not match its fields (docs/hrl-format.md
 * say so): the reader must report it, with the computed value. */
static void test_printed_header_checksum(void **state)
{
    (void)state;
    uint8_t *f = calloc(1, EX_SIZE);
    struct hrl_header h;
    example_header(&h);
    hrl_header_encode(&h, f);
    put_le32(f + 40, 0xFFFFE27Bu);
    struct plog pl = { 0 };
    struct hrl_report r = { .fn = plog_cb, .ctx = &pl };
    struct hrl_header d;
    assert_int_equal(hrl_header_parse(hv_span_make(f, EX_SIZE, 0), &d, &r, NULL), 0);
    assert_int_equal(pl.n, 1);
    assert_int_equal(pl.p[0].kind, HRL_P_HEADER_CHECKSUM);
    assert_int_equal(pl.p[0].offset, 40);
    assert_int_equal(d.checksum, 0xFFFFE27Bu);
    assert_int_equal(d.eol, EX_SIZE);
    assert_int_equal(d.timestamp, 539842380);
    free(f);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_block2_checksums), cmocka_unit_test(test_block1_empty),
              cmocka_unit_test(test_whole_file), cmocka_unit_test(test_printed_header_checksum))
