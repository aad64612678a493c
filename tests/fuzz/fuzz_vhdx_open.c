/* fuzz_vhdx_open.c: libFuzzer target: arbitrary bytes as a VHDX file.
 * Invariants: open/read/map/info/check never crash or leak; a successful open
 * serves every in-range read, and reads out of range fail with HV_USAGE.
 *
 * Seeds are small: tests/fuzz/run.sh grows them into full images in memory, so
 * the committed corpus stays a few KB (see tests/fuzz/corpus/vhdx/README).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhdx.h"

static int count_run(const struct vhdx_run *r, void *ctx)
{
    (*(uint64_t *)ctx) += r->len;
    return 0;
}

static void ignore_problem(const struct vhdx_problem *p, void *ctx)
{
    (void)p;
    (void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Inputs are sparse-expanded: "SPRS" + u16 count + u16 size in MiB (0 = 8,
     * at most 32) + (u32 offset, u16 len, bytes)... lets a few-KB seed
     * describe a multi-MiB image. The memfd is sized with ftruncate and only
     * the pieces are written, so an execution costs microseconds, not a 32 MiB
     * copy. */
    int fd = memfd_create("fuzz.vhdx", 0);
    if (fd < 0)
        return 0;
    if (size >= 8 && !memcmp(data, "SPRS", 4)) {
        size_t mib = (size_t)data[6] | (size_t)data[7] << 8;
        size_t img_len = (mib == 0 ? 8 : mib > 32 ? 32 : mib) * 1024 * 1024;
        if (ftruncate(fd, (off_t)img_len) != 0) {
            close(fd);
            return 0;
        }
        size_t n = (size_t)data[4] | (size_t)data[5] << 8, p = 8;
        for (size_t i = 0; i < n && p + 6 <= size; i++) {
            uint32_t off = (uint32_t)data[p] | (uint32_t)data[p + 1] << 8 |
                           (uint32_t)data[p + 2] << 16 | (uint32_t)data[p + 3] << 24;
            size_t len = (size_t)data[p + 4] | (size_t)data[p + 5] << 8;
            p += 6;
            if (len > size - p)
                len = size - p;
            if (off < img_len && len <= img_len - off &&
                pwrite(fd, data + p, len, (off_t)off) != (ssize_t)len) {
                close(fd);
                return 0;
            }
            p += len;
        }
    } else if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct hv_err e;
    vhdx *v;
    struct vhdx_open_opts o = { VHDX_OPEN_NO_PARENT, NULL, 0, NULL, 0 };
    if (vhdx_open(path, &o, &v, &e) == 0) {
        struct vhdx_info in;
        if (vhdx_get_info(v, &in) != 0)
            abort();
        uint64_t vs = vhdx_virtual_size(v), covered = 0;
        if (vhdx_map(v, count_run, &covered, &e) == 0 && covered != vs)
            abort(); /* runs must tile the disk */
        uint8_t buf[8192];
        uint64_t offs[4] = { 0, vs / 2, vs > sizeof buf ? vs - sizeof buf : 0, vs / 3 + 7 };
        for (int i = 0; i < 4; i++) {
            size_t n = vs - offs[i] < sizeof buf ? (size_t)(vs - offs[i]) : sizeof buf;
            vhdx_read(v, buf, n, offs[i], &e);
        }
        if (vhdx_read(v, buf, 1, vs, &e) == 0 || e.code != HV_USAGE)
            abort();
        vhdx_close(v);
    }
    vhdx_check(path, &o, ignore_problem, NULL, &e);
    close(fd);
    return 0;
}
