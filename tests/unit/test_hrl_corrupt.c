/* test_hrl_corrupt.c: the corruption corpus (git t5318 shape): each case
 * damages a known-good log at a named offset; the reader must report the right
 * kind at the right offset, and `hrl verify` (when $HRL is set) must exit 1.
 * Then the truncation sweep: cutting a multi-block log at every 512-byte
 * boundary and salvaging recovers exactly the blocks wholly before the cut.
 *
 * Base log (MetadataSize 4096, DataChecksums on, 3 blocks of 4 x 1 KiB):
 *   0x0000 header | 0x1000 payloads | B0 0x2000 | payloads | B1 0x4000 | payloads | B2 0x6000 | EOL 0x7000
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hrl_impl.h"
#include "hrl_memio.h"

enum { B0 = 0x2000, B1 = 0x4000, B2 = 0x6000, EOL = 0x7000 };
#define ENTRY(b, i) ((b) + 32 + 32 * (i))
#define PAYLOAD(b, i) ((b) - 4096 + 1024 * (i))

static struct memfile base;

static void make_base(void)
{
    if (base.p)
        return;
    struct hrl_writer_opts o = { .created = 700000000 };
    hrl_writer *w;
    struct hv_err err;
    assert_int_equal(hrl_writer_open_io(memio(&base), &o, &w, &err), 0);
    uint8_t buf[1024];
    for (int i = 0; i < 12; i++) {
        for (int k = 0; k < 1024; k++)
            buf[k] = (uint8_t)(i * 13 + k);
        assert_int_equal(hrl_writer_add(w, (uint64_t)i * 4096, buf, 1024, 700000001, &err), 0);
        if (i % 4 == 3)
            assert_int_equal(hrl_writer_flush(w, &err), 0);
    }
    assert_int_equal(hrl_writer_close(w, NULL, &err), 0);
    assert_int_equal(base.len, EOL);
}

/* Re-seal checksums after a deliberate field change, so only that field is wrong. */
static void fix_header(uint8_t *f) { put_le32(f + 40, hrl_checksum(f, 4096, 40)); }
static void fix_block(uint8_t *f, size_t b) { put_le32(f + b + 12, hrl_checksum(f + b, 32, 12)); }
static void fix_entry(uint8_t *f, size_t e) { put_le32(f + e + 8, hrl_checksum(f + e, 32, 8)); }

struct ccase {
    const char *name;
    enum hrl_kind kind;
    uint64_t off;
    int open_fails; /* hrl_open must return -1 */
    int exact;      /* exact number of problems, 0 = at least one */
    void (*damage)(uint8_t *f, size_t *len);
};

#define DAMAGE(name) static void name(uint8_t *f, size_t *len)
DAMAGE(d_header_checksum) { (void)len; f[40] ^= 1; }
DAMAGE(d_header_byte) { (void)len; f[13] ^= 0x40; } /* TimeStamp changed, checksum stale */
DAMAGE(d_cookie) { (void)len; f[0] = 'M'; }
DAMAGE(d_vhdx) { (void)len; memcpy(f, "vhdxfile", 8); }
DAMAGE(d_version) { (void)len; put_le32(f + 8, 0x00030000); fix_header(f); }
DAMAGE(d_eol_beyond) { (void)len; put_le64(f + 44, EOL + 512); fix_header(f); }
DAMAGE(d_eol_zero) { (void)len; put_le64(f + 44, 0); fix_header(f); }
DAMAGE(d_eol_small) { (void)len; put_le64(f + 44, 4096); fix_header(f); }
DAMAGE(d_metadata_size) { (void)len; put_le32(f + 56, 100); fix_header(f); }
DAMAGE(d_flags) { (void)len; f[108] = 1; fix_header(f); }
DAMAGE(d_reserved) { (void)len; f[200] = 0x55; fix_header(f); }
DAMAGE(d_file_type) { (void)len; put_le32(f + 104, 1); fix_header(f); }
DAMAGE(d_total) { (void)len; put_le64(f + 96, 11); fix_header(f); }
DAMAGE(d_block_checksum) { (void)len; f[B1 + 13] ^= 0x10; }
DAMAGE(d_block_reserved) { (void)len; f[B1 + 20] = 1; fix_block(f, B1); }
DAMAGE(d_capacity) { (void)len; put_le32(f + B1 + 8, 200); fix_block(f, B1); }
DAMAGE(d_gap) { (void)len; put_le32(f + ENTRY(B1, 0) + 12, 512); fix_entry(f, ENTRY(B1, 0)); }
DAMAGE(d_valid_fewer) { (void)len; put_le32(f + B1 + 8, 3); fix_block(f, B1); }
DAMAGE(d_entry_checksum) { (void)len; f[ENTRY(B2, 3) + 2] ^= 0x08; }
DAMAGE(d_operation) { (void)len; f[ENTRY(B2, 1) + 20] = 2; fix_entry(f, ENTRY(B2, 1)); }
DAMAGE(d_location) { (void)len; f[ENTRY(B2, 1) + 25] = 9; fix_entry(f, ENTRY(B2, 1)); }
DAMAGE(d_entry_reserved) { (void)len; f[ENTRY(B0, 2) + 30] = 9; fix_entry(f, ENTRY(B0, 2)); }
DAMAGE(d_payload_flip) { (void)len; f[PAYLOAD(B1, 2) + 100] ^= 0x20; }
DAMAGE(d_data_checksum) { (void)len; f[ENTRY(B0, 1) + 22] ^= 1; fix_entry(f, ENTRY(B0, 1)); }
DAMAGE(d_chain_outside) { (void)len; put_le64(f + B2, 0x100000); fix_block(f, B2); }
DAMAGE(d_chain_loop) { (void)len; put_le64(f + B2, 0x200); fix_block(f, B2); }
DAMAGE(d_chain_first) { (void)len; put_le64(f + B0, B0 - 1024); fix_block(f, B0); }
DAMAGE(d_chain_misaligned) { (void)len; put_le64(f + B2, B2 - B1 + 512); fix_block(f, B2); }
DAMAGE(d_truncated_tail) { (void)f; *len = 0x5000; }
DAMAGE(d_truncated_header) { (void)f; *len = 2000; }
DAMAGE(d_eol_zeros) { *len = EOL + 4096; memset(f + EOL, 0, 4096); put_le64(f + 44, EOL + 4096); fix_header(f); }
DAMAGE(d_current_size) { (void)len; put_le64(f + 32, EOL - 1); fix_header(f); }
DAMAGE(d_v1) { (void)len; put_le32(f + 8, 0x00010000); memset(f + 110, 0xAA, 16); fix_header(f); }
DAMAGE(d_cookie_space) { (void)len; f[7] = ' '; fix_header(f); }
/* 1024 bytes at 2^64 - 512: the range wraps */
DAMAGE(d_range_wraps) { (void)len; put_le64(f + ENTRY(B1, 1), 0xfffffffffffffe00ull); fix_entry(f, ENTRY(B1, 1)); }

#define NONE HRL_P_COUNT /* a sound log: no problem at all */
static const struct ccase cases[] = {
    { "header checksum", HRL_P_HEADER_CHECKSUM, 40, 0, 1, d_header_checksum },
    { "header field, stale checksum", HRL_P_HEADER_CHECKSUM, 40, 0, 1, d_header_byte },
    { "cookie", HRL_P_COOKIE, 0, 1, 1, d_cookie },
    { "a vhdx", HRL_P_COOKIE, 0, 1, 1, d_vhdx },
    { "version 3", HRL_P_VERSION, 8, 1, 1, d_version },
    { "EOL beyond file", HRL_P_EOL_RANGE, 44, 0, 1, d_eol_beyond },
    { "EOL zero", HRL_P_UNCLOSED, 44, 0, 1, d_eol_zero },
    { "EOL before any block", HRL_P_EOL_RANGE, 44, 0, 1, d_eol_small },
    { "metadata size", HRL_P_HEADER_FIELD, 56, 1, 1, d_metadata_size },
    { "flags", HRL_P_HEADER_RESERVED, 108, 0, 1, d_flags },
    { "header reserved", HRL_P_HEADER_RESERVED, 200, 0, 1, d_reserved },
    { "file type", HRL_P_HEADER_FIELD, 104, 0, 1, d_file_type },
    { "total entries", HRL_P_ENTRY_COUNT, 96, 0, 1, d_total },
    { "block checksum", HRL_P_BLOCK_CHECKSUM, B1 + 12, 0, 1, d_block_checksum },
    { "block reserved", HRL_P_BLOCK_RESERVED, B1 + 16, 0, 1, d_block_reserved },
    { "capacity overflow", HRL_P_BLOCK_CAPACITY, B1 + 8, 0, 1, d_capacity },
    { "payloads do not fill the gap", HRL_P_PAYLOAD_GAP, B1, 0, 1, d_gap },
    { "fewer valid entries than payloads", HRL_P_PAYLOAD_GAP, B1, 0, 1, d_valid_fewer },
    { "entry checksum", HRL_P_ENTRY_CHECKSUM, ENTRY(B2, 3) + 8, 0, 1, d_entry_checksum },
    { "MetaOperation 2", HRL_P_ENTRY_OPERATION, ENTRY(B2, 1) + 20, 0, 1, d_operation },
    { "Location non-zero", HRL_P_ENTRY_RESERVED, ENTRY(B2, 1) + 25, 0, 1, d_location },
    { "entry reserved", HRL_P_ENTRY_RESERVED, ENTRY(B0, 2) + 26, 0, 1, d_entry_reserved },
    { "payload bit flip", HRL_P_DATA_CHECKSUM, PAYLOAD(B1, 2), 0, 1, d_payload_flip },
    { "DataChecksum changed", HRL_P_DATA_CHECKSUM, PAYLOAD(B0, 1), 0, 1, d_data_checksum },
    { "chain pointer outside", HRL_P_CHAIN_POINTER, B2, 0, 1, d_chain_outside },
    { "chain pointer loop", HRL_P_CHAIN_POINTER, B2, 0, 1, d_chain_loop },
    { "first block points back", HRL_P_CHAIN_POINTER, B0, 0, 1, d_chain_first },
    { "chain pointer misaligned", HRL_P_BLOCK_CHECKSUM, B1 - 512 + 12, 0, 0, d_chain_misaligned },
    { "truncated tail", HRL_P_EOL_RANGE, 44, 0, 1, d_truncated_tail },
    { "truncated header", HRL_P_TRUNCATED, 2000, 1, 1, d_truncated_header },
    { "last block zeroed", HRL_P_BLOCK_CHECKSUM, EOL + 12, 0, 0, d_eol_zeros },
    { "CurrentSize below EOL", HRL_P_HEADER_FIELD, 32, 0, 1, d_current_size },
    { "version 1 (sound)", NONE, 0, 0, 0, d_v1 },
    { "cookie ends in a space (sound)", NONE, 0, 0, 0, d_cookie_space },
    { "disk range wraps past 2^64", HRL_P_ENTRY_RANGE, ENTRY(B1, 1), 0, 1, d_range_wraps },
};

static int run_verify(const char *hrl, const uint8_t *f, size_t len)
{
    char path[] = "/tmp/hrl-corrupt.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f, len), (ssize_t)len);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' verify '%s' >/dev/null 2>&1", hrl, path);
    int st = system(cmd);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_corpus(void **state)
{
    (void)state;
    make_base();
    const char *hrl = getenv("HRL");
    /* In sanitizer builds a report must not pass for exit 1. */
    setenv("ASAN_OPTIONS", "exitcode=99", 1);
    setenv("UBSAN_OPTIONS", "exitcode=98", 1);
    assert_true(sizeof cases / sizeof cases[0] >= 25);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct ccase *k = &cases[c];
        uint8_t *f = malloc(base.len + 4096);
        memcpy(f, base.p, base.len);
        size_t len = base.len;
        k->damage(f, &len);
        struct plog pl = { 0 };
        struct hrl_open_opts o = { 0, plog_cb, &pl };
        hrl_log *log = NULL;
        struct hv_err err;
        int rc = hrl_open_mem(f, len, &o, &log, &err);
        enum hv_code open_code = rc == 0 ? HV_OK : err.code;
        if (rc == 0)
            hrl_verify_data(log);
        print_message("case %zu %s: %zu problem(s)%s%s\n", c, k->name, pl.n, pl.n ? ", first " : "",
                      pl.n ? hrl_kind_name(pl.p[0].kind) : "");
        assert_int_equal(rc, k->open_fails ? -1 : 0);
        if (k->kind == NONE) {
            assert_int_equal(pl.n, 0);
        } else {
            assert_true(plog_has(&pl, k->kind, k->off));
            if (k->exact)
                assert_int_equal(pl.n, (size_t)k->exact);
            /* STRICT stops with the first problem as the error. */
            o.flags = HRL_OPEN_STRICT;
            pl.n = 0;
            hrl_log *l2 = NULL;
            if (k->kind != HRL_P_DATA_CHECKSUM) {
                assert_int_equal(hrl_open_mem(f, len, &o, &l2, &err), -1);
                assert_true(err.code == HV_CORRUPT || err.code == HV_FORMAT ||
                            err.code == HV_UNSUPPORTED);
            }
        }
        if (k->kind == HRL_P_COOKIE && f[0] == 'v')
            assert_non_null(strstr(pl.p[0].msg, "try 'vhdx info'"));
        if (hrl)
            /* The exit contract: not a log at all (no header cookie) or a log that
             * cannot be judged (unsupported) is 2; damage is 1. */
            assert_int_equal(run_verify(hrl, f, len),
                             k->kind == NONE ? 0 : !hrl_probe(f, len) || (open_code != HV_OK && open_code != HV_CORRUPT) ? 2 : 1);
        hrl_close(log);
        free(f);
    }
}

/* A log of 6 blocks with payloads of 512-byte multiples; every cut. */
static void test_truncation_salvage(void **state)
{
    (void)state;
    struct memfile mf = { 0 };
    struct hrl_writer_opts o = { .created = 1, .metadata_size = 1024, .empty_first_block = 1 };
    hrl_writer *w;
    struct hv_err err;
    assert_int_equal(hrl_writer_open_io(memio(&mf), &o, &w, &err), 0);
    uint8_t buf[4096];
    memset(buf, 0x5A, sizeof buf);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(hrl_writer_add(w, (uint64_t)i * 512, buf, 512u * (1 + i % 8), 2, &err), 0);
        if (i % 8 == 7)
            assert_int_equal(hrl_writer_flush(w, &err), 0);
    }
    assert_int_equal(hrl_writer_close(w, NULL, &err), 0);
    /* Block offsets and entries per block from a clean read. */
    uint64_t boff[16], bent[16];
    size_t nb = 0;
    hrl_log *log;
    assert_int_equal(hrl_open_mem(mf.p, mf.len, NULL, &log, &err), 0);
    nb = log->nblocks;
    assert_int_equal(nb, 6); /* the empty first block + 5 batches of 8 */
    for (size_t i = 0; i < nb; i++) {
        boff[i] = log->blocks[i].off;
        bent[i] = log->blocks[i].valid;
    }
    hrl_close(log);
    for (size_t cut = 4096; cut <= mf.len; cut += 512) {
        size_t want = 0;
        uint64_t want_entries = 0;
        while (want < nb && boff[want] + 1024 <= cut)
            want_entries += bent[want++];
        struct plog pl = { 0 };
        struct hrl_open_opts oo = { HRL_OPEN_SALVAGE, plog_cb, &pl };
        assert_int_equal(hrl_open_mem(mf.p, cut, &oo, &log, &err), 0);
        struct hrl_info in;
        hrl_info(log, &in);
        assert_int_equal(in.blocks, want);
        assert_int_equal(in.entries, want_entries);
        uint64_t end = want ? boff[want - 1] + 1024 : 4096;
        assert_int_equal(in.end, want ? end : 0);
        assert_int_equal(in.lost_bytes, cut - end);
        assert_int_equal(hrl_verify_data(log), 0);
        hrl_close(log);
        /* Without --salvage a cut log reports the damage and yields nothing. */
        pl.n = 0;
        oo.flags = 0;
        assert_int_equal(hrl_open_mem(mf.p, cut, &oo, &log, &err), 0);
        hrl_info(log, &in);
        if (cut < mf.len) {
            assert_true(plog_has(&pl, HRL_P_EOL_RANGE, 44));
            assert_int_equal(in.entries, 0);
        } else {
            assert_int_equal(pl.n, 0);
            assert_int_equal(in.entries, 40);
        }
        hrl_close(log);
    }
    free(mf.p);
}

/* Every prefix of the base log, and every single-byte flip of its metadata,
 * gives problems or a clean read, never a crash (run under ASan in CI). */
static void test_prefix_and_flips(void **state)
{
    (void)state;
    make_base();
    uint8_t *f = malloc(base.len);
    /* Every prefix shorter than the header is refused, as TRUNCATED (or COOKIE
     * below 8 bytes), never read. */
    for (size_t len = 0; len < 4096; len++) {
        struct plog pl = { 0 };
        struct hrl_open_opts o = { 0, plog_cb, &pl };
        hrl_log *log;
        struct hv_err err;
        assert_int_equal(hrl_open_mem(base.p, len, &o, &log, &err), -1);
        assert_int_equal(pl.n, 1);
        assert_int_equal(pl.p[0].kind, len < 8 ? HRL_P_COOKIE : HRL_P_TRUNCATED);
    }
    for (size_t len = 0; len < base.len; len += 97) {
        hrl_log *log;
        struct hv_err err;
        for (unsigned fl = 0; fl < 2; fl++) {
            struct hrl_open_opts o = { fl ? HRL_OPEN_SALVAGE : 0, NULL, NULL };
            if (hrl_open_mem(base.p, len, &o, &log, &err) == 0) {
                hrl_verify_data(log);
                hrl_close(log);
            }
        }
    }
    for (size_t pos = 0; pos < base.len; pos += 7) {
        /* Unused entry slots (past the 4 valid ones) are covered by no checksum. */
        if ((pos >= B0 + 160 && pos < B0 + 4096) || (pos >= B1 + 160 && pos < B1 + 4096) ||
            (pos >= B2 + 160 && pos < B2 + 4096))
            continue;
        memcpy(f, base.p, base.len);
        f[pos] ^= 0xFF;
        hrl_log *log;
        struct hv_err err;
        struct hrl_open_opts o = { 0, NULL, NULL };
        if (hrl_open_mem(f, base.len, &o, &log, &err) == 0) {
            hrl_verify_data(log);
            struct hrl_info in;
            hrl_info(log, &in);
            if (in.problems == 0)
                print_message("flip at 0x%zx not detected\n", pos);
            assert_true(in.problems > 0); /* every other byte is covered by a check */
            hrl_close(log);
        }
    }
    free(f);
}

/* Never closed, pre-extended with zeros: salvage recovers all, loses nothing. */
static void test_salvage_zero_tail(void **state)
{
    (void)state;
    make_base();
    size_t len = base.len + 8192;
    uint8_t *f = calloc(1, len);
    memcpy(f, base.p, base.len);
    put_le64(f + 44, 0);
    put_le64(f + 32, len);
    fix_header(f);
    struct plog pl = { 0 };
    struct hrl_open_opts o = { HRL_OPEN_SALVAGE, plog_cb, &pl };
    hrl_log *log;
    struct hv_err err;
    assert_int_equal(hrl_open_mem(f, len, &o, &log, &err), 0);
    struct hrl_info in;
    hrl_info(log, &in);
    assert_int_equal(in.blocks, 3);
    assert_int_equal(in.entries, 12);
    assert_int_equal(in.lost_bytes, 0);
    assert_int_equal(pl.n, 1);
    assert_int_equal(pl.p[0].kind, HRL_P_UNCLOSED);
    hrl_close(log);
    /* A non-zero byte in the tail is reported as lost from the end of B2. */
    f[base.len + 5000] = 1;
    pl.n = 0;
    assert_int_equal(hrl_open_mem(f, len, &o, &log, &err), 0);
    hrl_info(log, &in);
    assert_int_equal(in.lost_bytes, 8192);
    assert_true(plog_has(&pl, HRL_P_LOST_DATA, EOL));
    hrl_close(log);
    free(f);
}

/* `test_hrl_corrupt --dump DIR` writes every damaged log of the corpus as
 * DIR/corrupt-NN.hrl, so the CLI matrix (tests/cli/hrl_matrix.sh) runs every
 * command over the same cases without a second copy of the damage table. */
static int dump_cases(const char *dir)
{
    make_base();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *f = malloc(base.len + 4096);
        memcpy(f, base.p, base.len);
        size_t len = base.len;
        cases[c].damage(f, &len);
        char path[4096];
        snprintf(path, sizeof path, "%s/corrupt-%02zu.hrl", dir, c);
        FILE *out = fopen(path, "wb");
        if (!out || fwrite(f, 1, len, out) != len || fclose(out) != 0)
            return 2;
        free(f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--dump")) {
        int rc = dump_cases(argv[2]);
        free(base.p);
        return rc;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_truncation_salvage),
        cmocka_unit_test(test_prefix_and_flips),
        cmocka_unit_test(test_salvage_zero_tail),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(base.p);
    return rc;
}
