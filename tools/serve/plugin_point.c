/* plugin_point.c: the log set of a served recovery point (plugin_point.h).
 * Messages are those of `hrl restore`, so a refusal reads the same in both. */
#include "plugin_point.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <nbdkit-plugin.h>

#include "vhdx.h"

static void on_problem(void *ctx, const struct hrl_set_problem *p)
{
    (void)ctx;
    if (p->path)
        nbdkit_error("'%s': %s at 0x%" PRIx64 ": %s [%s]", p->path, p->what, p->offset, p->msg, p->kind);
    else
        nbdkit_error("%s: %s [%s]", p->what, p->msg, p->kind);
}

/* What the logs are checked against: the base's geometry and DataWriteGuid. */
static int base_desc(const struct pargs *a, struct hrl_base *b)
{
    struct hv_err e;
    hv_err_clear(&e);
    vhdx *img;
    if (vhdx_open(a->base, &a->o, &img, &e) != 0) {
        char buf[1200];
        hv_err_file(&e, a->base);
        nbdkit_error("%s", hv_err_format(&e, buf, sizeof buf));
        return -1;
    }
    struct vhdx_info info;
    vhdx_get_info(img, &info);
    *b = (struct hrl_base){ vhdx_virtual_size(img), vhdx_logical_sector_size(img), 1, info.data_write_guid };
    vhdx_close(img);
    return 0;
}

static int select_point(struct ppoint *p, const struct pargs *a)
{
    size_t n = hrl_set_count(p->set);
    p->point = n;
    if (a->point) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(a->point, &end, 10);
        if (errno || end == a->point || *end) {
            nbdkit_error("point: '%s' is not a number", a->point);
            return -1;
        }
        if (v > n) {
            nbdkit_error("point %llu: the logs give points 0..%zu", v, n);
            return -1;
        }
        p->point = (size_t)v;
    } else if (a->until) {
        int64_t t;
        if (pargs_parse_time(a->until, &t) != 0) {
            nbdkit_error("until: '%s' is not a time (2026-01-31T12:00:00Z or @UNIX)", a->until);
            return -1;
        }
        size_t k = 0;
        while (k < n && (int64_t)hrl_set_log_end_time(p->set, k) + HRL_EPOCH_UNIX <= t)
            k++;
        p->point = k;
    }
    return 0;
}

int ppoint_open(struct ppoint *p, const struct pargs *a)
{
    memset(p, 0, sizeof *p);
    struct hrl_base b;
    if (base_desc(a, &b) != 0)
        return -1;
    struct hv_err e;
    hv_err_clear(&e);
    struct hrl_set_opts o = { a->ignore_guid, on_problem, NULL };
    if (hrl_set_open((const char *const *)a->logs, a->nlogs, &b, &o, &p->set, &e) != 0) {
        char buf[1200];
        nbdkit_error("%s", hv_err_format(&e, buf, sizeof buf));
        return -1;
    }
    uint64_t np = hrl_set_problems(p->set);
    if (np) {
        nbdkit_error("refusing to serve: %" PRIu64 " problem%s in the logs (listed above); nothing served", np,
                     np == 1 ? "" : "s");
        ppoint_close(p);
        return -1;
    }
    if (select_point(p, a) != 0) {
        ppoint_close(p);
        return -1;
    }
    return 0;
}

void ppoint_close(struct ppoint *p)
{
    hrl_set_close(p->set);
    p->set = NULL;
}
