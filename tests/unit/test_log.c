/* test_log.c: log.c: section 13 empty-entry CRC vector, entry encode/parse
 * round trip, validity rules, active-sequence search (stale GUIDs, continuity,
 * tail inside the run, wrap-around) and overlay replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define RING (64 * 4096)
static uint8_t ring[RING];
static struct hv_guid G1, G2;

static void guids(void)
{
    hv_guid_parse("{ABCDEF01-2345-6789-ABCD-EF0123456789}", 38, &G1);
    hv_guid_parse("{11111111-2345-6789-ABCD-EF0123456789}", 38, &G2);
}

/* Writes an entry at ring position pos (wrapping): one data sector for
 * `target` filled with `fill`, optional zero range. Returns its length. */
static uint32_t put_entry(uint64_t pos, uint64_t seq, uint32_t tail, const struct hv_guid *g,
                          uint64_t target, uint8_t fill, uint64_t zero_off)
{
    uint32_t ndesc = (target ? 1 : 0) + (zero_off ? 1 : 0);
    uint32_t len = 4096 * (1 + (target ? 1 : 0));
    uint8_t *e = calloc(1, len);
    struct vhdx_log_entry h = { 0, len, tail, seq, ndesc, *g, 4 * MiB, 8 * MiB };
    vhdx_log_entry_header_encode(&h, e);
    uint32_t d = 0;
    if (target) {
        uint8_t sector[4096];
        memset(sector, fill, sizeof sector);
        sector[0] = 0xA0;
        sector[4095] = 0xAF;
        struct vhdx_log_desc desc = { 0 };
        vhdx_log_data_encode(sector, seq, &desc, e + 4096);
        desc.file_offset = target;
        vhdx_log_desc_encode(&desc, e + 64 + 32 * d++);
    }
    if (zero_off) {
        struct vhdx_log_desc z = { 0, { 0 }, { 0 }, 8192, zero_off, seq };
        vhdx_log_desc_encode(&z, e + 64 + 32 * d++);
    }
    vhdx_log_entry_seal(e, len);
    for (uint32_t i = 0; i < len; i++)
        ring[(pos + i) % RING] = e[i];
    free(e);
    return len;
}

static void test_vector(void **state)
{
    (void)state;
    guids();
    uint8_t e[4096] = { 0 };
    struct vhdx_log_entry h = { 0, 4096, 0, 1, 0, G1, 4 * MiB, 4 * MiB };
    vhdx_log_entry_header_encode(&h, e);
    vhdx_log_entry_seal(e, sizeof e);
    assert_int_equal(le32(e + 4), 0xEC2BA26Bu);
    struct vhdx_log_entry back;
    struct hv_err err;
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(e, 4096, 0), &G1, &back, &err), 0);
    assert_true(back.seq == 1);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(e, 4096, 0), &G2, &back, &err), -1);
    for (size_t n = 0; n < 4096; n += 13)
        assert_int_equal(vhdx_log_entry_parse(hv_span_make(e, n, 0), &G1, &back, &err), -1);
    e[100] ^= 1;
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(e, 4096, 0), &G1, &back, &err), -1);
    assert_non_null(strstr(err.msg, "checksum"));
}

static void test_entry_rules(void **state)
{
    (void)state;
    guids();
    memset(ring, 0, sizeof ring);
    uint32_t len = put_entry(0, 7, 0, &G1, 3 * MiB, 0x5A, 0);
    struct vhdx_log_entry h;
    struct hv_err e;
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), 0);
    assert_int_equal(h.desc_count, 1);
    /* Data sector sequence mismatch (CRC fixed up so only that rule fires). */
    put_le32(ring + 4096 + LDS_OFF_SEQ_LOW, 8);
    vhdx_log_entry_seal(ring, len);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), -1);
    assert_non_null(strstr(e.msg, "data sector sequence"));
    /* EntryLength too short for the data sector. */
    len = put_entry(0, 7, 0, &G1, 3 * MiB, 0x5A, 0);
    put_le32(ring + LE_OFF_ENTRY_LENGTH, 4096);
    vhdx_log_entry_seal(ring, 4096);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), -1);
    /* Descriptor aimed at the headers. */
    len = put_entry(0, 7, 0, &G1, 64 * 1024, 0x5A, 0);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), -1);
    /* Longer EntryLength (padding) is accepted, CRC over all of it. */
    memset(ring, 0, sizeof ring);
    put_entry(0, 7, 0, &G1, 3 * MiB, 0x5A, 0);
    put_le32(ring + LE_OFF_ENTRY_LENGTH, 3 * 4096);
    vhdx_log_entry_seal(ring, 3 * 4096);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, 3 * 4096, 0), &G1, &h, &e), 0);
}

/* A descriptor reaching past the entry's LastFileOffset invalidates it. */
static void test_beyond_last(void **state)
{
    (void)state;
    guids();
    memset(ring, 0, sizeof ring);
    uint32_t len = put_entry(0, 7, 0, &G1, 8 * MiB - 4096, 0x5A, 0);
    struct vhdx_log_entry h;
    struct hv_err e;
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), 0);
    len = put_entry(0, 7, 0, &G1, 8 * MiB, 0x5A, 0);
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), -1);
    assert_non_null(strstr(e.msg, "beyond the entry's last file offset 0x800000"));
    len = put_entry(0, 7, 0, &G1, 0, 0, 8 * MiB - 4096); /* 8 KiB of zeros: 4 KiB too far */
    assert_int_equal(vhdx_log_entry_parse(hv_span_make(ring, len, 0), &G1, &h, &e), -1);
}

/* The flattened overlay equals applying every operation in order (a page
 * map computed naively), for random overlapping data pages and zero runs. */
static void test_overlay_random(void **state)
{
    (void)state;
    enum { PAGES = 64, OPS = 400 };
    static uint8_t pagebuf[OPS][4096];
    int naive[PAGES]; /* -1: untouched, -2: zeros, else op index of the data */
    uint32_t seed = 12345;
    for (int round = 0; round < 20; round++) {
        struct vhdx_overlay ov = { 0 };
        ov.ops = calloc(OPS, sizeof *ov.ops);
        ov.zeros = calloc(OPS, sizeof *ov.zeros);
        for (int p = 0; p < PAGES; p++)
            naive[p] = -1;
        for (int i = 0; i < OPS; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned at = (seed >> 8) % PAGES;
            if ((seed >> 20) & 1) {
                memset(pagebuf[i], i & 0xFF, 4096);
                ov.ops[ov.n++] = (struct ov_op){ (uint64_t)at * 4096, 4096, pagebuf[i], (size_t)i };
                naive[at] = i;
            } else {
                unsigned n = 1 + (seed >> 24) % (PAGES - at);
                ov.zeros[ov.nz++] = (struct ov_op){ (uint64_t)at * 4096, (uint64_t)n * 4096, NULL, (size_t)i };
                for (unsigned k = at; k < at + n; k++)
                    naive[k] = -2;
            }
        }
        struct hv_err e;
        assert_int_equal(vhdx_ov_finish(&ov, &e), 0);
        static uint8_t file[PAGES * 4096], out[PAGES * 4096];
        memset(file, 0x77, sizeof file);
        vhdx_ov_read(&ov, hv_span_make(file, sizeof file, 0), 0, sizeof out, out);
        for (int p = 0; p < PAGES; p++) {
            uint8_t want = naive[p] == -1 ? 0x77 : naive[p] == -2 ? 0 : (uint8_t)(naive[p] & 0xFF);
            assert_int_equal(out[p * 4096], want);
            assert_int_equal(out[p * 4096 + 4095], want);
            assert_int_equal(vhdx_ov_intersects(&ov, (uint64_t)p * 4096 + 7, 1), naive[p] != -1);
        }
        for (size_t i = 1; i < ov.nseg; i++)
            assert_true(ov.seg[i - 1].off + ov.seg[i - 1].len <= ov.seg[i].off);
        ov.n = 0; /* the page buffers are static */
        vhdx_ov_free(&ov);
    }
}

static void test_search_replay(void **state)
{
    (void)state;
    guids();
    memset(ring, 0, sizeof ring);
    struct hv_span s = hv_span_make(ring, RING, MiB);
    struct hv_err e;
    struct vhdx_log_scan scan;
    /* Stale entries from an older session at the start. */
    uint64_t p = 0;
    p += put_entry(p, 100, 0, &G2, 3 * MiB, 0x11, 0);
    p += put_entry(p, 101, 0, &G2, 3 * MiB, 0x12, 0);
    /* Active: seq 5 (tail = itself), 6, 7 with tail pointing at 6. */
    uint64_t a = p;
    p += put_entry(p, 5, (uint32_t)a, &G1, 3 * MiB, 0x21, 0);
    uint64_t b = p;
    p += put_entry(p, 6, (uint32_t)a, &G1, 3 * MiB + 4096, 0x22, 0);
    p += put_entry(p, 7, (uint32_t)b, &G1, 3 * MiB, 0x23, 5 * MiB);
    assert_int_equal(vhdx_log_find_active(s, &G1, &scan, &e), 0);
    assert_true(scan.found);
    assert_true(scan.seq_last == 7);
    assert_true(scan.seq_first == 6);
    assert_int_equal(scan.entries, 2);
    assert_int_equal(scan.tail_pos, b);
    assert_int_equal(scan.stale, 2);
    struct vhdx_overlay ov = { 0 };
    assert_int_equal(vhdx_log_replay(s, &G1, &scan, &ov, &e), 0);
    static uint8_t file[8 * 1024 * 1024];
    memset(file, 0x77, sizeof file);
    struct hv_span f = hv_span_make(file, sizeof file, 0);
    uint8_t out[3 * 4096];
    vhdx_ov_read(&ov, f, 3 * MiB, sizeof out, out);
    assert_int_equal(out[0], 0xA0);      /* leading bytes restored */
    assert_int_equal(out[1], 0x23);      /* seq 7 wins over 5 (not replayed) */
    assert_int_equal(out[4095], 0xAF);   /* trailing bytes restored */
    assert_int_equal(out[4096 + 1], 0x22);
    assert_int_equal(out[8192], 0x77);   /* untouched page: file bytes */
    vhdx_ov_read(&ov, f, 5 * MiB - 4096, sizeof out, out);
    assert_int_equal(out[0], 0x77);
    assert_int_equal(out[4096], 0);
    assert_int_equal(out[8192 + 4095], 0); /* zero range is 8 KiB long */
    vhdx_ov_read(&ov, f, 5 * MiB + 8192, 4096, out);
    assert_int_equal(out[0], 0x77);
    assert_true(vhdx_ov_intersects(&ov, 5 * MiB + 4095, 1));
    assert_false(vhdx_ov_intersects(&ov, 6 * MiB, MiB));
    vhdx_ov_free(&ov);
    /* Continuity: a gap in sequence numbers ends the run: 7 stands alone and
     * its tail (b) is outside it, so the best valid run is 5..6. */
    put_entry(b, 9, (uint32_t)a, &G1, 3 * MiB, 0x22, 0);
    assert_int_equal(vhdx_log_find_active(s, &G1, &scan, &e), 0);
    assert_true(scan.found);
    assert_true(scan.seq_last == 9 || scan.seq_last == 5);
    /* No valid entry with the header's GUID: nothing found. */
    memset(ring, 0, sizeof ring);
    put_entry(0, 1, 0, &G2, 3 * MiB, 0x11, 0);
    assert_int_equal(vhdx_log_find_active(s, &G1, &scan, &e), 0);
    assert_false(scan.found);
    assert_int_equal(scan.stale, 1);
}

static void test_wrap(void **state)
{
    (void)state;
    guids();
    memset(ring, 0, sizeof ring);
    struct hv_span s = hv_span_make(ring, RING, MiB);
    struct hv_err e;
    struct vhdx_log_scan scan;
    /* Entry 1 in the last sector, entry 2 wraps around to ring offset 0. */
    uint64_t a = RING - 4096;
    put_entry(a, 3, (uint32_t)a, &G1, 0, 0, 4 * MiB);
    put_entry(0, 4, (uint32_t)a, &G1, 3 * MiB, 0x44, 0);
    assert_int_equal(vhdx_log_find_active(s, &G1, &scan, &e), 0);
    assert_true(scan.found);
    assert_true(scan.seq_last == 4);
    assert_int_equal(scan.entries, 2);
    /* A single entry that itself wraps (2 sectors starting at the last). */
    memset(ring, 0, sizeof ring);
    put_entry(a, 8, (uint32_t)a, &G1, 3 * MiB, 0x55, 0);
    assert_int_equal(vhdx_log_find_active(s, &G1, &scan, &e), 0);
    assert_true(scan.found);
    assert_true(scan.seq_last == 8);
    struct vhdx_overlay ov = { 0 };
    assert_int_equal(vhdx_log_replay(s, &G1, &scan, &ov, &e), 0);
    uint8_t out[4096];
    vhdx_ov_read(&ov, hv_span_make(NULL, 0, 0), 3 * MiB, 4096, out);
    assert_int_equal(out[100], 0x55);
    vhdx_ov_free(&ov);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_vector), cmocka_unit_test(test_entry_rules),
              cmocka_unit_test(test_beyond_last), cmocka_unit_test(test_overlay_random),
              cmocka_unit_test(test_search_replay), cmocka_unit_test(test_wrap))
