/* prestage_copy.c: execute a pre-staging plan (see prestage_copy.h). */
#define _GNU_SOURCE
#include "prestage_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "prestage_fs.h"
#include "prestage_resume.h"
#include "sparse_copy.h"

const char *ps_action_name(int a)
{
    static const char *const n[] = { "none", "done", "would", "skipped", "failed" };
    return (unsigned)a < sizeof n / sizeof n[0] ? n[a] : "?";
}

struct progress_ctx {
    const struct ps_exec_ops *ops;
    const char *path;
    struct ps_ckpt *ck;
    struct hv_err *e;
};

static int on_checkpoint(uint64_t upto, void *ctx)
{
    struct progress_ctx *p = ctx;
    return ps_ckpt_mark(p->ck, upto, p->e);
}

static void on_progress(uint64_t done, uint64_t total, void *ctx)
{
    struct progress_ctx *p = ctx;
    if (p->ops->progress)
        p->ops->progress(p->ops->ctx, p->path, done, total);
}

/* rename without replacing; falls back to link+unlink where renameat2 is missing */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
    if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(dfd, from, dfd, to, 0) != 0)
        return -1;
    return unlinkat(dfd, from, 0);
}

static void set_note(char *note, size_t len, const struct hv_err *e)
{
    hv_err_format(e, note, len);
}

static int same_id(const struct hv_dirid *a, const struct hv_dirid *b)
{
    return a->dev == b->dev && a->ino == b->ino;
}

/* Length of the directory part of local path `p` whose last component is `leaf`. */
static int dir_len(const char *p, const char *leaf)
{
    size_t n = strlen(p) - strlen(leaf);
    return (int)(n > 1 ? n - 1 : n);
}

/* Walks to map root + rel (creating directories with `create`) and checks the
 * directory is the one planned (`want`, zero = not known then). Returns the
 * directory descriptor, or -1 with the note naming the path. */
static int open_dir(const struct ps_map *map, const struct ps_mapped *t, const struct hv_dirid *want,
                    int create, const char **leaf, char *note, size_t notelen)
{
    struct hv_err e;
    hv_err_clear(&e);
    int rfd = hv_walk_root(map->to);
    if (rfd < 0) {
        snprintf(note, notelen, "cannot open the target root '%.480s': %.60s", map->to, strerror(errno));
        return -1;
    }
    struct hv_walk w;
    int rc = hv_walk(rfd, t->rel, create ? HV_WALK_CREATE : 0, &w, &e);
    close(rfd);
    if (rc == HV_WALK_UNSAFE || rc == HV_WALK_ABSENT) { /* name the directory that is wrong */
        snprintf(note, notelen, "'%.480s%.*s' is %s; not followed", map->to, (int)w.bad_len, t->rel,
                 rc == HV_WALK_ABSENT ? "missing" : "a symbolic link or not a directory");
        return -1;
    }
    if (rc != HV_WALK_OK) {
        set_note(note, notelen, &e);
        return -1;
    }
    int dfd = w.dirfd;
    *leaf = w.leaf;
    struct hv_dirid now;
    if (hv_dirid_of(dfd, &now) != 0 || (want->ino && !same_id(want, &now))) {
        snprintf(note, notelen, "the directory '%.*s' changed since the plan (renamed or replaced); not written",
                 dir_len(t->local, *leaf), t->local);
        close(dfd);
        return -1;
    }
    return dfd;
}

/* Is the path still leading to the directory we hold? (Called before the
 * rename: the rename itself is relative to dfd and cannot leave it.) */
static int dir_still_there(const struct ps_map *map, const struct ps_mapped *t, int dfd)
{
    struct hv_err e;
    hv_err_clear(&e);
    int now_fd;
    const char *leaf;
    if (ps_walk(map->to, t->rel, 0, &now_fd, &leaf, &e) != PS_WALK_OK)
        return 0;
    struct hv_dirid a, b;
    int ok = hv_dirid_of(now_fd, &a) == 0 && hv_dirid_of(dfd, &b) == 0 && same_id(&a, &b);
    close(now_fd);
    return ok;
}

/* Copies one item. Returns 0 done, -1 failed (note set). */
static int copy_item(struct ps_item *it, const struct ps_opts *po, const struct ps_copy_opts *co,
                     const struct ps_exec_ops *ops, uint64_t fail_after)
{
    const struct ps_candidate *c = &it->cand[it->dest];
    const struct ps_map *map = &po->dst_maps[c->target.map];
    const char *final = c->target.local;
    struct hv_err e;
    hv_err_clear(&e);
    int in = -1, out = -1, rc = -1;
    const char *leaf;
    char tmp[300], stale[320];
    struct ps_ckpt ck;
    int have_ck = 0;
    memset(&ck, 0, sizeof ck);

    int dfd = open_dir(map, &c->target, &it->dir, 1, &leaf, it->action_note, sizeof it->action_note);
    if (dfd < 0)
        return -1;
    if (snprintf(tmp, sizeof tmp, ".%s.hvkit-partial", leaf) >= (int)sizeof tmp) {
        snprintf(it->action_note, sizeof it->action_note, "'%.480s': file name too long", final);
        goto out;
    }
    /* What is at the final name now (it may have changed since planning). */
    struct hv_dirid old_id = { 0, 0 };
    enum ps_leaf k = ps_leaf_id(dfd, leaf, &old_id);
    if (k != PS_LEAF_ABSENT && !(it->verdict == PS_STALE && co->replace_stale)) {
        snprintf(it->action_note, sizeof it->action_note, "something appeared at '%.480s'; not replaced", final);
        goto out;
    }
    if (k == PS_LEAF_OTHER || k == PS_LEAF_ERROR) {
        snprintf(it->action_note, sizeof it->action_note, "'%.480s' is not a file or link; not replaced", final);
        goto out;
    }
    in = open(it->src.path, O_RDONLY | O_CLOEXEC);
    struct ps_source_id sid;
    if (in < 0 || ps_source_id_of(in, &it->src.data_write_guid, &sid) != 0) {
        hv_fail_errno(&e, errno, "source", "cannot open '%.480s'", it->src.path);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    /* A leftover from an interrupted run: resumed at what it proves
     * (prestage_resume.h), else removed (unlinkat never follows a link). */
    uint64_t from = 0;
    out = openat(dfd, tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (out >= 0) {
        if (ps_ckpt_begin(&ck, out, &sid, 1, &from, &e) != 0) {
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        have_ck = 1;
        if (!from) {
            ps_ckpt_end(&ck);
            have_ck = 0;
            close(out);
            out = -1;
        }
    }
    if (out < 0) {
        if (unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT) {
            hv_fail_errno(&e, errno, "target", "cannot remove a leftover partial copy of '%.480s'", final);
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        out = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0) {
            hv_fail_errno(&e, errno, "target", "cannot create a partial copy beside '%.480s'", final);
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        if (ps_ckpt_begin(&ck, out, &sid, 0, &from, &e) != 0) {
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        have_ck = 1;
    }
    /* what the record does not prove is cut away before copying on */
    if (from && ftruncate(out, (off_t)from) != 0) {
        hv_fail_errno(&e, errno, "target", "cannot cut the partial copy of '%.480s'", final);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    it->resumed_from = from;
    struct progress_ctx pc = { ops, final, &ck, &e };
    struct sparse_copy_opts so = { on_progress, &pc, fail_after, from, on_checkpoint };
    struct sparse_copy_stats sst;
    int crc = sparse_copy_fd(in, out, &so, &sst, &e);
    it->copied_bytes = sst.data_bytes;
    if (crc || fsync(out) != 0) {
        if (e.code == HV_OK)
            hv_fail_errno(&e, errno, "target", "fsync of the copy of '%.480s'", final);
        set_note(it->action_note, sizeof it->action_note, &e);
        if (ck.prefix) { /* what is proved stays for the next run */
            size_t n = strlen(it->action_note);
            snprintf(it->action_note + n, sizeof it->action_note - n,
                     "; %llu bytes verified, the next run resumes there", (unsigned long long)ck.prefix);
        } else {
            unlinkat(dfd, tmp, 0);
        }
        goto out;
    }
    fremovexattr(out, "user.hvkit.resume"); /* the finished copy carries no record */
    /* verified on the descriptor written, not by name */
    if (ops->verify(ops->ctx, out, it, &e)) {
        set_note(it->action_note, sizeof it->action_note, &e);
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (!dir_still_there(map, &c->target, dfd)) {
        snprintf(it->action_note, sizeof it->action_note,
                 "the directory '%.*s' changed while copying (renamed or replaced); the copy was not put in place",
                 dir_len(final, leaf), final);
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (k != PS_LEAF_ABSENT) {
        /* the file in the way must still be the one planned (a link there is
         * only ever renamed, never followed) */
        struct hv_dirid now = { 0, 0 };
        if (ps_leaf_id(dfd, leaf, &now) == PS_LEAF_ABSENT || !same_id(&now, &old_id) ||
            (it->leaf.ino && !same_id(&now, &it->leaf))) {
            snprintf(it->action_note, sizeof it->action_note,
                     "'%.480s' changed since the plan (renamed or replaced); not replaced", final);
            unlinkat(dfd, tmp, 0);
            goto out;
        }
        /* keep the old file under a new name first, then replace atomically */
        char ts[32];
        time_t now_t = time(NULL);
        struct tm tm;
        gmtime_r(&now_t, &tm);
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(stale, sizeof stale, "%s.stale-%s", leaf, ts);
        if (linkat(dfd, leaf, dfd, stale, 0) != 0 && renameat(dfd, leaf, dfd, stale) != 0) {
            hv_fail_errno(&e, errno, "target", "cannot keep the stale '%.480s' as '%.480s'", final, stale);
            set_note(it->action_note, sizeof it->action_note, &e);
            unlinkat(dfd, tmp, 0);
            goto out;
        }
        if (renameat(dfd, tmp, dfd, leaf) != 0) {
            hv_fail_errno(&e, errno, "target", "cannot put the copy in place as '%.480s'", final);
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        /* the kept path: the final path's directory + the stale name */
        size_t dl = strlen(final) - strlen(leaf);
        snprintf(it->kept, sizeof it->kept, "%.*s%s", (int)dl, final, stale);
    } else if (rename_noreplace(dfd, tmp, leaf) != 0) {
        if (errno == EEXIST)
            snprintf(it->action_note, sizeof it->action_note,
                     "something appeared at '%.480s' while copying; not replaced", final);
        else
            set_note(it->action_note, sizeof it->action_note,
                     (hv_fail_errno(&e, errno, "target", "cannot put the copy in place as '%.480s'", final), &e));
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (fsync(dfd) != 0) {
        hv_fail_errno(&e, errno, "target", "fsync of the directory of '%.480s'", final);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    /* later steps (relink) must find exactly this copy here */
    hv_dirid_of(dfd, &it->dir);
    hv_dirid_of(out, &it->leaf);
    rc = 0;
out:
    if (have_ck)
        ps_ckpt_end(&ck);
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    close(dfd);
    return rc;
}

/* Opens the file planned at map root + t->rel (directory `dir`, file `leaf`
 * as planned; zero = unknown) with `flags` | O_NOFOLLOW. Returns the fd, or -1
 * with the note naming what changed. */
static int open_planned(const struct ps_opts *po, const struct ps_mapped *t, const struct hv_dirid *dir,
                        const struct hv_dirid *leafid, int flags, char *note, size_t notelen)
{
    const char *leaf;
    int dfd = open_dir(&po->dst_maps[t->map], t, dir, 0, &leaf, note, notelen);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, leaf, flags | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(dfd);
    if (fd < 0) {
        snprintf(note, notelen, "cannot open '%.480s'%s: %.60s", t->local, err == ELOOP ? " (a symbolic link)" : "",
                 strerror(err));
        return -1;
    }
    struct hv_dirid now;
    if (hv_dirid_of(fd, &now) != 0 || (leafid->ino && !same_id(&now, leafid))) {
        snprintf(note, notelen, "'%.480s' changed since the plan (renamed or replaced); not written", t->local);
        close(fd);
        return -1;
    }
    return fd;
}

/* Relinks link l: both files reached by walks from their roots and checked
 * against the plan; the write engine then works on the descriptors. */
static int relink_one(const struct ps_plan *pl, const struct ps_opts *po, struct ps_link *l,
                      const struct ps_exec_ops *ops)
{
    const struct ps_item *p = &pl->items[l->parent_item];
    struct ps_mapped ct;
    const struct hv_dirid *cdir = &l->child_dir, *cleaf = &l->child_leaf;
    if (l->child_item >= 0) {
        const struct ps_item *c = &pl->items[l->child_item];
        ct = c->cand[c->dest].target;
        cdir = &c->dir;
        cleaf = &c->leaf;
    } else if (l->child_map >= 0) {
        ct.map = l->child_map;
        ps_strlcpy(ct.rel, sizeof ct.rel, l->child_rel);
        ps_strlcpy(ct.local, sizeof ct.local, l->child_target);
    } else {
        snprintf(l->action_note, sizeof l->action_note, "the child's place on the target is unknown");
        return -1;
    }
    const struct ps_mapped *pt = &p->cand[p->dest].target;
    int cfd = open_planned(po, &ct, cdir, cleaf, O_RDWR, l->action_note, sizeof l->action_note);
    if (cfd < 0)
        return -1;
    int pfd = open_planned(po, pt, &p->dir, &p->leaf, O_RDONLY, l->action_note, sizeof l->action_note);
    if (pfd < 0) {
        close(cfd);
        return -1;
    }
    struct hv_err re;
    hv_err_clear(&re);
    int rc = ops->relink(ops->ctx, cfd, ct.local, pfd, pt->local, l->want_win, &re);
    if (rc)
        hv_err_format(&re, l->action_note, sizeof l->action_note);
    close(pfd);
    close(cfd);
    return rc;
}

/* The local path of the file that is (or will be) the child of link l on the target. */
static const char *link_child_path(const struct ps_plan *pl, const struct ps_link *l)
{
    if (l->child_item >= 0) {
        const struct ps_item *c = &pl->items[l->child_item];
        return c->dest >= 0 ? c->cand[c->dest].target.local : NULL;
    }
    return l->child_on_target ? l->child : NULL;
}

int ps_copy_run(struct ps_plan *pl, const struct ps_opts *po, const struct ps_copy_opts *co,
                const struct ps_exec_ops *ops, struct hv_err *e)
{
    (void)e;
    int failed = 0;
    uint64_t fail_after = co->fail_after;
    for (size_t i = 0; i < pl->n_items; i++) {
        struct ps_item *it = &pl->items[i];
        it->action = PS_ACT_NONE;
        int want = it->verdict == PS_MISSING || (it->verdict == PS_STALE && co->replace_stale);
        if (!want) {
            if (it->verdict != PS_OK) {
                it->action = PS_ACT_SKIPPED;
                snprintf(it->action_note, sizeof it->action_note, "%s%s", ps_verdict_name(it->verdict),
                         it->verdict == PS_STALE ? " (use --replace-stale)" : "");
            }
            continue;
        }
        if (co->dry_run) {
            it->action = PS_ACT_WOULD;
            continue;
        }
        if (copy_item(it, po, co, ops, fail_after) == 0) {
            it->action = PS_ACT_DONE;
        } else {
            it->action = PS_ACT_FAILED;
            failed++;
        }
        fail_after = 0; /* the injected failure hits the first copy only */
    }
    if (!co->relink)
        return failed;
    for (size_t i = 0; i < pl->n_links; i++) {
        struct ps_link *l = &pl->links[i];
        if (!l->relink)
            continue;
        const struct ps_item *p = &pl->items[l->parent_item];
        const char *child = link_child_path(pl, l);
        int child_ready = l->child_item < 0 ||
                          pl->items[l->child_item].action == PS_ACT_DONE ||
                          pl->items[l->child_item].verdict == PS_OK;
        int parent_ready = p->verdict == PS_OK || p->action == PS_ACT_DONE;
        if (!child || !l->child_on_target) {
            l->action = PS_ACT_SKIPPED;
            snprintf(l->action_note, sizeof l->action_note,
                     "the child is a source file (never written); relink its copy on the target");
        } else if (co->dry_run) {
            l->action = PS_ACT_WOULD;
        } else if (!child_ready || !parent_ready) {
            l->action = PS_ACT_SKIPPED;
            snprintf(l->action_note, sizeof l->action_note, "the %s is not in place on the target",
                     parent_ready ? "child" : "parent");
        } else if (relink_one(pl, po, l, ops) == 0) {
            l->action = PS_ACT_DONE;
        } else {
            l->action = PS_ACT_FAILED;
            failed++;
        }
    }
    return failed;
}
