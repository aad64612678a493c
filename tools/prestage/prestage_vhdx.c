/* prestage_vhdx.c: the planner's disk access (ps_disk_ops, ps_exec_ops)
 * implemented with libvhdx. Source chains open through vhdx_open() with the
 * source maps (its chain.c resolves and checks identity); target files are
 * reached through prestage_fs (no links followed) and opened by descriptor
 * via /proc/self/fd, so what we inspect is exactly the file we walked to. */
#define _GNU_SOURCE
#include "prestage_vhdx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestage_fs.h"
#include "vhdx.h"
#include "vhdx_write.h"

static void fill_disk(const vhdx *l, struct ps_disk *d)
{
    struct vhdx_info info;
    memset(d, 0, sizeof *d);
    vhdx_get_info(l, &info);
    char real[PATH_MAX];
    const char *p = vhdx_path(l);
    ps_strlcpy(d->path, sizeof d->path, realpath(p, real) ? real : p);
    d->data_write_guid = info.data_write_guid;
    d->virtual_size = info.virtual_size;
    d->logical_sector_size = info.logical_sector_size;
    struct stat st;
    if (stat(d->path, &st) == 0)
        d->allocated = (uint64_t)st.st_blocks * 512u;
    d->header_valid[0] = info.header_valid[0];
    d->header_valid[1] = info.header_valid[1];
    d->has_parent = info.has_parent;
    d->linkage = info.parent_linkage;
    d->linkage2 = info.parent_linkage2;
    for (size_t i = 0; i < info.locator_entries; i++) {
        const char *k, *v;
        if (vhdx_locator_entry(l, i, &k, &v))
            continue;
        if (strcmp(k, "relative_path") == 0)
            ps_strlcpy(d->relative_path, sizeof d->relative_path, v);
        else if (strcmp(k, "volume_path") == 0)
            ps_strlcpy(d->volume_path, sizeof d->volume_path, v);
        else if (strcmp(k, "absolute_win32_path") == 0)
            ps_strlcpy(d->absolute_path, sizeof d->absolute_path, v);
    }
}

/* For a CHILD that already sits on the target (a VM's own disk moved first),
 * its locator's relative path leads to target places that may still be
 * empty. Its source directories (target path -> Windows path -> every source
 * map that covers it) are added as search paths; the reader still checks
 * each candidate's identity. Returns the number of directories added. */
static size_t source_dirs(const struct ps_vhdx_ctx *c, const char *path, char (*dirs)[PS_PATH_MAX], size_t max)
{
    char win[PS_PATH_MAX], dir[PS_PATH_MAX];
    size_t n = 0;
    if (!c->dst || ps_unmap_local(c->dst, c->n_dst, path, win, sizeof win))
        return 0;
    ps_win_dirname(win, dir, sizeof dir);
    for (size_t i = 0; i < c->n_src && n < max; i++) {
        struct ps_mapped m;
        if (ps_map_win(&c->src[i], 1, dir, &m) == 0)
            ps_strlcpy(dirs[n++], PS_PATH_MAX, m.local);
        else if (ps_win_equal(c->src[i].from, dir) || (strlen(dir) + 1 == strlen(c->src[i].from) &&
                                                          !strncasecmp(dir, c->src[i].from, strlen(dir))))
            ps_strlcpy(dirs[n++], PS_PATH_MAX, c->src[i].to); /* the map's root itself */
    }
    return n;
}

static int chain_open(void *ctx_, const char *path, struct ps_disk **layers, size_t *n, struct hv_err *e)
{
    struct ps_vhdx_ctx *ctx = ctx_;
    vhdx *img;
    enum { MAXD = 8 };
    char(*dirs)[PS_PATH_MAX] = calloc(MAXD, PS_PATH_MAX);
    const char **search = calloc(ctx->src_opts.n_search_paths + MAXD, sizeof *search);
    if (!dirs || !search) {
        free(dirs);
        free(search);
        return hv_failx(e, HV_NOMEM, "plan", "out of memory");
    }
    struct vhdx_open_opts o = ctx->src_opts;
    size_t ns = 0;
    for (size_t i = 0; i < o.n_search_paths; i++)
        search[ns++] = o.search_paths[i];
    size_t nd = source_dirs(ctx, path, dirs, MAXD);
    for (size_t i = 0; i < nd; i++)
        search[ns++] = dirs[i];
    o.search_paths = search;
    o.n_search_paths = ns;
    int rc = vhdx_open(path, &o, &img, e);
    free(search);
    free(dirs);
    if (rc)
        return -1;
    size_t cnt = 0;
    for (const vhdx *l = img; l; l = vhdx_parent(l))
        cnt++;
    *layers = calloc(cnt, sizeof **layers);
    if (!*layers) {
        vhdx_close(img);
        return hv_failx(e, HV_NOMEM, "plan", "out of memory");
    }
    *n = 0;
    for (const vhdx *l = img; l; l = vhdx_parent(l))
        fill_disk(l, &(*layers)[(*n)++]);
    vhdx_close(img);
    return 0;
}

static enum ps_probe probe(void *ctx, const struct ps_map *map, const char *rel, struct ps_disk *out,
                           char *note, size_t notelen)
{
    (void)ctx;
    int dfd;
    const char *leaf;
    struct hv_err e;
    hv_err_clear(&e);
    switch (ps_walk(map->to, rel, 0, &dfd, &leaf, &e)) {
    case PS_WALK_OK:
        break;
    case PS_WALK_ABSENT:
        return PS_PROBE_ABSENT;
    case PS_WALK_UNSAFE:
        snprintf(note, notelen, "a directory on the way is a symbolic link or not a directory");
        return PS_PROBE_UNSAFE;
    default:
        hv_err_format(&e, note, notelen);
        return PS_PROBE_OTHER;
    }
    enum ps_probe r = PS_PROBE_OTHER;
    switch (ps_leaf_kind(dfd, leaf)) {
    case PS_LEAF_ABSENT:
        r = PS_PROBE_ABSENT;
        break;
    case PS_LEAF_LINK:
        snprintf(note, notelen, "a symbolic link (not followed)");
        break;
    case PS_LEAF_FILE: {
        int fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            snprintf(note, notelen, "cannot open: %s", strerror(errno));
            break;
        }
        struct vhdx_open_opts o = { VHDX_OPEN_NO_PARENT, NULL, 0, NULL, 0 };
        vhdx *img;
        if (vhdx_open_fd(fd, leaf, &o, &img, &e) == 0) {
            fill_disk(img, out);
            vhdx_close(img);
            r = PS_PROBE_DISK;
        } else {
            snprintf(note, notelen, "not a readable VHDX: %.200s", e.msg);
        }
        close(fd);
        break;
    }
    default:
        snprintf(note, notelen, "not a regular file");
        break;
    }
    close(dfd);
    return r;
}

static int place_id(void *ctx, const struct ps_map *map, const char *rel, struct hv_dirid *dir,
                    struct hv_dirid *leaf)
{
    (void)ctx;
    int dfd;
    const char *name;
    struct hv_err e;
    hv_err_clear(&e);
    memset(dir, 0, sizeof *dir);
    memset(leaf, 0, sizeof *leaf);
    if (ps_walk(map->to, rel, 0, &dfd, &name, &e) != PS_WALK_OK)
        return -1;
    int rc = hv_dirid_of(dfd, dir);
    ps_leaf_id(dfd, name, leaf);
    close(dfd);
    return rc;
}

struct count_ctx {
    int errors;
    char first[300];
};

static void on_problem(const struct vhdx_problem *p, void *ctx_)
{
    struct count_ctx *c = ctx_;
    if (p->severity == VHDX_ERROR && !c->errors++)
        snprintf(c->first, sizeof c->first, "%s: %s", p->what, p->msg);
}

static int verify(void *ctx, int fd, const struct ps_item *it, struct hv_err *e)
{
    (void)ctx;
    /* vhdx_check() takes a path: the descriptor's own /proc link names
     * exactly the file we hold, wherever its name has gone meanwhile. */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    struct vhdx_open_opts o = { VHDX_OPEN_NO_PARENT, NULL, 0, NULL, 0 };
    vhdx *img;
    if (vhdx_open_fd(fd, it->cand[it->dest].target.local, &o, &img, e))
        return -1;
    struct vhdx_info info;
    vhdx_get_info(img, &info);
    vhdx_close(img);
    char a[48], b[48];
    if (!hv_guid_eq(&info.data_write_guid, &it->src.data_write_guid))
        return hv_failx(e, HV_MISMATCH, "copy", "DataWriteGuid %s, source has %s (did it change?)",
                        hv_guid_format(&info.data_write_guid, 1, a),
                        hv_guid_format(&it->src.data_write_guid, 1, b));
    if (info.virtual_size != it->src.virtual_size || info.logical_sector_size != it->src.logical_sector_size)
        return hv_failx(e, HV_MISMATCH, "copy", "virtual size or sector size differ from the source");
    /* Both headers' CRCs must verify as they did on the source (a source with
     * one damaged header still copies; a copy that damaged one does not pass). */
    for (int h = 0; h < 2; h++)
        if (it->src.header_valid[h] && !info.header_valid[h])
            return hv_failx(e, HV_CORRUPT, "copy", "header %d checksum does not verify in the copy", h + 1);
    struct count_ctx cc = { 0, "" };
    int n = vhdx_check(p, &o, on_problem, &cc, e);
    if (n < 0)
        return -1;
    if (n > 0)
        return hv_failx(e, HV_CORRUPT, "copy", "check found %d errors (first: %.250s)", n, cc.first);
    return 0;
}

static int relink(void *ctx, int child_fd, const char *child, int parent_fd, const char *parent,
                  const char *win, struct hv_err *e)
{
    (void)ctx;
    /* through the write engine's log, on the descriptors copy opened; flags
     * 0: the new parent must have the identity the child is already linked to
     * (a relink never re-parents) */
    return vhdx_relink_fd(child_fd, child, parent_fd, parent, win, 0, e);
}

int ps_vhdx_init(struct ps_vhdx_ctx *c, const struct ps_map *maps, size_t n, const char *const *search,
                 size_t n_search, struct hv_err *e)
{
    memset(c, 0, sizeof *c);
    c->maps = calloc(n ? n : 1, sizeof *c->maps);
    if (!c->maps)
        return hv_failx(e, HV_NOMEM, "plan", "out of memory");
    for (size_t i = 0; i < n; i++) {
        c->maps[i].from = maps[i].from;
        c->maps[i].to = maps[i].to;
    }
    c->src = maps;
    c->n_src = n;
    c->src_opts.maps = c->maps;
    c->src_opts.n_maps = n;
    c->src_opts.search_paths = search;
    c->src_opts.n_search_paths = n_search;
    c->disk.chain = chain_open;
    c->disk.probe = probe;
    c->disk.place_id = place_id;
    c->disk.ctx = c;
    c->exec.verify = verify;
    c->exec.relink = relink;
    c->exec.ctx = c;
    return 0;
}

void ps_vhdx_set_target(struct ps_vhdx_ctx *c, const struct ps_map *dst, size_t n_dst)
{
    c->dst = dst;
    c->n_dst = n_dst;
}

void ps_vhdx_free(struct ps_vhdx_ctx *c)
{
    free(c->maps);
    c->maps = NULL;
}


