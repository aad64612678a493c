/* prestage_path.c: lexical Windows-path arithmetic for parent pre-staging
 * (see prestage_path.h for the two safety rules). */
#include "prestage_path.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PS_MAX_COMPONENTS 512

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Bounded append; returns -1 when it does not fit (never truncates silently). */
static int put(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
    if (*pos + n + 1 > outlen)
        return -1;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return 0;
}

/* Length of the component starting at s (up to '\' or end). */
static size_t comp_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != '\\')
        n++;
    return n;
}

/* Writes the canonical root of `p` (backslashes only) into root and returns
 * the number of input bytes it consumed, or 0 if `p` has no known root. */
static size_t take_root(const char *p, char *root, size_t rootlen)
{
    size_t pos = 0;
    root[0] = '\0';
    if ((p[0] == '\\' && p[1] == '\\' && (p[2] == '?' || p[2] == '.') && p[3] == '\\')) {
        const char *r = p + 4;
        if (isalpha((unsigned char)r[0]) && r[1] == ':' && (r[2] == '\\' || r[2] == '\0')) {
            char d[3] = { (char)toupper((unsigned char)r[0]), ':', '\\' };
            if (put(root, rootlen, &pos, d, 3))
                return 0;
            return 4 + (r[2] ? 3 : 2);
        }
        if (strncasecmp(r, "UNC\\", 4) == 0) {
            size_t s = comp_len(r + 4);
            if (!s || r[4 + s] != '\\')
                return 0;
            size_t h = comp_len(r + 4 + s + 1);
            if (!h)
                return 0;
            if (put(root, rootlen, &pos, "\\\\", 2) || put(root, rootlen, &pos, r + 4, s + 1 + h) ||
                put(root, rootlen, &pos, "\\", 1))
                return 0;
            size_t used = 4 + 4 + s + 1 + h;
            return used + (p[used] == '\\');
        }
        if (strncasecmp(r, "Volume{", 7) == 0) {
            size_t v = comp_len(r);
            if (r[v - 1] != '}')
                return 0;
            if (put(root, rootlen, &pos, "\\\\?\\", 4) || put(root, rootlen, &pos, r, v) ||
                put(root, rootlen, &pos, "\\", 1))
                return 0;
            return 4 + v + (r[v] == '\\');
        }
        return 0;
    }
    if (p[0] == '\\' && p[1] == '\\') { /* \\server\share */
        size_t s = comp_len(p + 2);
        if (!s || p[2 + s] != '\\')
            return 0;
        size_t h = comp_len(p + 2 + s + 1);
        if (!h)
            return 0;
        if (put(root, rootlen, &pos, p, 2 + s + 1 + h) || put(root, rootlen, &pos, "\\", 1))
            return 0;
        size_t used = 2 + s + 1 + h;
        return used + (p[used] == '\\');
    }
    if (isalpha((unsigned char)p[0]) && p[1] == ':' && p[2] == '\\') {
        char d[3] = { (char)toupper((unsigned char)p[0]), ':', '\\' };
        if (put(root, rootlen, &pos, d, 3))
            return 0;
        return 3;
    }
    return 0;
}

int ps_win_normalize(const char *in, char *out, size_t outlen)
{
    char buf[PS_PATH_MAX];
    if (!in || strlen(in) >= sizeof buf || outlen == 0)
        return -1;
    for (size_t i = 0;; i++) {
        buf[i] = in[i] == '/' ? '\\' : in[i];
        if (!in[i])
            break;
    }
    char root[PS_PATH_MAX];
    size_t used = take_root(buf, root, sizeof root);
    if (!used)
        return -1;
    /* Components as (start, length) pairs into buf. */
    size_t cs[PS_MAX_COMPONENTS], cl[PS_MAX_COMPONENTS], n = 0;
    const char *p = buf + used;
    while (*p) {
        size_t l = comp_len(p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            /* empty or "." component: nothing */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n == 0)
                return -1; /* ".." above the root */
            n--;
        } else {
            if (n == PS_MAX_COMPONENTS)
                return -1;
            cs[n] = (size_t)(p - buf);
            cl[n] = l;
            n++;
        }
        p += l;
        if (*p == '\\')
            p++;
    }
    size_t pos = 0;
    out[0] = '\0';
    if (put(out, outlen, &pos, root, strlen(root)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (i && put(out, outlen, &pos, "\\", 1))
            return -1;
        if (put(out, outlen, &pos, buf + cs[i], cl[i]))
            return -1;
    }
    return 0;
}

size_t ps_win_root_len(const char *norm)
{
    char root[PS_PATH_MAX];
    if (!take_root(norm, root, sizeof root))
        return 0;
    return strlen(root);
}

void ps_win_dirname(const char *norm, char *out, size_t outlen)
{
    size_t r = ps_win_root_len(norm);
    const char *last = strrchr(norm, '\\');
    size_t n = (last && (size_t)(last - norm) >= r) ? (size_t)(last - norm) : r;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, norm, n);
    out[n] = '\0';
}

int ps_win_join(const char *dir, const char *rel, char *out, size_t outlen)
{
    char root[PS_PATH_MAX];
    char tmp[2 * PS_PATH_MAX + 2];
    char relb[PS_PATH_MAX];
    snprintf(relb, sizeof relb, "%s", rel);
    for (char *c = relb; *c; c++)
        if (*c == '/')
            *c = '\\';
    /* A relative_path must be relative: no root, no leading '\' (drive-relative). */
    if (take_root(relb, root, sizeof root) || relb[0] == '\\' ||
        (isalpha((unsigned char)relb[0]) && relb[1] == ':'))
        return -1;
    int n = snprintf(tmp, sizeof tmp, "%s\\%s", dir, relb);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    return ps_win_normalize(tmp, out, outlen);
}

int ps_win_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* Does normalised `path` start with normalised root-or-directory `pre` at a
 * component boundary? Returns the length consumed (incl. separator) or -1. */
static long win_prefix(const char *pre, const char *path)
{
    size_t n = strlen(pre);
    while (n > 0 && pre[n - 1] == '\\' && n > ps_win_root_len(pre))
        n--;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)pre[i]) != lower((unsigned char)path[i]))
            return -1;
    if (path[n] == '\0')
        return (long)n;
    if (pre[n - 1] == '\\') /* a root such as "D:\" already ends at a boundary */
        return (long)n;
    if (path[n] == '\\')
        return (long)n + 1;
    return -1;
}

int ps_win_relative(const char *dir, const char *file, char *out, size_t outlen)
{
    size_t rd = ps_win_root_len(dir), rf = ps_win_root_len(file);
    if (!rd || rd != rf || strncasecmp(dir, file, rd) != 0)
        return -1;
    const char *d = dir + rd, *f = file + rf;
    /* Skip common leading components (case-insensitive, whole components). */
    for (;;) {
        size_t ld = comp_len(d), lf = comp_len(f);
        if (!ld || ld != lf || strncasecmp(d, f, ld) != 0 || f[lf] == '\0')
            break;
        d += ld + (d[ld] == '\\');
        f += lf + (f[lf] == '\\');
    }
    size_t pos = 0;
    out[0] = '\0';
    while (*d) {
        size_t l = comp_len(d);
        if (put(out, outlen, &pos, "..\\", 3))
            return -1;
        d += l + (d[l] == '\\');
    }
    return put(out, outlen, &pos, f, strlen(f));
}

int ps_map_parse(const char *arg, struct ps_map *out, struct hv_err *e)
{
    /* The split '=' is the first one after the Windows root, so a volume GUID
     * or a share name cannot be cut; the root itself never contains '='. */
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return hv_failx(e, HV_USAGE, "map", "'%s' is not WINPREFIX=LOCALDIR", arg);
    char win[PS_PATH_MAX];
    size_t wl = (size_t)(eq - arg);
    if (wl >= sizeof win)
        return hv_failx(e, HV_USAGE, "map", "'%s': Windows prefix too long", arg);
    memcpy(win, arg, wl);
    win[wl] = '\0';
    if (ps_win_normalize(win, out->from, sizeof out->from - 1))
        return hv_failx(e, HV_USAGE, "map", "'%s': '%s' is not an absolute Windows path "
                        "(X:\\, \\\\?\\Volume{GUID}\\ or \\\\server\\share\\)", arg, win);
    size_t fl = strlen(out->from);
    if (out->from[fl - 1] != '\\') {
        out->from[fl] = '\\';
        out->from[fl + 1] = '\0';
    }
    const char *to = eq + 1;
    size_t tl = strlen(to);
    if (tl + 2 > sizeof out->to)
        return hv_failx(e, HV_USAGE, "map", "'%s': local directory too long", arg);
    memcpy(out->to, to, tl + 1);
    if (out->to[tl - 1] != '/') {
        out->to[tl] = '/';
        out->to[tl + 1] = '\0';
    }
    return 0;
}

int ps_map_win(const struct ps_map *maps, size_t n, const char *win, struct ps_mapped *out)
{
    char norm[PS_PATH_MAX];
    out->map = -1;
    out->rel[0] = out->local[0] = '\0';
    if (ps_win_normalize(win, norm, sizeof norm))
        return -1;
    long best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        long used = win_prefix(maps[i].from, norm);
        if (used >= 0 && (best < 0 || strlen(maps[i].from) > best_len)) {
            best = (long)i;
            best_len = strlen(maps[i].from);
        }
    }
    if (best < 0)
        return -1;
    long used = win_prefix(maps[best].from, norm);
    const char *rest = norm + used;
    if (!*rest)
        return -1; /* the root itself is not a file */
    if (strlen(rest) >= sizeof out->rel)
        return -1;
    size_t i = 0;
    for (; rest[i]; i++) {
        if (rest[i] == '/')
            return -1; /* cannot happen after normalisation; refuse anyway */
        out->rel[i] = rest[i] == '\\' ? '/' : rest[i];
    }
    out->rel[i] = '\0';
    int k = snprintf(out->local, sizeof out->local, "%s%s", maps[best].to, out->rel);
    if (k < 0 || (size_t)k >= sizeof out->local)
        return -1;
    out->map = (int)best;
    return 0;
}

int ps_local_clean(const char *in, char *out, size_t outlen)
{
    if (!in || in[0] != '/' || strlen(in) >= PS_PATH_MAX)
        return -1;
    size_t cs[PS_MAX_COMPONENTS], cl[PS_MAX_COMPONENTS], n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        size_t l = 0;
        while (p[l] && p[l] != '/')
            l++;
        if (l == 0 || (l == 1 && p[0] == '.')) {
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n)
                n--;
        } else {
            if (n == PS_MAX_COMPONENTS)
                return -1;
            cs[n] = (size_t)(p - in);
            cl[n] = l;
            n++;
        }
        p += l;
    }
    size_t pos = 0;
    out[0] = '\0';
    if (n == 0)
        return put(out, outlen, &pos, "/", 1);
    for (size_t i = 0; i < n; i++)
        if (put(out, outlen, &pos, "/", 1) || put(out, outlen, &pos, in + cs[i], cl[i]))
            return -1;
    return 0;
}

int ps_unmap_local(const struct ps_map *maps, size_t n, const char *local, char *win, size_t winlen)
{
    char clean[PS_PATH_MAX];
    if (ps_local_clean(local, clean, sizeof clean))
        return -1;
    long best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        char to[PS_PATH_MAX];
        if (ps_local_clean(maps[i].to, to, sizeof to))
            continue;
        size_t tl = strlen(to);
        int under = strcmp(to, "/") == 0 ||
                    (strncmp(clean, to, tl) == 0 && (clean[tl] == '/' || clean[tl] == '\0'));
        if (under && (best < 0 || tl > best_len)) {
            best = (long)i;
            best_len = tl;
        }
    }
    if (best < 0)
        return -1;
    const char *rest = clean + (best_len == 1 ? 0 : best_len);
    while (*rest == '/')
        rest++;
    size_t pos = 0;
    win[0] = '\0';
    if (put(win, winlen, &pos, maps[best].from, strlen(maps[best].from)))
        return -1;
    for (; *rest; rest++)
        if (put(win, winlen, &pos, *rest == '/' ? "\\" : rest, 1))
            return -1;
    return 0;
}
