/* merge.c: folding a differencing child into its immediate parent, in the
 * crash-safe order of [MS-VHDX] note <12> (docs/vhdx-format.md §7.5):
 *
 *   1. choose the parent's next DataWriteGuid G and record it in the child's
 *      locator as parent_linkage2 (a logged metadata change of the child);
 *   2. open the parent for writing with G as its session DataWriteGuid
 *      (installed by the header update before the first data change);
 *   3. copy every sector the child holds into the parent through the normal
 *      write path; child ZERO/UNMAPPED/UNDEFINED blocks become zeros there.
 *
 * At every point the child still opens: its linkage matches the parent's
 * old GUID before step 2 and linkage2 matches G after it, and the child's
 * view never changes (it covers every sector being copied). Running merge
 * again after a crash finds linkage2 == the parent's GUID and resumes at 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_array.h"
#include "write_int.h"

#define COPY_CHUNK (1024 * 1024)

struct runs {
    struct vhdx_run *r;
    size_t n, cap;
};

static int collect(const struct vhdx_run *run, void *ctx)
{
    struct runs *rs = ctx;
    if (run->layer != 0 && run->layer != VHDX_LAYER_ZERO)
        return 0; /* NOT_PRESENT in the child: the parent's data stays */
    struct vhdx_run *p = hv_grow(rs->r, &rs->cap, rs->n + 1, sizeof *p);
    if (!p)
        return -1;
    rs->r = p;
    rs->r[rs->n++] = *run;
    return 0;
}

static int copy_run(vhdx *child, vhdx_rw *pw, const struct vhdx_run *run, uint8_t *buf,
                    struct hv_err *e)
{
    if (run->layer == VHDX_LAYER_ZERO) /* the child hides the parent with zeros */
        return vhdx_discard(pw, run->voff, run->len, e);
    for (uint64_t at = 0; at < run->len; at += COPY_CHUNK) {
        size_t n = (size_t)(run->len - at < COPY_CHUNK ? run->len - at : COPY_CHUNK);
        if (vhdx_read(child, buf, n, run->voff + at, e) != 0 ||
            vhdx_write(pw, buf, n, run->voff + at, e) != 0)
            return -1;
    }
    return 0;
}

int vhdx_merge_copy(vhdx *child_layer, vhdx_rw *pw, struct hv_err *e)
{
    struct runs rs = { 0 };
    uint8_t *buf = malloc(COPY_CHUNK);
    int rc = buf ? vhdx_map(child_layer, collect, &rs, e) : -1;
    if (!buf || rc > 0)
        rc = hv_failx(e, HV_NOMEM, "merge", "out of memory");
    if (rc == 0)
        rc = vhdx_rw_touch_data(pw, e); /* G is installed even if the child is empty */
    for (size_t i = 0; rc == 0 && i < rs.n; i++)
        rc = copy_run(child_layer, pw, &rs.r[i], buf, e);
    free(rs.r);
    free(buf);
    return rc;
}

/* Step 1: the child's locator, unchanged but for parent_linkage2 = g. */
static int record_linkage2(int child_fd, const char *child, vhdx *c, const struct vhdx_info *ci,
                           const struct hv_guid *g, struct hv_err *e)
{
    struct vhdx_parent_info pi = { .linkage = ci->parent_linkage, .linkage2 = *g };
    const char *k, *v;
    for (size_t i = 0; vhdx_locator_entry(c, i, &k, &v) == 0; i++) {
        if (!strcmp(k, "relative_path"))
            pi.relative_path = v;
        else if (!strcmp(k, "volume_path"))
            pi.volume_path = v;
        else if (!strcmp(k, "absolute_win32_path"))
            pi.absolute_win32_path = v;
    }
    vhdx_rw *w;
    if (vhdx_open_rw_fd(child_fd, child, NULL, &w, e) != 0)
        return -1;
    int rc = vhdx_rw_set_locator(w, &pi, e);
    return vhdx_close_rw(w, e) || rc ? -1 : 0;
}

/* The parent the chain resolved, opened read-write once (never through a
 * link) and checked on that descriptor: its DataWriteGuid must still be the
 * child's linkage (or linkage2 when resuming), so the file written is the
 * file the chain check accepted. Returns the descriptor or -1. */
static int open_parent(const char *path, const struct vhdx_info *ci, struct hv_err *e)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        hv_err_file(e, path);
        hv_fail_errno(e, errno, "open", "cannot open for writing%s", errno == ELOOP ? " (a symbolic link)" : "");
        return -1;
    }
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    vhdx *p;
    if (vhdx_open_fd(fd, path, &o, &p, e) != 0) {
        close(fd);
        return -1;
    }
    struct vhdx_info pinfo;
    vhdx_get_info(p, &pinfo);
    vhdx_close(p);
    if (!hv_guid_eq(&pinfo.data_write_guid, &ci->parent_linkage) &&
        !hv_guid_eq(&pinfo.data_write_guid, &ci->parent_linkage2)) {
        close(fd);
        hv_err_file(e, path);
        hv_failx(e, HV_MISMATCH, "parent chain", "the parent changed while the merge was starting");
        return -1;
    }
    return fd;
}

/* Opens the chain from the child's descriptor, opens the parent, picks (or,
 * resuming, finds) G. Returns the parent's descriptor or -1. */
static int prepare(int child_fd, const char *child, struct hv_guid *g, char *parent_path, size_t cap,
                   struct hv_err *e)
{
    vhdx *c;
    if (vhdx_open_fd(child_fd, child, NULL, &c, e) != 0)
        return -1;
    struct vhdx_info ci, pinfo;
    vhdx_get_info(c, &ci);
    const vhdx *p = vhdx_parent(c);
    int pfd = -1;
    if (!ci.has_parent || !p) {
        hv_failx(e, HV_USAGE, "merge", "not a differencing image");
    } else {
        vhdx_get_info(p, &pinfo);
        snprintf(parent_path, cap, "%s", vhdx_path(p));
        pfd = open_parent(vhdx_path(p), &ci, e);
        int resume = !hv_guid_is_zero(&ci.parent_linkage2) &&
                     hv_guid_eq(&pinfo.data_write_guid, &ci.parent_linkage2);
        if (pfd >= 0 && resume) {
            *g = ci.parent_linkage2; /* resuming an interrupted merge */
        } else if (pfd >= 0) {
            hv_guid_random(g);
            if (record_linkage2(child_fd, child, c, &ci, g, e) != 0) {
                close(pfd);
                pfd = -1;
            }
        }
    }
    vhdx_close(c);
    return pfd;
}

/* Removes the merged child only if its name still holds the file merged. */
static int remove_child(int child_fd, const char *child, struct hv_err *e)
{
    struct stat a, b;
    if (fstat(child_fd, &a) != 0 || lstat(child, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return hv_failx(e, HV_IO, "merge", "merged, but '%s' was replaced meanwhile; not removed", child);
    if (unlink(child) != 0)
        return hv_fail_errno(e, errno, "merge", "merged, but cannot remove '%s'", child);
    return 0;
}

int vhdx_merge(const char *child, int keep_child, struct hv_err *e)
{
    int cfd = open(child, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0) {
        hv_err_file(e, child);
        return hv_fail_errno(e, errno, "open", "cannot open for writing%s",
                             errno == ELOOP ? " (a symbolic link)" : "");
    }
    struct hv_guid g;
    char parent[4096];
    int pfd = prepare(cfd, child, &g, parent, sizeof parent, e);
    if (pfd < 0) {
        hv_err_file(e, child);
        close(cfd);
        return -1;
    }
    vhdx *c = NULL;
    vhdx_rw *pw = NULL;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    int rc = vhdx_open_fd(cfd, child, &o, &c, e);
    if (rc == 0)
        rc = vhdx_open_rw_fd(pfd, parent, NULL, &pw, e);
    if (rc == 0) {
        pw->have_next_data_guid = 1;
        pw->next_data_guid = g;
        rc = vhdx_merge_copy(c, pw, e);
    }
    vhdx_close(c);
    if ((pw && vhdx_close_rw(pw, e) != 0) || rc != 0) {
        close(pfd);
        close(cfd);
        return -1;
    }
    close(pfd);
    rc = keep_child ? 0 : remove_child(cfd, child, e);
    close(cfd);
    return rc;
}
