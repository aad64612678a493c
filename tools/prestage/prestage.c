/* prestage.c: planning (verdicts) for parent pre-staging; see prestage.h.
 * No file access here except through ps_disk_ops. */
#include "prestage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[PS_VERDICT_COUNT] = { "ok", "missing", "stale", "conflict",
                                                            "unmapped" };

const char *ps_verdict_name(enum ps_verdict v)
{
    return (unsigned)v < PS_VERDICT_COUNT ? verdict_names[v] : "?";
}

const char *ps_cand_state_name(enum ps_cand_state s)
{
    static const char *const n[] = { "unmapped", "ok", "absent", "other-file", "unsafe", "absent-key" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

int ps_identity_ok(const struct ps_disk *child, const struct ps_disk *d)
{
    int id = hv_guid_eq(&d->data_write_guid, &child->linkage) ||
             (!hv_guid_is_zero(&child->linkage2) && hv_guid_eq(&d->data_write_guid, &child->linkage2));
    return id && d->virtual_size == child->virtual_size &&
           d->logical_sector_size == child->logical_sector_size;
}

/* Grows *arr (of *n elements of `size`) by one zeroed element; returns it. */
static void *push(void *arr_, size_t *n, size_t size)
{
    void **arr = arr_;
    void *p = realloc(*arr, (*n + 1) * size);
    if (!p)
        return NULL;
    *arr = p;
    memset((char *)p + *n * size, 0, size);
    return (char *)p + (*n)++ * size;
}

static void cand_map(const struct ps_opts *o, struct ps_candidate *c, const char *win_any)
{
    if (ps_win_normalize(win_any, c->win, sizeof c->win)) {
        c->win[0] = '\0';
        c->state = PS_CAND_UNMAPPED;
        snprintf(c->note, sizeof c->note, "not an absolute Windows path, or '..' climbs above its root");
        return;
    }
    if (ps_map_win(o->dst_maps, o->n_dst, c->win, &c->target)) {
        c->state = PS_CAND_UNMAPPED;
        snprintf(c->note, sizeof c->note, "no target map covers it");
    }
}

static void probe_cand(const struct ps_disk_ops *ops, const struct ps_opts *o, const struct ps_disk *child,
                       struct ps_candidate *c, struct ps_item *it)
{
    struct ps_disk d;
    memset(&d, 0, sizeof d);
    enum ps_probe p = ops->probe(ops->ctx, &o->dst_maps[c->target.map], c->target.rel, &d, c->note,
                                 sizeof c->note);
    switch (p) {
    case PS_PROBE_DISK:
        if (ps_identity_ok(child, &d)) {
            c->state = PS_CAND_OK;
        } else {
            char a[48], b[48];
            c->state = PS_CAND_WRONG;
            it->found = d.data_write_guid;
            snprintf(c->note, sizeof c->note, "DataWriteGuid %s size %llu sector %u; need %s size %llu sector %u",
                     hv_guid_format(&d.data_write_guid, 1, a), (unsigned long long)d.virtual_size,
                     d.logical_sector_size, hv_guid_format(&child->linkage, 1, b),
                     (unsigned long long)child->virtual_size, child->logical_sector_size);
        }
        break;
    case PS_PROBE_ABSENT:
        c->state = PS_CAND_ABSENT;
        break;
    case PS_PROBE_OTHER:
        c->state = PS_CAND_WRONG;
        break;
    case PS_PROBE_UNSAFE:
        c->state = PS_CAND_UNSAFE;
        break;
    }
}

/* Fills it->cand[] and the verdict for parent `par` of `child`, the child
 * sitting at `child_win` on the target ("" unknown). */
static void judge(const struct ps_opts *o, const struct ps_disk_ops *ops, const struct ps_disk *child,
                  const struct ps_disk *par, const char *child_win, struct ps_item *it)
{
    it->src = *par;
    it->need = child->linkage;
    it->dest = -1;
    static const char *const keys[PS_NCAND] = { "relative_path", "volume_path", "absolute_win32_path",
                                                "relink" };
    const char *vals[3] = { child->relative_path, child->volume_path, child->absolute_path };
    for (int k = 0; k < PS_NCAND; k++) {
        struct ps_candidate *c = &it->cand[k];
        c->key = keys[k];
        c->target.map = -1;
        c->state = PS_CAND_NOT_TRIED;
        if (k < 3) {
            ps_strlcpy(c->value, sizeof c->value, vals[k]);
            if (!c->value[0])
                continue;
        }
        if (k == 0) {
            char dir[PS_PATH_MAX];
            if (!child_win[0]) {
                c->state = PS_CAND_UNMAPPED;
                snprintf(c->note, sizeof c->note, "the child's own place on the target is unknown");
                continue;
            }
            ps_win_dirname(child_win, dir, sizeof dir);
            if (ps_win_join(dir, c->value, c->win, sizeof c->win)) {
                c->win[0] = '\0';
                c->state = PS_CAND_UNMAPPED;
                snprintf(c->note, sizeof c->note, "not relative, or '..' climbs above the root of '%.150s'", dir);
                continue;
            }
            cand_map(o, c, c->win);
        } else if (k < 3) {
            cand_map(o, c, c->value);
        } else {
            /* --relink: when the locator leads nowhere on the target, put the
             * parent beside the child (same directory, its own file name) and
             * rewrite the child's locator to say so. */
            if (!o->relink || it->dest >= 0)
                continue;
            if (!child_win[0]) {
                c->state = PS_CAND_UNMAPPED;
                snprintf(c->note, sizeof c->note, "the child's own place on the target is unknown");
                continue;
            }
            const char *base = strrchr(par->path, '/');
            char dir[PS_PATH_MAX], win[PS_PATH_MAX];
            ps_win_dirname(child_win, dir, sizeof dir);
            if (ps_win_join(dir, base ? base + 1 : par->path, win, sizeof win)) {
                c->state = PS_CAND_UNMAPPED;
                snprintf(c->note, sizeof c->note, "the parent's file name is not usable on Windows");
                continue;
            }
            ps_strlcpy(c->value, sizeof c->value, win);
            cand_map(o, c, win);
        }
        if (c->target.map < 0)
            continue;
        probe_cand(ops, o, child, c, it);
        if (it->dest < 0 && (c->state == PS_CAND_ABSENT || c->state == PS_CAND_WRONG))
            it->dest = k; /* the first place the child looks decides, unless a later one is ok */
        if (c->state == PS_CAND_OK && (it->dest < 0 || it->cand[it->dest].state != PS_CAND_OK))
            it->dest = k;
    }
    if (it->dest < 0) {
        it->verdict = PS_UNMAPPED;
        return;
    }
    switch (it->cand[it->dest].state) {
    case PS_CAND_OK:
        it->verdict = PS_OK;
        break;
    case PS_CAND_ABSENT:
        it->verdict = PS_MISSING;
        break;
    default:
        it->verdict = PS_STALE;
        ps_strlcpy(it->note, sizeof it->note, it->cand[it->dest].note);
        break;
    }
}

/* Returns the index of an item equal to *it (merged), or adds it. Two
 * identities at one target path make both conflicts. -1 on NOMEM. */
static long merge_item(struct ps_plan *pl, const struct ps_item *it)
{
    long conflict_with = -1;
    for (size_t i = 0; i < pl->n_items; i++) {
        struct ps_item *x = &pl->items[i];
        int same_id = hv_guid_eq(&x->need, &it->need);
        if (it->dest < 0 || x->dest < 0) {
            if (it->dest < 0 && x->dest < 0 && same_id && strcmp(x->src.path, it->src.path) == 0)
                return (long)i;
            continue;
        }
        const struct ps_mapped *a = &x->cand[x->dest].target, *b = &it->cand[it->dest].target;
        if (strcmp(a->local, b->local) != 0)
            continue;
        if (same_id)
            return (long)i;
        conflict_with = (long)i;
    }
    struct ps_item *n = push(&pl->items, &pl->n_items, sizeof *n);
    if (!n)
        return -1;
    *n = *it;
    long idx = (long)pl->n_items - 1;
    if (conflict_with >= 0) {
        for (size_t i = 0; i < pl->n_items; i++) {
            struct ps_item *x = &pl->items[i];
            if (x->dest >= 0 && strcmp(x->cand[x->dest].target.local, n->cand[n->dest].target.local) == 0 &&
                x->verdict != PS_CONFLICT) {
                char g[48];
                snprintf(x->note, sizeof x->note, "was %s; another child needs a different parent here (%s)",
                         ps_verdict_name(x->verdict),
                         hv_guid_format(x == n ? &pl->items[conflict_with].need : &n->need, 1, g));
                x->verdict = PS_CONFLICT;
            }
        }
    }
    return idx;
}

static void want_relink(const struct ps_opts *o, const struct ps_item *it, struct ps_link *l)
{
    if (it->dest < 0 || !l->child_win[0])
        return;
    const char *dest_win = it->cand[it->dest].win;
    char dir[PS_PATH_MAX];
    ps_win_dirname(l->child_win, dir, sizeof dir);
    ps_strlcpy(l->want_win, sizeof l->want_win, dest_win);
    if (ps_win_relative(dir, dest_win, l->want_rel, sizeof l->want_rel))
        l->want_rel[0] = '\0';
    if (!o->relink)
        return;
    int rel_ok = it->cand[0].win[0] && ps_win_equal(it->cand[0].win, dest_win);
    int abs_ok = (it->cand[1].win[0] && ps_win_equal(it->cand[1].win, dest_win)) ||
                 (it->cand[2].win[0] && ps_win_equal(it->cand[2].win, dest_win));
    l->relink = !(rel_ok && abs_ok);
}

static int plan_input(const struct ps_opts *o, const struct ps_disk_ops *ops, struct ps_plan *pl,
                      struct ps_input *in, struct hv_err *e)
{
    struct ps_disk *layers = NULL;
    size_t n = 0;
    struct hv_err ce;
    hv_err_clear(&ce);
    if (ops->chain(ops->ctx, in->path, &layers, &n, &ce)) {
        in->error = 1;
        hv_err_format(&ce, in->msg, sizeof in->msg);
        pl->input_errors++;
        return 0;
    }
    in->depth = n;
    char win[PS_PATH_MAX];
    if (ps_unmap_local(o->dst_maps, o->n_dst, in->path, win, sizeof win) == 0) {
        in->on_target = 1;
    } else if (ps_unmap_local(o->src_maps, o->n_src, in->path, win, sizeof win)) {
        win[0] = '\0';
    }
    struct ps_mapped m;
    in->map = -1;
    if (win[0] && ps_win_normalize(win, in->win, sizeof in->win) == 0 &&
        ps_map_win(o->dst_maps, o->n_dst, in->win, &m) == 0) {
        ps_strlcpy(in->target, sizeof in->target, m.local);
        in->map = m.map;
        ps_strlcpy(in->rel, sizeof in->rel, m.rel);
    } else {
        in->win[0] = '\0';
    }
    struct hv_dirid in_dir = { 0, 0 }, in_leaf = { 0, 0 };
    if (in->map >= 0 && in->on_target && ops->place_id)
        ops->place_id(ops->ctx, &o->dst_maps[in->map], in->rel, &in_dir, &in_leaf);

    /* Owned copies: items[] moves when merge_item() grows it. */
    char cur_win[PS_PATH_MAX], cur_local[PS_PATH_MAX];
    ps_strlcpy(cur_win, sizeof cur_win, in->win);
    ps_strlcpy(cur_local, sizeof cur_local, in->target);
    long cur_item = -1;
    int on_target = in->on_target;
    struct ps_item *it = calloc(1, sizeof *it);
    if (!it) {
        free(layers);
        return hv_failx(e, HV_NOMEM, "plan", "out of memory");
    }
    for (size_t k = 1; k < n; k++) {
        memset(it, 0, sizeof *it);
        judge(o, ops, &layers[k - 1], &layers[k], cur_win, it);
        if (it->dest >= 0 && ops->place_id) {
            const struct ps_mapped *t = &it->cand[it->dest].target;
            ops->place_id(ops->ctx, &o->dst_maps[t->map], t->rel, &it->dir, &it->leaf);
        }
        long idx = merge_item(pl, it);
        struct ps_link *l = idx < 0 ? NULL : push(&pl->links, &pl->n_links, sizeof *l);
        if (!l) {
            free(it);
            free(layers);
            return hv_failx(e, HV_NOMEM, "plan", "out of memory");
        }
        ps_strlcpy(l->child, sizeof l->child, layers[k - 1].path);
        ps_strlcpy(l->child_win, sizeof l->child_win, cur_win);
        ps_strlcpy(l->child_target, sizeof l->child_target, cur_local);
        l->child_item = (int)cur_item;
        l->child_map = cur_item < 0 ? in->map : -1;
        if (cur_item < 0) {
            ps_strlcpy(l->child_rel, sizeof l->child_rel, in->rel);
            l->child_dir = in_dir;
            l->child_leaf = in_leaf;
        }
        l->parent_item = (int)idx;
        l->child_on_target = on_target;
        const struct ps_item *p = &pl->items[idx];
        want_relink(o, p, l);
        cur_item = idx;
        ps_strlcpy(cur_win, sizeof cur_win, p->dest >= 0 ? p->cand[p->dest].win : "");
        ps_strlcpy(cur_local, sizeof cur_local, p->dest >= 0 ? p->cand[p->dest].target.local : "");
        on_target = p->dest >= 0; /* a parent we place is a file on the target */
    }
    free(it);
    free(layers);
    return 0;
}

int ps_plan_build(const struct ps_opts *o, const struct ps_disk_ops *ops, const char *const *inputs,
                  size_t n, struct ps_plan *pl, struct hv_err *e)
{
    memset(pl, 0, sizeof *pl);
    pl->inputs = calloc(n ? n : 1, sizeof *pl->inputs);
    if (!pl->inputs)
        return hv_failx(e, HV_NOMEM, "plan", "out of memory");
    pl->n_inputs = n;
    for (size_t i = 0; i < n; i++) {
        ps_strlcpy(pl->inputs[i].path, sizeof pl->inputs[i].path, inputs[i]);
        if (plan_input(o, ops, pl, &pl->inputs[i], e))
            return -1;
    }
    for (size_t i = 0; i < pl->n_items; i++) {
        const struct ps_item *it = &pl->items[i];
        pl->count[it->verdict]++;
        if (it->verdict == PS_MISSING || (it->verdict == PS_STALE && o->replace_stale)) {
            pl->copy_files++;
            pl->copy_bytes += it->src.allocated;
        }
    }
    for (size_t i = 0; i < pl->n_links; i++)
        pl->relinks += pl->links[i].relink;
    return 0;
}

void ps_plan_free(struct ps_plan *pl)
{
    free(pl->inputs);
    free(pl->items);
    free(pl->links);
    memset(pl, 0, sizeof *pl);
}

int ps_plan_exit(const struct ps_plan *pl, int replace_stale)
{
    if (pl->input_errors)
        return 2;
    if ((pl->count[PS_STALE] && !replace_stale) || pl->count[PS_CONFLICT] || pl->count[PS_UNMAPPED])
        return 1;
    return 0;
}
