/* prestage_copy.c: execute a pre-staging plan (see prestage_copy.h). */
#define _GNU_SOURCE
#include "prestage_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prestage_fs.h"
#include "sparse_copy.h"

const char *ps_action_name(int a)
{
    static const char *const n[] = { "none", "done", "would", "skipped", "failed" };
    return (unsigned)a < sizeof n / sizeof n[0] ? n[a] : "?";
}

struct progress_ctx {
    const struct ps_exec_ops *ops;
    const char *path;
};

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

/* Copies one item. Returns 0 done, -1 failed (note set). */
static int copy_item(struct ps_item *it, const struct ps_opts *po, const struct ps_copy_opts *co,
                     const struct ps_exec_ops *ops, uint64_t fail_after)
{
    const struct ps_candidate *c = &it->cand[it->dest];
    const struct ps_map *map = &po->dst_maps[c->target.map];
    struct hv_err e;
    hv_err_clear(&e);
    int dfd = -1, in = -1, out = -1, rc = -1;
    const char *leaf;
    char tmp[300], stale[320];

    enum ps_walk w = ps_walk(map->to, c->target.rel, 1, &dfd, &leaf, &e);
    if (w == PS_WALK_UNSAFE) {
        snprintf(it->action_note, sizeof it->action_note,
                 "a directory on the way to the target is a symbolic link; not followed");
        return -1;
    }
    if (w != PS_WALK_OK) {
        set_note(it->action_note, sizeof it->action_note, &e);
        return -1;
    }
    if (snprintf(tmp, sizeof tmp, ".%s.hvkit-partial", leaf) >= (int)sizeof tmp) {
        snprintf(it->action_note, sizeof it->action_note, "file name too long");
        goto out;
    }
    /* What is at the final name now (it may have changed since planning). */
    enum ps_leaf k = ps_leaf_kind(dfd, leaf);
    if (k != PS_LEAF_ABSENT && !(it->verdict == PS_STALE && co->replace_stale)) {
        snprintf(it->action_note, sizeof it->action_note, "something appeared at the target; not replaced");
        goto out;
    }
    if (k == PS_LEAF_OTHER || k == PS_LEAF_ERROR) {
        snprintf(it->action_note, sizeof it->action_note, "the target is not a file or link; not replaced");
        goto out;
    }
    /* A leftover from an interrupted run: restart (unlinkat never follows a link). */
    if (unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT) {
        hv_fail_errno(&e, errno, "target", "cannot remove leftover '%s'", tmp);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    in = open(it->src.path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        hv_fail_errno(&e, errno, "source", "cannot open '%s'", it->src.path);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) {
        hv_fail_errno(&e, errno, "target", "cannot create '%s'", tmp);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    struct progress_ctx pc = { ops, c->target.local };
    struct sparse_copy_opts so = { on_progress, &pc, fail_after };
    if (sparse_copy_fd(in, out, &so, NULL, &e) || fsync(out) != 0) {
        if (e.code == HV_OK)
            hv_fail_errno(&e, errno, "target", "fsync '%s'", tmp);
        set_note(it->action_note, sizeof it->action_note, &e);
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    close(out);
    out = openat(dfd, tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (out < 0 || ops->verify(ops->ctx, out, it, &e)) {
        if (out < 0)
            hv_fail_errno(&e, errno, "target", "cannot reopen '%s'", tmp);
        set_note(it->action_note, sizeof it->action_note, &e);
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (k != PS_LEAF_ABSENT) {
        /* keep the old file under a new name first, then replace atomically */
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(stale, sizeof stale, "%s.stale-%s", leaf, ts);
        if (linkat(dfd, leaf, dfd, stale, 0) != 0 && renameat(dfd, leaf, dfd, stale) != 0) {
            hv_fail_errno(&e, errno, "target", "cannot keep the stale file as '%s'", stale);
            set_note(it->action_note, sizeof it->action_note, &e);
            unlinkat(dfd, tmp, 0);
            goto out;
        }
        if (renameat(dfd, tmp, dfd, leaf) != 0) {
            hv_fail_errno(&e, errno, "target", "cannot rename '%s' into place", tmp);
            set_note(it->action_note, sizeof it->action_note, &e);
            goto out;
        }
        /* the kept path: the final path's directory + the stale name */
        size_t dl = strlen(c->target.local) - strlen(leaf);
        snprintf(it->kept, sizeof it->kept, "%.*s%s", (int)dl, c->target.local, stale);
    } else if (rename_noreplace(dfd, tmp, leaf) != 0) {
        hv_fail_errno(&e, errno, "target", "cannot rename '%s' into place", tmp);
        set_note(it->action_note, sizeof it->action_note, &e);
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (fsync(dfd) != 0) {
        hv_fail_errno(&e, errno, "target", "fsync of the directory of '%s'", c->target.local);
        set_note(it->action_note, sizeof it->action_note, &e);
        goto out;
    }
    rc = 0;
out:
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    if (dfd >= 0)
        close(dfd);
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
        } else {
            struct hv_err re;
            hv_err_clear(&re);
            if (ops->relink(ops->ctx, child, p->cand[p->dest].target.local, l->want_win, &re) == 0) {
                l->action = PS_ACT_DONE;
            } else {
                l->action = PS_ACT_FAILED;
                hv_err_format(&re, l->action_note, sizeof l->action_note);
                failed++;
            }
        }
    }
    return failed;
}
