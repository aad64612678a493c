/* chain.c: [MS-VHDX] 2.6.2.6 / docs/vhdx-format.md §7.3-7.5: finding, checking and
 * attaching the parents of a differencing file.
 *
 *   child --locator--> candidates, in order:
 *     for key in relative_path, volume_path, absolute_win32_path:
 *        the value itself (relative_path against the child's directory;
 *        absolute Windows paths are not local paths and are only mapped),
 *        the value through every --map FROM=TO,
 *        its basename in every --search-path DIR
 *   first candidate that opens and whose DataWriteGuid equals parent_linkage
 *   (or parent_linkage2), with equal sector and virtual size, is the parent.
 *   Then the same for the parent, up to VHDX_MAX_CHAIN_DEPTH layers, refusing
 *   a file (device+inode) or a DataWriteGuid seen twice.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vhdx_internal.h"

static const char *const PATH_KEYS[3] = { "relative_path", "volume_path", "absolute_win32_path" };

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    size_t o = na;
    if (na && a[na - 1] != '/')
        s[o++] = '/';
    memcpy(s + o, b, nb + 1);
    return s;
}

static void slashes(char *s)
{
    for (; *s; s++)
        if (*s == '\\')
            *s = '/';
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *v)
{
    const char *b = v;
    for (const char *p = v; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

/* Case-insensitive prefix match with '\' == '/'. Returns the rest or NULL. */
static const char *prefix(const char *s, const char *pre)
{
    for (; *pre; pre++, s++) {
        char a = *s == '\\' ? '/' : (char)tolower((unsigned char)*s);
        char b = *pre == '\\' ? '/' : (char)tolower((unsigned char)*pre);
        if (!*s || a != b)
            return NULL;
    }
    return s;
}

struct cands {
    struct vhdx_parent_try *t;
    size_t n, cap;
};

static int add(struct cands *c, char *path, const char *key, const char *via)
{
    if (!path)
        return -1;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].path, path)) {
            free(path);
            return 0;
        }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        struct vhdx_parent_try *p = realloc(c->t, nc * sizeof *p);
        if (!p) {
            free(path);
            return -1;
        }
        c->t = p;
        c->cap = nc;
    }
    struct vhdx_parent_try *t = &c->t[c->n++];
    memset(t, 0, sizeof *t);
    t->path = path;
    t->key = key;
    t->via = via;
    t->result = VHDX_TRY_MISSING;
    return 0;
}

static int build(const struct vhdx *img, const struct vhdx_open_opts *o, struct cands *c)
{
    char *dir = dir_of(img->path);
    if (!dir)
        return -1;
    int rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++) {
        const char *v = vhdx_locator_get(&img->loc, PATH_KEYS[k]);
        if (!v || !*v)
            continue;
        if (k == 0) {
            char *rel = strdup(v);
            if (!rel) {
                rc = -1;
                break;
            }
            slashes(rel);
            const char *r = rel;
            while (r[0] == '.' && r[1] == '/')
                r += 2; /* "./x" and "x" are the same file; keep messages short */
            rc = add(c, r[0] == '/' ? strdup(r) : join(dir, r), PATH_KEYS[k], "locator");
            free(rel);
        }
        /* Windows paths: with and without the \\?\ prefix, through each map. */
        const char *bare = prefix(v, "\\\\?\\") ? v + 4 : v;
        for (size_t m = 0; m < o->n_maps && rc == 0; m++) {
            const char *rest = prefix(bare, o->maps[m].from);
            if (!rest)
                rest = prefix(v, o->maps[m].from);
            if (!rest)
                continue;
            char *r = strdup(rest);
            if (!r) {
                rc = -1;
                break;
            }
            slashes(r);
            char *p = join(o->maps[m].to, r[0] == '/' ? r + 1 : r);
            free(r);
            rc = add(c, p, PATH_KEYS[k], "map");
        }
        for (size_t s = 0; s < o->n_search_paths && rc == 0; s++)
            rc = add(c, join(o->search_paths[s], base_of(v)), PATH_KEYS[k], "search-path");
    }
    free(dir);
    return rc;
}

struct seen {
    dev_t dev;
    ino_t ino;
    struct hv_guid dwg;
};

static int attach(struct vhdx *img, const struct vhdx_open_opts *o, struct seen *seen, int depth,
                  struct hv_err *e)
{
    if (depth >= VHDX_MAX_CHAIN_DEPTH)
        return hv_fail(e, HV_CORRUPT, "parent chain", img->loc_file_off,
                       "chain deeper than %d layers", VHDX_MAX_CHAIN_DEPTH);
    struct cands c = { 0 };
    if (build(img, o, &c)) {
        for (size_t i = 0; i < c.n; i++)
            free((char *)c.t[i].path);
        free(c.t);
        return hv_failx(e, HV_NOMEM, "parent chain", "out of memory");
    }
    img->tries = c.t;
    img->ntries = c.n;
    int accepted = -1, mismatches = 0, id_mismatches = 0;
    struct vhdx *parent = NULL;
    for (size_t i = 0; i < c.n && accepted < 0; i++) {
        struct vhdx_parent_try *t = &c.t[i];
        struct stat st;
        if (stat(t->path, &st) != 0)
            continue; /* MISSING */
        int cycle = 0;
        for (int d = 0; d <= depth; d++)
            if (seen[d].dev == st.st_dev && seen[d].ino == st.st_ino)
                cycle = 1;
        if (cycle) {
            t->result = VHDX_TRY_CYCLE;
            snprintf(t->msg, sizeof t->msg, "already in the chain");
            continue;
        }
        struct hv_err pe;
        hv_err_clear(&pe);
        struct vhdx *p;
        if (vhdx_open_layer(t->path, o->flags, &p, &pe)) {
            char buf[1400];
            t->result = VHDX_TRY_OPEN_FAILED;
            snprintf(t->msg, sizeof t->msg, "%s", hv_err_format(&pe, buf, sizeof buf));
            continue;
        }
        const struct hv_guid *dwg = &p->hdr[p->cur].data_write_guid;
        int link = hv_guid_eq(dwg, &img->linkage) ? 1
                   : (!hv_guid_is_zero(&img->linkage2) && hv_guid_eq(dwg, &img->linkage2)) ? 2
                                                                                          : 0;
        char why[200] = "";
        if (!link) {
            char a[40], b[40];
            snprintf(why, sizeof why, "DataWriteGuid %s is not parent_linkage %s",
                     hv_guid_format(dwg, 1, a), hv_guid_format(&img->linkage, 1, b));
        } else if (p->mv.logical_sector_size != img->mv.logical_sector_size) {
            snprintf(why, sizeof why, "logical sector size %u differs from the child's %u",
                     p->mv.logical_sector_size, img->mv.logical_sector_size);
        } else if (p->mv.virtual_size != img->mv.virtual_size) {
            snprintf(why, sizeof why, "virtual size %llu differs from the child's %llu",
                     (unsigned long long)p->mv.virtual_size,
                     (unsigned long long)img->mv.virtual_size);
        }
        for (int d = 0; d <= depth && !why[0]; d++)
            if (hv_guid_eq(&seen[d].dwg, dwg)) {
                t->result = VHDX_TRY_CYCLE;
                snprintf(t->msg, sizeof t->msg, "DataWriteGuid already in the chain");
                break;
            }
        if (t->result == VHDX_TRY_CYCLE) {
            vhdx_free_layer(p);
            continue;
        }
        /* Sector size must match whatever the flags say: reads would be wrong. */
        int size_bad = p->mv.logical_sector_size != img->mv.logical_sector_size;
        if (why[0] && (size_bad || !(o->flags & VHDX_OPEN_IGNORE_ID_MISMATCH))) {
            t->result = VHDX_TRY_MISMATCH;
            snprintf(t->msg, sizeof t->msg, "%s", why);
            mismatches++;
            id_mismatches += !link;
            vhdx_free_layer(p);
            continue;
        }
        if (why[0])
            snprintf(t->msg, sizeof t->msg, "%s (ignored)", why);
        if (p->mv.virtual_size < img->mv.virtual_size) {
            /* Reads past the parent's end would be out of range. */
            t->result = VHDX_TRY_MISMATCH;
            snprintf(t->msg, sizeof t->msg, "parent smaller than the child");
            mismatches++;
            vhdx_free_layer(p);
            continue;
        }
        t->result = VHDX_TRY_OK;
        accepted = (int)i;
        parent = p;
        img->link.linkage = link;
        seen[depth + 1].dev = st.st_dev;
        seen[depth + 1].ino = st.st_ino;
        seen[depth + 1].dwg = *dwg;
    }
    img->link.n_tries = img->ntries;
    img->link.tries = img->tries;
    if (accepted < 0) {
        char list[1000];
        size_t n = 0;
        list[0] = 0;
        for (size_t i = 0; i < c.n && n < sizeof list; i++) {
            const struct vhdx_parent_try *t = &c.t[i];
            n += (size_t)snprintf(list + n, sizeof list - n, "%s'%s' (%s%s%s%s%s)", i ? ", " : "",
                                  t->path, t->key, strcmp(t->via, "locator") ? " via " : "",
                                  strcmp(t->via, "locator") ? t->via : "", t->msg[0] ? ": " : "",
                                  t->msg);
        }
        if (c.n == 0)
            snprintf(list, sizeof list, "nothing (no usable path in the locator)");
        /* Point at what is wrong: the linkage GUID, the path that led nowhere,
         * or (geometry, cycles) the locator as a whole. */
        uint64_t at = img->loc_file_off;
        if (id_mismatches)
            at = vhdx_locator_value_at(&img->loc, "parent_linkage") + 2; /* the GUID inside '{' */
        else if (!mismatches) {
            int cycles = 0;
            for (size_t i = 0; i < c.n; i++)
                cycles += c.t[i].result == VHDX_TRY_CYCLE;
            for (int k = 0; k < 3 && !cycles; k++)
                if (vhdx_locator_get(&img->loc, PATH_KEYS[k])) {
                    at = vhdx_locator_value_at(&img->loc, PATH_KEYS[k]);
                    break;
                }
        }
        return hv_fail(e, mismatches ? HV_MISMATCH : HV_NOTFOUND, "parent chain", at,
                       "parent %s; tried: %s", mismatches ? "does not match" : "not found", list);
    }
    img->parent = parent;
    img->link.path = c.t[accepted].path;
    img->link.key = c.t[accepted].key;
    img->link.via = c.t[accepted].via;
    if (parent->type == VHDX_TYPE_DIFFERENCING && !(o->flags & VHDX_OPEN_NO_PARENT)) {
        if (attach(parent, o, seen, depth + 1, e)) {
            hv_err_file(e, parent->path);
            return -1;
        }
    }
    return 0;
}

int vhdx_chain_attach(struct vhdx *img, const struct vhdx_open_opts *opts, struct hv_err *e)
{
    struct seen seen[VHDX_MAX_CHAIN_DEPTH + 1];
    memset(seen, 0, sizeof seen);
    seen[0].dev = img->dev;
    seen[0].ino = img->ino;
    seen[0].dwg = img->hdr[img->cur].data_write_guid;
    return attach(img, opts, seen, 0, e);
}
