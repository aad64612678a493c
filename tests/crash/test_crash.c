/* test_crash.c: power-loss sweeps over the write engine (SQLite crash9 shape).
 *
 * For each scenario: build the starting image, then for k = 1, 2, ... run the
 * operation over a crash_io recorder that loses power at flush k (pending
 * writes applied, dropped or torn per seed). The surviving bytes are written
 * to a file, opened with the reader (which replays the log in memory) and
 * must show exactly the old or exactly the new virtual disk (SHA-256), with
 * vhdx_check reporting no errors; the same file is then replayed on disk by
 * a writable open and must still show the same content. The sweep ends at
 * the first k the operation survives. Deterministic: fixed seeds.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"
#include "crash_util.h"
#include "vhdx.h"
#include "vhdx_write.h"
#include "write_int.h" /* vhdx_rw_set_locator, vhdx_merge_copy: the steps swept alone */

#define MB (1024 * 1024)

static char dir[256];

static void sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    unsigned n = 32;
    EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

/* The whole virtual disk of `path` through the reader; 0 and *digest, or -1. */
static int disk_digest(const char *path, uint8_t digest[32], struct hv_err *e)
{
    vhdx *img;
    if (vhdx_open(path, NULL, &img, e) != 0)
        return -1;
    uint64_t n = vhdx_virtual_size(img);
    uint8_t *buf = malloc(n);
    int rc = vhdx_read(img, buf, n, 0, e);
    if (rc == 0)
        sha256(buf, n, digest);
    free(buf);
    vhdx_close(img);
    return rc;
}

static void count_problem(const struct vhdx_problem *p, void *ctx)
{
    if (p->severity == VHDX_ERROR) {
        fprintf(stderr, "  check: %s at 0x%llx: %s\n", p->what, (unsigned long long)p->offset, p->msg);
        ++*(int *)ctx;
    }
}

typedef int (*op_fn)(struct hv_io *io, const char *path, struct hv_err *e);

struct scenario {
    const char *name;
    const char *file;       /* image written through the recorder */
    const char *view;       /* image whose disk is digested (NULL: file) */
    int same;               /* the operation must not change the view at all */
    uint8_t *start;         /* starting bytes of the image */
    size_t start_len;
    uint8_t old_d[32], new_d[32];
    op_fn op;
};

/* Runs op against the real file once to learn the "new" digest. */
static void learn_new(struct scenario *s)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct hv_io *io = crash_io_new(s->start, s->start_len, 0, 1);
    if (s->op(io, s->file, &e) != 0)
        crash_die(&e, s->name);
    size_t len;
    const uint8_t *p = crash_io_durable(io, &len);
    crash_spit(s->file, p, len);
    hv_io_close(io);
    if (disk_digest(s->view, s->new_d, &e) != 0)
        crash_die(&e, "new digest");
    CHECK((memcmp(s->old_d, s->new_d, 32) == 0) == s->same, "%s: view %s", s->name,
          s->same ? "changed" : "did not change");
}

/* The surviving image must be old or new, check-clean, and stay so after an
 * on-disk replay by a writable open. */
static void verify_survivor(struct scenario *s, unsigned k, uint64_t seed)
{
    struct hv_err e;
    hv_err_clear(&e);
    uint8_t d[32];
    if (disk_digest(s->view, d, &e) != 0) {
        char buf[1400];
        CHECK(0, "%s k=%u seed=%llu: reopen failed: %s", s->name, k, (unsigned long long)seed,
              hv_err_format(&e, buf, sizeof buf));
        return;
    }
    int is_old = !memcmp(d, s->old_d, 32), is_new = !memcmp(d, s->new_d, 32);
    if (!is_old && !is_new && getenv("HVK_CRASH_KEEP")) { /* keep the evidence */
        char keep[400], cmd[900];
        snprintf(keep, sizeof keep, "%s/fail-k%u-s%llu.vhdx", getenv("HVK_CRASH_KEEP"), k,
                 (unsigned long long)seed);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", s->file, keep);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot keep %s\n", keep);
    }
    CHECK(is_old || is_new, "%s k=%u seed=%llu: disk is neither old nor new", s->name, k,
          (unsigned long long)seed);
    int errors = 0;
    CHECK(vhdx_check(s->view, NULL, count_problem, &errors, &e) == 0 && errors == 0,
          "%s k=%u seed=%llu: check found %d errors", s->name, k, (unsigned long long)seed, errors);
    /* the writable reopen runs over a recorder too: no real fsyncs */
    size_t len;
    uint8_t *bytes = crash_slurp(s->file, &len);
    struct hv_io *io = crash_io_new(bytes, len, 0, 1);
    free(bytes);
    vhdx_rw *w;
    if (vhdx_open_rw_io(io, s->file, NULL, &w, &e) != 0 || vhdx_close_rw(w, &e) != 0) {
        hv_io_close(io);
        CHECK(0, "%s k=%u: writable reopen failed", s->name, k);
        return;
    }
    const uint8_t *after = crash_io_durable(io, &len);
    crash_spit(s->file, after, len);
    hv_io_close(io);
    uint8_t d2[32];
    CHECK(disk_digest(s->view, d2, &e) == 0 && !memcmp(d, d2, 32),
          "%s k=%u seed=%llu: on-disk replay changed the disk", s->name, k, (unsigned long long)seed);
}

static void sweep(struct scenario *s, uint64_t seed)
{
    unsigned k;
    for (k = 1; k < 1000; k++) {
        struct hv_err e;
        hv_err_clear(&e);
        struct hv_io *io = crash_io_new(s->start, s->start_len, k, seed);
        s->op(io, s->file, &e);
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        size_t len;
        const uint8_t *p = crash_io_durable(io, &len);
        crash_spit(s->file, p, len);
        hv_io_close(io);
        verify_survivor(s, k, seed);
        if (!st.crashed)
            break;
    }
    printf("%-28s seed %-4llu %3u crash points\n", s->name, (unsigned long long)seed, k - 1);
}

static void run(struct scenario *s)
{
    struct hv_err e;
    hv_err_clear(&e);
    if (!s->view)
        s->view = s->file;
    s->start = crash_slurp(s->file, &s->start_len);
    if (!s->start || disk_digest(s->view, s->old_d, &e) != 0)
        crash_die(&e, s->name);
    learn_new(s);
    const char *env = getenv("HVK_CRASH_SEEDS");
    uint64_t seeds = env ? strtoull(env, NULL, 10) : 3;
    for (uint64_t seed = 1; seed <= seeds; seed++)
        sweep(s, seed);
    crash_spit(s->file, s->start, s->start_len);
    free(s->start);
}

/* ------------------------------------------------------------ operations */

static uint8_t pattern[3 * MB];

static int write_op(struct hv_io *io, const char *path, uint64_t off, size_t len, struct hv_err *e)
{
    vhdx_rw *w;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_write(w, pattern, len, off, e);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

/* allocates a new block (dynamic): part of block 3 (blocks 0, 2, 4, 6 hold
 * data). Overwrites of present blocks are not swept: like a disk, an in-place
 * payload write can tear, and VHDX does not journal payload. */
static int op_alloc(struct hv_io *io, const char *path, struct hv_err *e)
{
    return write_op(io, path, 3 * MB + 4096, 64 * 1024, e);
}

/* a whole new block (5) */
static int op_whole_block(struct hv_io *io, const char *path, struct hv_err *e)
{
    return write_op(io, path, 5 * MB, MB, e);
}

/* a child's partial write: PARTIALLY_PRESENT + a new sector-bitmap block */
static int op_partial(struct hv_io *io, const char *path, struct hv_err *e)
{
    return write_op(io, path, 1 * MB + 512 * 3, 512 * 5, e);
}

static int op_discard(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx_rw *w;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_discard(w, 0, MB, e);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

static char base_path[300], child_path[300], moved_path[300];

/* relink the child to a byte copy of its parent elsewhere (same identity) */
static int op_relink(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx *p;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(moved_path, &o, &p, e) != 0)
        return -1;
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    int rc = vhdx_parent_info_from(p, path, "D:\\vms\\moved.vhdx", &pi, store, sizeof store, e);
    vhdx_close(p);
    vhdx_rw *w;
    if (rc != 0 || vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    rc = vhdx_rw_set_locator(w, &pi, e);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

static struct hv_guid merge_guid; /* set once in main, read by op_merge */

/* merge step 3 alone: the child already names merge_guid as linkage2; the
 * parent is written through the recorder; the child's view must never move */
static int op_merge(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx *c;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(child_path, &o, &c, e) != 0)
        return -1;
    vhdx_rw *w;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0) {
        vhdx_close(c);
        return -1;
    }
    w->have_next_data_guid = 1;
    w->next_data_guid = merge_guid;
    int rc = vhdx_merge_copy(c, w, e);
    vhdx_close(c);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

/* create: the builder writes into the recorder. Publication (link into the
 * target name) happens only after finish()'s flush succeeded, so a cut at any
 * flush must make finish() fail (the target never appears: the old state),
 * and the run that survives must leave exactly the new image. */
static int build_into(struct hv_io *io, struct hv_err *e)
{
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = 8 * MB,
                                   .block_size = MB };
    vhdx_builder *b;
    if (vhdx_builder_begin_io(io, &p, &b, e) != 0)
        return -1;
    if (vhdx_builder_write(b, pattern, 3 * MB, MB + 512, e) != 0) {
        vhdx_builder_abort(b);
        return -1;
    }
    return vhdx_builder_finish(b, e);
}

static void sweep_create(const char *path)
{
    unsigned k;
    for (k = 1; k < 100; k++) {
        struct hv_err e;
        hv_err_clear(&e);
        struct hv_io *io = crash_io_new(NULL, 0, k, k);
        int rc = build_into(io, &e);
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        CHECK(st.crashed == (rc != 0), "create k=%u: finish %s after %s", k, rc ? "failed" : "succeeded",
              st.crashed ? "a power cut" : "no power cut");
        if (!st.crashed) {
            size_t len;
            const uint8_t *p = crash_io_durable(io, &len);
            crash_spit(path, p, len);
            uint8_t d[32], want[32];
            uint8_t *disk = calloc(1, 8 * MB);
            memcpy(disk + MB + 512, pattern, 3 * MB);
            sha256(disk, 8 * MB, want);
            free(disk);
            int errors = 0;
            CHECK(disk_digest(path, d, &e) == 0 && !memcmp(d, want, 32), "create: wrong disk");
            CHECK(vhdx_check(path, NULL, count_problem, &errors, &e) == 0 && errors == 0,
                  "create: check found %d errors", errors);
            unlink(path);
        }
        hv_io_close(io);
        if (!st.crashed)
            break;
    }
    printf("%-28s          %3u crash points\n", "create (builder)", k - 1);
}

/* ------------------------------------------------------------ setup */

static void make_base(const char *path, int fill)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_build_params p = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = 8 * MB,
                                   .block_size = MB };
    vhdx_builder *b;
    if (vhdx_builder_begin(path, &p, &b, &e) != 0)
        crash_die(&e, "begin");
    for (uint64_t i = 0; fill && i < 8; i += 2) {
        memset(pattern, (int)(0x40 + i), MB);
        if (vhdx_builder_put_block(b, i, pattern, NULL, &e) != 0)
            crash_die(&e, "put");
    }
    if (vhdx_builder_finish(b, &e) != 0)
        crash_die(&e, "finish");
}

static void make_child(const char *parent, const char *child)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *p;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(parent, &o, &p, &e) != 0)
        crash_die(&e, "parent");
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    if (vhdx_parent_info_from(p, child, NULL, &pi, store, sizeof store, &e) != 0)
        crash_die(&e, "parent info");
    struct vhdx_build_params bp = { .type = VHDX_TYPE_DIFFERENCING, .block_size = MB, .parent = &pi };
    vhdx_close(p);
    if (vhdx_create(child, &bp, &e) != 0)
        crash_die(&e, "child");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/hvk-crash.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    char *base = base_path, *child = child_path;
    snprintf(base, sizeof base_path, "%s/base.vhdx", dir);
    snprintf(child, sizeof child_path, "%s/child.vhdx", dir);
    snprintf(moved_path, sizeof moved_path, "%s/moved.vhdx", dir);
    make_base(base, 1);
    make_child(base, child);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 131 + (i >> 12));
    size_t blen = 0;
    uint8_t *bbytes = crash_slurp(base, &blen);
    crash_spit(moved_path, bbytes, blen); /* the "moved" parent: same bytes, same identity */

    char created[300];
    snprintf(created, sizeof created, "%s/created.vhdx", dir);
    sweep_create(created);

    struct scenario sc[] = {
        { .name = "dynamic: allocate block", .file = base, .op = op_alloc },
        { .name = "dynamic: whole block", .file = base, .op = op_whole_block },
        { .name = "dynamic: discard block", .file = base, .op = op_discard },
        { .name = "child: partial write", .file = child, .op = op_partial },
        { .name = "child: allocate block", .file = child, .op = op_whole_block },
    };
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
        run(&sc[i]);

    struct scenario relink = { .name = "child: relink", .file = child, .same = 1, .op = op_relink };
    run(&relink);
    unlink(moved_path);

    /* merge: give the child data (partial, whole, ZERO blocks), then record
     * the parent's next DataWriteGuid as its linkage2, as vhdx_merge does */
    struct hv_err e;
    hv_err_clear(&e);
    vhdx_rw *w;
    if (vhdx_open_rw(child, NULL, &w, &e) || vhdx_write(w, pattern, 5 * 512, MB + 1536, &e) ||
        vhdx_write(w, pattern, 2 * MB, 4 * MB, &e) || vhdx_discard(w, 6 * MB, MB, &e) ||
        vhdx_close_rw(w, &e))
        crash_die(&e, "child data");
    vhdx *p;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    if (vhdx_open(base, &o, &p, &e) || vhdx_parent_info_from(p, child, NULL, &pi, store, sizeof store, &e))
        crash_die(&e, "merge parent");
    vhdx_close(p);
    hv_guid_random(&merge_guid);
    pi.linkage2 = merge_guid;
    if (vhdx_open_rw(child, NULL, &w, &e) || vhdx_rw_set_locator(w, &pi, &e) || vhdx_close_rw(w, &e))
        crash_die(&e, "linkage2");
    struct scenario merge = { .name = "merge into parent", .file = base, .view = child, .same = 1,
                              .op = op_merge };
    run(&merge);
    free(bbytes);
    unlink(child);
    unlink(base);
    rmdir(dir);
    printf("%s\n", crash_failures ? "FAILED" : "ok");
    return crash_failures ? 1 : 0;
}
