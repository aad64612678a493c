/* fuzz_hrl_points.c: libFuzzer target for the recovery-point path: a base
 * disk plus several logs, some damaged, through hrl_set_open (points and
 * verify), hrl_apply_io and hrl_restore. The invariant: whenever a point is
 * usable and applying or restoring it succeeds, the disk equals a simple
 * reference replay (each usable log's entries copied in log order).
 *
 * Input: [nlogs 1][flat 1] then per write [log 1][off 1][len 1][fill 1],
 * then damage records [log 1][pos 2][xor 1] over the written logs' bytes.
 * Offsets and lengths count 512-byte sectors on a 1 MiB disk; some writes
 * run past the disk on purpose. Files go to $TMPDIR (or /tmp).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrl.h"
#include "hrl_memio.h"
#include "hrl_points.h"
#include "hrl_restore.h"
#include "vhdx.h"
#include "vhdx_write.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define DISK (1u << 20)
#define MAXLOGS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How often each path ran (HRL_POINTS_STATS=1 prints it): a target whose
 * invariant never fires proves nothing. */
static unsigned long runs, applied, restored;
static void stats(void)
{
    fprintf(stderr, "fuzz_hrl_points: %lu runs, %lu applies and %lu restores compared\n", runs,
            applied, restored);
}

struct fuzz_dir {
    char dir[256];
    char base[300], out[300], logs[MAXLOGS][300];
};

static struct fuzz_dir *cleanup_dir;
static void cleanup(void)
{
    struct fuzz_dir *d = cleanup_dir;
    unlink(d->base);
    unlink(d->out);
    for (int i = 0; i < MAXLOGS; i++)
        unlink(d->logs[i]);
    rmdir(d->dir);
}

static void paths(struct fuzz_dir *d)
{
    const char *t = getenv("TMPDIR");
    char dir[200];
    snprintf(dir, sizeof dir, "%s/hrl-points-fuzz.%ld", t && *t ? t : "/tmp", (long)getpid());
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    snprintf(d->base, sizeof d->base, "%s/base.vhdx", dir);
    snprintf(d->out, sizeof d->out, "%s/out.vhdx", dir);
    for (int i = 0; i < MAXLOGS; i++)
        snprintf(d->logs[i], sizeof d->logs[i], "%s/%d.hrl", dir, i);
}

/* The base once per process: an empty 1 MiB dynamic VHDX (all zeros). */
static const char *base_vhdx(struct fuzz_dir *d)
{
    static int made;
    if (!made) {
        struct hv_err e;
        struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK,
                                       .block_size = DISK };
        CHECK(mkdir(d->dir, 0700) == 0 || access(d->dir, W_OK) == 0);
        unlink(d->base);
        CHECK(vhdx_create(d->base, &p, &e) == 0);
        made = 1;
    }
    return d->base;
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, len, f) == len && fclose(f) == 0);
}

/* Builds the logs (a chain by UniqueId) into memory, then damages them. */
static size_t make_logs(const uint8_t *data, size_t size, struct memfile *m, size_t *used)
{
    size_t nlogs = 1 + data[0] % MAXLOGS, nw = 0, pos = 2;
    hrl_writer *w[MAXLOGS];
    struct hv_err e;
    uint8_t buf[255 * 512];
    for (size_t i = 0; i < nlogs; i++) {
        struct hrl_writer_opts o = { .metadata_size = 128, .created = 1 };
        o.unique_id.b[0] = (uint8_t)(i + 1);
        o.previous_unique_id.b[0] = (uint8_t)i;
        CHECK(hrl_writer_open_io(memio(&m[i]), &o, &w[i], &e) == 0);
    }
    for (; pos + 4 <= size && nw < 64 && data[pos] != 0xFF; pos += 4, nw++) {
        const uint8_t *r = data + pos;
        uint32_t len = 512u * (1 + r[2] % 16);
        memset(buf, r[3], len);
        buf[0] = (uint8_t)nw; /* each write distinct */
        CHECK(hrl_writer_add(w[r[0] % nlogs], (uint64_t)r[1] * 4096 + (r[2] & 0x80 ? DISK : 0),
                             buf, len, (uint32_t)nw, &e) == 0);
    }
    for (size_t i = 0; i < nlogs; i++)
        CHECK(hrl_writer_close(w[i], NULL, &e) == 0);
    for (pos++; pos + 4 <= size; pos += 4) {
        struct memfile *f = &m[data[pos] % nlogs];
        size_t at = (size_t)(data[pos + 1] | data[pos + 2] << 8) % f->len;
        f->p[at] ^= data[pos + 3];
    }
    *used = nlogs;
    return nw;
}

/* The reference: every entry of logs 1..point, in chain order, copied. */
static void reference(const hrl_set *set, size_t point, uint8_t *disk)
{
    memset(disk, 0, DISK);
    for (size_t i = 0; i < point; i++) {
        struct hrl_iter it;
        struct hrl_entry en;
        hrl_iter_init(hrl_set_log_at(set, i)->log, 0, &it);
        while (hrl_iter_next(&it, &en)) {
            CHECK(en.disk_offset <= DISK && en.length <= DISK - en.disk_offset);
            memcpy(disk + en.disk_offset, en.payload, en.length);
        }
    }
}

static void read_vhdx(const char *path, uint8_t *disk)
{
    vhdx *img;
    struct hv_err e;
    CHECK(vhdx_open(path, NULL, &img, &e) == 0);
    CHECK(vhdx_virtual_size(img) == DISK);
    CHECK(vhdx_read(img, disk, DISK, 0, &e) == 0);
    vhdx_close(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static struct fuzz_dir d;
    if (!d.dir[0]) {
        paths(&d);
        cleanup_dir = &d;
        atexit(cleanup);
        if (getenv("HRL_POINTS_STATS"))
            atexit(stats);
    }
    runs++;
    const char *base_path = base_vhdx(&d);
    struct memfile m[MAXLOGS] = { 0 };
    size_t nlogs;
    make_logs(data, size, m, &nlogs);
    const char *lp[MAXLOGS];
    for (size_t i = 0; i < nlogs; i++) {
        write_file(d.logs[i], m[i].p, m[i].len);
        lp[i] = d.logs[i];
        free(m[i].p);
    }
    struct hrl_base b = { DISK, 512, 0, { { 0 } } };
    hrl_set *set;
    struct hv_err e;
    if (hrl_set_open(lp, nlogs, &b, NULL, &set, &e) != 0)
        return 0; /* a log that cannot be read at all */
    size_t point = hrl_set_usable(set);
    uint8_t *want = malloc(DISK), *got = malloc(DISK);
    CHECK(want && got);
    if (point) {
        reference(set, point, want);
        /* apply to a raw disk held in memory */
        memset(got, 0, DISK);
        struct memfile raw = { got, DISK, DISK, 0, 0 };
        struct hv_io *io = memio(&raw);
        if (hrl_apply_io(io, set, point, NULL, NULL, &e) == 0) {
            CHECK(raw.len == DISK && !memcmp(raw.p, want, DISK));
            applied++;
        }
        got = raw.p;
        hv_io_close(io);
        /* restore over the VHDX base */
        vhdx *base;
        CHECK(vhdx_open(base_path, NULL, &base, &e) == 0);
        unlink(d.out);
        if (hrl_restore(base, base_path, set, point, d.out, data[1] & 1 ? HRL_RESTORE_FLATTEN : 0,
                        NULL, NULL, &e) == 0) {
            read_vhdx(d.out, got);
            CHECK(!memcmp(got, want, DISK));
            restored++;
        } else {
            CHECK(access(d.out, F_OK) != 0); /* nothing left at the final name */
        }
        vhdx_close(base);
        unlink(d.out);
    }
    /* A point beyond the usable ones is refused and writes nothing. */
    if (point < hrl_set_count(set)) {
        struct memfile raw = { got, DISK, DISK, 0, 0 };
        memset(got, 0x77, DISK);
        struct hv_io *io = memio(&raw);
        CHECK(hrl_apply_io(io, set, point + 1, NULL, NULL, &e) != 0);
        for (size_t i = 0; i < DISK; i++)
            CHECK(raw.p[i] == 0x77);
        got = raw.p;
        hv_io_close(io);
    }
    hrl_set_close(set);
    free(want);
    free(got);
    return 0;
}
