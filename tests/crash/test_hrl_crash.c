/* test_hrl_crash.c: power cuts during `hrl apply` (libhrl hrl_apply_io and
 * hrl_apply_vhdx) and `hrl restore` (differencing and --flatten), swept over
 * every flush (tests/crash/crash_io.h).
 *
 * Three chained logs with overlapping writes go onto a 4 MiB disk: a raw
 * image, and a dynamic VHDX whose blocks 0 and 2 already hold data (so the
 * apply both overwrites present blocks and allocates new ones). For each cut
 * k = 1, 2, ... until the apply completes, and for each seed (pending writes
 * applied, dropped or torn), the surviving disk must be old-or-new per log:
 * for some j, every 512-byte sector holds its content at point j or at point
 * j+1 (points from a simple replay of the logs' entries). A VHDX must also
 * open (its log replayed) and pass vhdx_check. The run that completes must
 * give exactly the last point.
 *
 * Restore builds a new image under a temporary name and publishes it only
 * when the build finished, flushed (hrl_restore = hrl_restore_into +
 * hv_publish_tmp). So a cut at any flush of the build must make
 * hrl_restore_into fail (nothing gets published), and the run that survives
 * must leave an image that checks clean and reads as the last point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"
#include "crash_util.h"
#include "hrl_impl.h" /* hrl_restore_into: restore before its publication */
#include "hrl.h"
#include "hrl_points.h"
#include "hrl_restore.h"
#include "vhdx.h"
#include "vhdx_write.h"

#define MB (1024u * 1024u)
#define DISK (4 * MB)
#define NLOGS 3

static char dir[256], base_path[300], surv_path[300], out_path[300], log_path[NLOGS][300];
static uint8_t old_disk[DISK], got[DISK];
static uint8_t point_disk[NLOGS + 1][DISK]; /* point 0 = old_disk */
#define new_disk point_disk[NLOGS]

/* Logs: log i writes 24 ranges of 1..16 sectors, overlapping each other and
 * the other logs, each with its own bytes. */
static void make_logs(void)
{
    static uint8_t buf[16 * 512];
    struct hv_err e;
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < NLOGS; i++) {
        struct hrl_writer_opts o = { .created = 1, .metadata_size = 1024 };
        o.unique_id.b[0] = (uint8_t)(i + 1);
        o.previous_unique_id.b[0] = (uint8_t)i;
        hrl_writer *w;
        if (hrl_writer_create(log_path[i], &o, &w, &e) != 0)
            crash_die(&e, "log");
        for (int k = 0; k < 24; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            uint32_t len = 512u * (1 + (uint32_t)(s % 16));
            uint64_t off = (s >> 8) % (DISK / 512 - 16) * 512;
            memset(buf, (int)(s >> 40), len);
            buf[0] = (uint8_t)(i * 24 + k);
            if (hrl_writer_add(w, off, buf, len, 1, &e) != 0)
                crash_die(&e, "log write");
        }
        if (hrl_writer_close(w, NULL, &e) != 0)
            crash_die(&e, "log close");
    }
}

/* Base VHDX: blocks 0 and 2 present. Its disk is old_disk; the raw base too. */
static void make_base(void)
{
    struct hv_err e;
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK, .block_size = MB };
    if (vhdx_create(base_path, &p, &e) != 0)
        crash_die(&e, "base");
    vhdx_rw *w;
    static uint8_t fill[MB];
    memset(fill, 0xB5, sizeof fill);
    if (vhdx_open_rw(base_path, NULL, &w, &e) != 0 || vhdx_write(w, fill, MB, 0, &e) != 0 ||
        vhdx_write(w, fill, MB, 2 * MB, &e) != 0 || vhdx_close_rw(w, &e) != 0)
        crash_die(&e, "base write");
    memset(old_disk, 0, DISK);
    memcpy(old_disk, fill, MB);
    memcpy(old_disk + 2 * MB, fill, MB);
}

/* The reference replay: point k = old disk + entries of logs 1..k, copied. */
static void replay(const hrl_set *set)
{
    memcpy(point_disk[0], old_disk, DISK);
    for (size_t i = 0; i < hrl_set_count(set); i++) {
        memcpy(point_disk[i + 1], point_disk[i], DISK);
        struct hrl_iter it;
        struct hrl_entry en;
        hrl_iter_init(hrl_set_log_at(set, i)->log, 0, &it);
        while (hrl_iter_next(&it, &en))
            memcpy(point_disk[i + 1] + en.disk_offset, en.payload, en.length);
    }
}

/* Whether every sector of d is from point j or point j+1. */
static int between(const uint8_t *d, size_t j)
{
    for (size_t s = 0; s < DISK; s += 512)
        if (memcmp(d + s, point_disk[j] + s, 512) && memcmp(d + s, point_disk[j + 1] + s, 512))
            return 0;
    return 1;
}

/* Old-or-new per log: some j with d between points j and j+1. */
static void old_or_new(const uint8_t *d, const char *what, unsigned k, uint64_t seed)
{
    size_t j = 0;
    while (j < NLOGS && !between(d, j))
        j++;
    CHECK(j < NLOGS, "%s k=%u seed=%llu: the disk is not between two consecutive points", what,
          k, (unsigned long long)seed);
}

static void count_problem(const struct vhdx_problem *p, void *ctx)
{
    if (p->severity == VHDX_ERROR)
        ++*(int *)ctx;
}

static unsigned sweep_raw(const hrl_set *set, uint64_t seed)
{
    unsigned k;
    for (k = 1; k < 1000; k++) {
        struct hv_err e;
        struct hv_io *io = crash_io_new(old_disk, DISK, k, seed);
        int rc = hrl_apply_io(io, set, NLOGS, NULL, NULL, &e);
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        size_t len;
        const uint8_t *d = crash_io_durable(io, &len);
        CHECK(len == DISK, "raw k=%u: disk length %zu", k, len);
        old_or_new(d, "raw", k, seed);
        if (!st.crashed) {
            CHECK(rc == 0 && !memcmp(d, new_disk, DISK), "raw: the completed apply is not the point");
            hv_io_close(io);
            break;
        }
        CHECK(rc != 0, "raw k=%u: apply reported success across a power cut", k);
        hv_io_close(io);
    }
    return k;
}

static unsigned sweep_vhdx(const hrl_set *set, const uint8_t *start, size_t start_len, uint64_t seed)
{
    unsigned k;
    for (k = 1; k < 1000; k++) {
        struct hv_err e;
        hv_err_clear(&e);
        struct hv_io *io = crash_io_new(start, start_len, k, seed);
        vhdx_rw *w;
        int rc = vhdx_open_rw_io(io, surv_path, NULL, &w, &e);
        if (rc == 0) {
            rc = hrl_apply_vhdx(w, set, NLOGS, NULL, NULL, &e);
            rc |= vhdx_close_rw(w, &e);
        }
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        size_t len;
        const uint8_t *d = crash_io_durable(io, &len);
        crash_spit(surv_path, d, len);
        hv_io_close(io);
        vhdx *img = NULL;
        int errors = 0;
        CHECK(vhdx_check(surv_path, NULL, count_problem, &errors, &e) == 0 && errors == 0,
              "vhdx k=%u seed=%llu: check found %d errors", k, (unsigned long long)seed, errors);
        if (vhdx_open(surv_path, NULL, &img, &e) != 0 || vhdx_read(img, got, DISK, 0, &e) != 0) {
            CHECK(0, "vhdx k=%u seed=%llu: survivor does not open", k, (unsigned long long)seed);
        } else {
            old_or_new(got, "vhdx", k, seed);
        }
        vhdx_close(img);
        if (!st.crashed) {
            CHECK(rc == 0 && !memcmp(got, new_disk, DISK), "vhdx: the completed apply is not the point");
            break;
        }
    }
    return k;
}

static unsigned sweep_restore(const hrl_set *set, vhdx *base, unsigned flags, uint64_t seed)
{
    const char *what = flags & HRL_RESTORE_FLATTEN ? "restore --flatten" : "restore";
    unsigned k;
    for (k = 1; k < 1000; k++) {
        struct hv_err e;
        hv_err_clear(&e);
        struct hv_io *io = crash_io_new(NULL, 0, k, seed);
        int rc = hrl_restore_into(io, 1, base, out_path, set, NLOGS, flags, NULL, NULL, &e);
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        if (st.crashed) {
            CHECK(rc != 0, "%s k=%u seed=%llu: success across a power cut would publish it", what,
                  k, (unsigned long long)seed);
            hv_io_close(io);
            continue;
        }
        size_t len;
        const uint8_t *d = crash_io_durable(io, &len);
        crash_spit(out_path, d, len);
        hv_io_close(io);
        CHECK(rc == 0, "%s: the run without a cut failed", what);
        int errors = 0;
        CHECK(vhdx_check(out_path, NULL, count_problem, &errors, &e) == 0 && errors == 0,
              "%s: check found %d errors", what, errors);
        vhdx *img = NULL;
        CHECK(vhdx_open(out_path, NULL, &img, &e) == 0 && vhdx_read(img, got, DISK, 0, &e) == 0 &&
                  !memcmp(got, new_disk, DISK),
              "%s: the published image is not the point", what);
        vhdx_close(img);
        unlink(out_path);
        break;
    }
    return k;
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hrl-crash.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(base_path, sizeof base_path, "%s/base.vhdx", dir);
    snprintf(surv_path, sizeof surv_path, "%s/survivor.vhdx", dir);
    snprintf(out_path, sizeof out_path, "%s/restored.vhdx", dir);
    for (int i = 0; i < NLOGS; i++)
        snprintf(log_path[i], sizeof log_path[i], "%s/%d.hrl", dir, i);
    make_logs();
    make_base();
    struct hv_err e;
    hrl_set *set;
    struct hrl_base b = { DISK, 512, 0, { { 0 } } };
    const char *lp[NLOGS] = { log_path[0], log_path[1], log_path[2] };
    if (hrl_set_open(lp, NLOGS, &b, NULL, &set, &e) != 0)
        crash_die(&e, "set");
    if (hrl_set_usable(set) != NLOGS) {
        fprintf(stderr, "FATAL: the logs are not a sound chain\n");
        return 1;
    }
    replay(set);
    for (size_t j = 0; j < NLOGS; j++)
        if (!memcmp(point_disk[j], point_disk[j + 1], DISK)) {
            fprintf(stderr, "FATAL: log %zu changes nothing: the sweep would prove little\n", j + 1);
            return 1;
        }
    size_t start_len = 0;
    uint8_t *start = crash_slurp(base_path, &start_len);
    if (!start)
        return 1;
    const char *env = getenv("HVK_CRASH_SEEDS");
    uint64_t seeds = env ? strtoull(env, NULL, 10) : 3;
    unsigned raw_points = 0, vhdx_points = 0, diff_points = 0, flat_points = 0;
    vhdx *base;
    if (vhdx_open(base_path, NULL, &base, &e) != 0)
        crash_die(&e, "base open");
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        raw_points += sweep_raw(set, seed) - 1;
        vhdx_points += sweep_vhdx(set, start, start_len, seed) - 1;
        diff_points += sweep_restore(set, base, 0, seed) - 1;
        flat_points += sweep_restore(set, base, HRL_RESTORE_FLATTEN, seed) - 1;
    }
    vhdx_close(base);
    printf("hrl restore:           %u crash points over %llu seeds\n", diff_points,
           (unsigned long long)seeds);
    printf("hrl restore --flatten: %u crash points over %llu seeds\n", flat_points,
           (unsigned long long)seeds);
    CHECK(diff_points >= seeds && flat_points >= seeds, "no restore crash point was swept");
    printf("hrl apply raw:         %u crash points over %llu seeds\n", raw_points, (unsigned long long)seeds);
    printf("hrl apply vhdx:        %u crash points over %llu seeds\n", vhdx_points, (unsigned long long)seeds);
    CHECK(raw_points >= seeds && vhdx_points >= seeds, "no crash point was swept");
    hrl_set_close(set);
    free(start);
    unlink(base_path);
    unlink(surv_path);
    for (int i = 0; i < NLOGS; i++)
        unlink(log_path[i]);
    rmdir(dir);
    printf("%s\n", crash_failures ? "FAILED" : "ok");
    return crash_failures != 0;
}
