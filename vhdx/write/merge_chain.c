/* merge_chain.c: folding a differencing chain into one of its ancestors
 * (Merge-VHD -DestinationPath): child -> parent merges from the top down,
 * each the crash-safe, resumable vhdx_merge() of merge.c. Between two steps
 * the remaining chain is complete and opens, so an interrupted run is
 * finished by running it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "write_int.h"
#include "vhdx_ops.h"

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The steps from `child` down to `ancestor`, from the open chain. */
static int plan_steps(const vhdx *top, const char *ancestor, struct vhdx_merge_plan *p,
                      struct hv_err *e)
{
    size_t depth = 0, at = 0;
    for (const vhdx *l = top; l; l = vhdx_parent(l), depth++)
        if (!at && depth && same_file(vhdx_path(l), ancestor))
            at = depth;
    if (!at)
        return hv_failx(e, HV_USAGE, "merge", "'%s' is not an ancestor of this image", ancestor);
    p->steps = calloc(at, sizeof *p->steps);
    if (!p->steps)
        return hv_failx(e, HV_NOMEM, "merge", "out of memory");
    const vhdx *l = top;
    for (size_t i = 0; i < at; i++, l = vhdx_parent(l)) {
        struct vhdx_info info;
        vhdx_get_info(l, &info);
        struct vhdx_merge_step *s = &p->steps[p->n++];
        snprintf(s->child, sizeof s->child, "%s", vhdx_path(l));
        snprintf(s->parent, sizeof s->parent, "%s", vhdx_path(vhdx_parent(l)));
        s->bytes = info.present_sectors * info.logical_sector_size;
    }
    return 0;
}

int vhdx_merge_into(const char *child, const char *ancestor, const struct vhdx_open_opts *opts,
                    int dry_run, int keep, struct vhdx_merge_plan *p, struct hv_err *e)
{
    memset(p, 0, sizeof *p);
    vhdx *top;
    if (vhdx_open(child, opts, &top, e) != 0)
        return -1;
    int rc = plan_steps(top, ancestor, p, e);
    vhdx_close(top);
    if (rc != 0) {
        hv_err_file(e, child);
        return -1;
    }
    for (size_t i = 0; !dry_run && i < p->n; i++) {
        if (vhdx_merge(p->steps[i].child, keep, e) != 0)
            return -1;
        p->done++;
    }
    return 0;
}

void vhdx_merge_plan_free(struct vhdx_merge_plan *p)
{
    if (p) {
        free(p->steps);
        memset(p, 0, sizeof *p);
    }
}
