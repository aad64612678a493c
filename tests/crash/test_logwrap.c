/* test_logwrap.c: one long writable session whose log entries wrap the
 * 1 MiB ring several times (logwrite.c), over a crash_io recorder: the
 * result must read back exactly as the model, and power cuts late in the
 * session (entries split across the ring's end, old entries of the same
 * session overwritten) must leave a disk that is some prefix of the writes,
 * never anything else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"
#include "crash_util.h"
#include "vhdx.h"
#include "vhdx_write.h"

#define MB (1024 * 1024)
#define DISK (4 * MB)
#define WRITES 300

/* Write i: 512 bytes of value i+1 at a sector that advances through block 0
 * of a child: every write logs one bitmap sector, so ~8 KiB per entry. */
static uint64_t write_off(int i)
{
    return (uint64_t)(i % 2048) * 512;
}

static int session(struct hv_io *io, const char *path, struct hv_err *e)
{
    vhdx_rw *w;
    if (vhdx_open_rw_io(io, path, NULL, &w, e) != 0)
        return -1;
    uint8_t sec[512];
    for (int i = 0; i < WRITES; i++) {
        memset(sec, i + 1, sizeof sec);
        if (vhdx_write(w, sec, sizeof sec, write_off(i), e) != 0) {
            vhdx_close_rw(w, NULL);
            return -1;
        }
    }
    return vhdx_close_rw(w, e);
}

/* How many of the writes the disk shows (a prefix), or -1 if it is no prefix. */
static int prefix_len(const char *path, const uint8_t *parent)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img;
    if (vhdx_open(path, NULL, &img, &e) != 0)
        return -1;
    uint8_t *d = malloc(DISK);
    int rc = vhdx_read(img, d, DISK, 0, &e);
    vhdx_close(img);
    int n = -1;
    for (int k = 0; rc == 0 && k <= WRITES && n < 0; k++) {
        int ok = 1;
        for (uint64_t s = 0; s < DISK / 512 && ok; s++) {
            uint8_t want = parent[s * 512];
            if (s < (uint64_t)WRITES && (int)s < k)
                want = (uint8_t)(s + 1);
            ok = d[s * 512] == want && d[s * 512 + 511] == want;
        }
        if (ok)
            n = k;
    }
    free(d);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/hvk-logwrap.XXXXXX", base[64], child[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(base, sizeof base, "%s/base.vhdx", dir);
    snprintf(child, sizeof child, "%s/child.vhdx", dir);
    struct hv_err e;
    hv_err_clear(&e);
    uint8_t *parent = malloc(DISK);
    memset(parent, 0xEE, DISK);
    struct vhdx_build_params bp = { .type = VHDX_TYPE_DYNAMIC, .virtual_size = DISK, .block_size = MB };
    vhdx_builder *b;
    if (vhdx_builder_begin(base, &bp, &b, &e) || vhdx_builder_write(b, parent, DISK, 0, &e) ||
        vhdx_builder_finish(b, &e))
        crash_die(&e, "base");
    vhdx *p;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    char store[3 * 4096];
    struct vhdx_parent_info pi;
    if (vhdx_open(base, &o, &p, &e) || vhdx_parent_info_from(p, child, NULL, &pi, store, sizeof store, &e))
        crash_die(&e, "parent");
    vhdx_close(p);
    struct vhdx_build_params cp = { .type = VHDX_TYPE_DIFFERENCING, .block_size = MB, .parent = &pi };
    if (vhdx_create(child, &cp, &e))
        crash_die(&e, "child");
    size_t len = 0;
    uint8_t *start = crash_slurp(child, &len);

    int failures = 0;
    /* the clean run, then cuts spread over the session (3 flushes per write) */
    unsigned cuts[] = { 0, 300, 301, 402, 455, 520, 700, 801, 850, 899 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct hv_io *io = crash_io_new(start, len, cuts[i], 1000 + i);
        session(io, child, &e);
        struct crash_io_stats st;
        crash_io_get_stats(io, &st);
        size_t dlen;
        const uint8_t *d = crash_io_durable(io, &dlen);
        crash_spit(child, d, dlen);
        hv_io_close(io);
        int n = prefix_len(child, parent);
        printf("cut at flush %3u (of %u): disk shows the first %d writes\n", cuts[i], st.flushes, n);
        if (n < 0 || (cuts[i] == 0 && n != WRITES) || (cuts[i] == 0 && st.crashed))
            failures++;
    }
    unlink(child);
    unlink(base);
    rmdir(dir);
    free(start);
    free(parent);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
