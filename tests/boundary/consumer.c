/* consumer.c: a program outside the source tree, built only with
 * `pkg-config --cflags --libs hvkit` against the installed headers and shared
 * libraries. It proves the installed API is enough for the two main jobs:
 *   consumer cat FILE                      the virtual disk of a chain, to stdout
 *   consumer restore BASE OUT POINT LOG... recovery point POINT as a flattened VHDX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hrl_restore.h>
#include <vhdx.h>

static int fail(const struct hv_err *e)
{
    char buf[1024];
    fprintf(stderr, "consumer: %s\n", hv_err_format(e, buf, sizeof buf));
    return 1;
}

static int cat(const char *path)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img;
    if (vhdx_open(path, NULL, &img, &e))
        return fail(&e);
    static char buf[1 << 20];
    uint64_t size = vhdx_virtual_size(img);
    for (uint64_t off = 0; off < size; off += sizeof buf) {
        size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        if (vhdx_read(img, buf, n, off, &e)) {
            vhdx_close(img);
            return fail(&e);
        }
        fwrite(buf, 1, n, stdout);
    }
    vhdx_close(img);
    return 0;
}

static void on_problem(void *ctx, const struct hrl_set_problem *p)
{
    (void)ctx;
    fprintf(stderr, "consumer: %s: %s\n", p->path ? p->path : "log set", p->msg);
}

static int restore(const char *base_path, const char *out, size_t point, char **logs, size_t n)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *base;
    if (vhdx_open(base_path, NULL, &base, &e))
        return fail(&e);
    struct vhdx_info info;
    vhdx_get_info(base, &info);
    struct hrl_base hb = { .virtual_size = info.virtual_size,
                           .sector_size = info.logical_sector_size,
                           .has_guid = 1,
                           .data_write_guid = info.data_write_guid };
    hrl_set *set = NULL;
    struct hrl_set_opts so = { .on_problem = on_problem };
    int rc = hrl_set_open((const char *const *)logs, n, &hb, &so, &set, &e);
    if (rc == 0 && hrl_set_usable(set) < point) {
        fprintf(stderr, "consumer: point %zu is not usable\n", point);
        rc = 1;
    } else if (rc == 0) {
        rc = hrl_restore(base, base_path, set, point, out, HRL_RESTORE_FLATTEN, NULL, NULL, &e);
    }
    if (rc < 0)
        fail(&e);
    hrl_set_close(set);
    vhdx_close(base);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "cat") == 0)
        return cat(argv[2]);
    if (argc >= 6 && strcmp(argv[1], "restore") == 0)
        return restore(argv[2], argv[3], strtoul(argv[4], NULL, 10), argv + 5, (size_t)argc - 5);
    fprintf(stderr, "usage: consumer cat FILE | consumer restore BASE OUT POINT LOG...\n");
    return 2;
}
