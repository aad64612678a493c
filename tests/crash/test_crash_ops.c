/* test_crash_ops.c: power-loss sweeps over the whole-disk operations of
 * vhdx_ops.h (resize, compact), in the shape of test_crash.c: for k = 1, 2,
 * ... the operation runs over a crash_io recorder that loses power at flush
 * k; the surviving image must show exactly the old or the new disk, pass
 * vhdx_check, and keep its disk through an on-disk replay by a writable
 * open. Disks are compared by a sparse digest (virtual size, then offset and
 * SHA-256 of every non-zero MiB), so 128 GiB images cost what they hold.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"
#include "crash_util.h"
#include "vhdx.h"
#include "vhdx_ops.h"
#include "vhdx_write.h"

#define MB (1024 * 1024)

static char dir[256];

struct dig {
    vhdx *img;
    EVP_MD_CTX *md;
    uint8_t *buf;
    struct hv_err *e;
};

/* Present runs only: everything else reads as zeros and adds nothing. */
static int dig_run(const struct vhdx_run *r, void *ctx)
{
    struct dig *d = ctx;
    if (r->layer < 0 || (r->state != VHDX_BLOCK_FULLY_PRESENT &&
                         r->state != VHDX_BLOCK_PARTIALLY_PRESENT))
        return 0;
    for (uint64_t off = r->voff / MB * MB; off < r->voff + r->len; off += MB) {
        uint64_t end = vhdx_virtual_size(d->img);
        size_t n = end - off < MB ? (size_t)(end - off) : MB;
        if (vhdx_read(d->img, d->buf, n, off, d->e) != 0)
            return 1;
        size_t i = 0;
        while (i < n && !d->buf[i])
            i++;
        if (i == n)
            continue;
        uint8_t h[32];
        unsigned hl = 32;
        EVP_Digest(d->buf, n, h, &hl, EVP_sha256(), NULL);
        EVP_DigestUpdate(d->md, &off, sizeof off);
        EVP_DigestUpdate(d->md, h, 32);
    }
    return 0;
}

/* Runs never split a MiB here (1 MiB blocks), so each MiB is hashed once. */
static int disk_digest(const char *path, uint8_t digest[32], struct hv_err *e)
{
    vhdx *img;
    if (vhdx_open(path, NULL, &img, e) != 0)
        return -1;
    struct dig d = { img, EVP_MD_CTX_new(), malloc(MB), e };
    uint64_t size = vhdx_virtual_size(img);
    EVP_DigestInit_ex(d.md, EVP_sha256(), NULL);
    EVP_DigestUpdate(d.md, &size, sizeof size);
    int rc = vhdx_map(img, dig_run, &d, e);
    unsigned n = 32;
    EVP_DigestFinal_ex(d.md, digest, &n);
    EVP_MD_CTX_free(d.md);
    free(d.buf);
    vhdx_close(img);
    return rc ? -1 : 0;
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
    const char *file;
    int same;               /* the operation must not change the disk */
    uint8_t *start;
    size_t start_len;
    uint8_t old_d[32], new_d[32];
    size_t new_len;         /* file length after an uninterrupted run */
    op_fn op;
};

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
    s->new_len = len;
    hv_io_close(io);
    if (disk_digest(s->file, s->new_d, &e) != 0)
        crash_die(&e, "new digest");
    CHECK((memcmp(s->old_d, s->new_d, 32) == 0) == s->same, "%s: disk %s", s->name,
          s->same ? "changed" : "did not change");
    CHECK(len < s->start_len || !s->same, "%s: file did not shrink", s->name);
}

static void verify_survivor(struct scenario *s, unsigned k, uint64_t seed)
{
    struct hv_err e;
    hv_err_clear(&e);
    uint8_t d[32];
    if (disk_digest(s->file, d, &e) != 0) {
        char buf[1400];
        CHECK(0, "%s k=%u seed=%llu: reopen failed: %s", s->name, k, (unsigned long long)seed,
              hv_err_format(&e, buf, sizeof buf));
        return;
    }
    CHECK(!memcmp(d, s->old_d, 32) || !memcmp(d, s->new_d, 32),
          "%s k=%u seed=%llu: disk is neither old nor new", s->name, k, (unsigned long long)seed);
    int errors = 0;
    CHECK(vhdx_check(s->file, NULL, count_problem, &errors, &e) == 0 && errors == 0,
          "%s k=%u seed=%llu: check found %d errors", s->name, k, (unsigned long long)seed, errors);
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
    CHECK(disk_digest(s->file, d2, &e) == 0 && !memcmp(d, d2, 32),
          "%s k=%u seed=%llu: on-disk replay changed the disk", s->name, k, (unsigned long long)seed);
}

/* Operations that keep the disk are resumable: running them again on the
 * survivor must finish the job (the file an uninterrupted run leaves). */
static void resume(struct scenario *s, unsigned k, uint64_t seed)
{
    struct hv_err e;
    hv_err_clear(&e);
    size_t len;
    uint8_t *bytes = crash_slurp(s->file, &len);
    struct hv_io *io = crash_io_new(bytes, len, 0, 1);
    free(bytes);
    CHECK(s->op(io, s->file, &e) == 0, "%s k=%u seed=%llu: rerun failed", s->name, k,
          (unsigned long long)seed);
    crash_io_durable(io, &len);
    CHECK(len == s->new_len, "%s k=%u seed=%llu: rerun left %zu bytes, not %zu", s->name, k,
          (unsigned long long)seed, len, s->new_len);
    hv_io_close(io);
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
        if (st.crashed && s->same)
            resume(s, k, seed);
        if (!st.crashed)
            break;
    }
    printf("%-34s seed %-4llu %3u crash points\n", s->name, (unsigned long long)seed, k - 1);
}

static void run(struct scenario *s)
{
    struct hv_err e;
    hv_err_clear(&e);
    s->start = crash_slurp(s->file, &s->start_len);
    if (!s->start || disk_digest(s->file, s->old_d, &e) != 0)
        crash_die(&e, s->name);
    learn_new(s);
    const char *env = getenv("HVK_CRASH_SEEDS");
    uint64_t seeds = env ? strtoull(env, NULL, 10) : 1; /* HVK_CRASH_SEEDS=3 sweeps deeper */
    for (uint64_t seed = 1; seed <= seeds; seed++)
        sweep(s, seed);
    crash_spit(s->file, s->start, s->start_len);
    free(s->start);
}

/* ------------------------------------------------------------ operations */

static uint64_t resize_to;

static int op_resize(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx_rw *w;
    struct vhdx_resize_report r;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_resize_rw(w, resize_to, &r, e);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

static int op_compact(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx_rw *w;
    struct vhdx_compact_report r;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_compact_rw(w, &r, e);
    int rc2 = vhdx_close_rw(w, e);
    return rc || rc2 ? -1 : 0;
}

/* An image of `size` bytes with 1 MiB blocks; blocks in `fill` hold a
 * pattern, blocks in `zero` are allocated and zero. */
static void make(const char *path, enum vhdx_type type, uint64_t size, const char *fill)
{
    struct hv_err e;
    hv_err_clear(&e);
    unlink(path);
    struct vhdx_build_params p = { .type = type, .virtual_size = size, .block_size = MB };
    vhdx_builder *b;
    static uint8_t blk[MB];
    if (vhdx_builder_begin(path, &p, &b, &e) != 0)
        crash_die(&e, "begin");
    for (uint64_t i = 0; fill[i]; i++) {
        if (fill[i] == '.')
            continue;
        memset(blk, fill[i] == '0' ? 0 : fill[i], MB);
        if (vhdx_builder_put_block(b, i, blk, NULL, &e) != 0)
            crash_die(&e, "put");
    }
    if (vhdx_builder_finish(b, &e) != 0)
        crash_die(&e, "finish");
}

/* A child of `parent` holding: block 1 zero, block 2 data, part of block 4
 * (PARTIALLY_PRESENT, with a sector bitmap), block 6 zero. */
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
    vhdx_close(p);
    unlink(child);
    struct vhdx_build_params bp = { .type = VHDX_TYPE_DIFFERENCING, .block_size = MB, .parent = &pi };
    if (vhdx_create(child, &bp, &e) != 0)
        crash_die(&e, "child");
    static uint8_t z[MB], d[MB];
    memset(d, 0xc3, sizeof d);
    vhdx_rw *w;
    if (vhdx_open_rw(child, NULL, &w, &e) || vhdx_write(w, z, MB, 1 * MB, &e) ||
        vhdx_write(w, d, MB, 2 * MB, &e) || vhdx_write(w, d, 8192, 4 * MB + 4096, &e) ||
        vhdx_write(w, z, MB, 6 * MB, &e) || vhdx_close_rw(w, &e))
        crash_die(&e, "child data");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/hvk-crashops.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    char img[300];
    snprintf(img, sizeof img, "%s/img.vhdx", dir);

    struct scenario s = { .name = "resize: grow dynamic", .file = img, .op = op_resize };
    make(img, VHDX_TYPE_DYNAMIC, 8 * MB - 4096, "a.b.c.d");
    resize_to = 16 * MB;
    run(&s);

    s = (struct scenario){ .name = "resize: grow dynamic, BAT moves", .file = img, .op = op_resize };
    make(img, VHDX_TYPE_DYNAMIC, 8 * MB, "a.b.c.d");
    resize_to = UINT64_C(130) << 30;
    run(&s);

    s = (struct scenario){ .name = "resize: grow fixed", .file = img, .op = op_resize };
    make(img, VHDX_TYPE_FIXED, 6 * MB, "ab0cd0");
    resize_to = 9 * MB;
    run(&s);

    s = (struct scenario){ .name = "resize: shrink dynamic", .file = img, .op = op_resize };
    make(img, VHDX_TYPE_DYNAMIC, 8 * MB, "ab.c.00");
    resize_to = 5 * MB - 512;
    run(&s);

    s = (struct scenario){ .name = "resize: shrink fixed", .file = img, .op = op_resize };
    make(img, VHDX_TYPE_FIXED, 8 * MB, "ab.c.000");
    resize_to = 5 * MB;
    run(&s);

    s = (struct scenario){ .name = "compact: dynamic", .file = img, .same = 1, .op = op_compact };
    make(img, VHDX_TYPE_DYNAMIC, 8 * MB, "a0b00c0d");
    run(&s);

    /* a child: zero blocks become ZERO (over parent data), bitmaps move too */
    char base[300];
    snprintf(base, sizeof base, "%s/base.vhdx", dir);
    make(base, VHDX_TYPE_DYNAMIC, 8 * MB, "pqrstuvw");
    make_child(base, img);
    s = (struct scenario){ .name = "compact: child", .file = img, .same = 1, .op = op_compact };
    run(&s);

    unlink(base);
    unlink(img);
    rmdir(dir);
    printf("%s\n", crash_failures ? "FAILED" : "ok");
    return crash_failures ? 1 : 0;
}
