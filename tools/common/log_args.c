/* log_args.c: LOG arguments of every command that takes replica logs (see log_args.h). */
#define _GNU_SOURCE
#include "log_args.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vhdx_probe.h"

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct log_args *l, size_t *cap, char *p)
{
    if (!p)
        return -1;
    if (l->n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        char **n = realloc(l->paths, c * sizeof *n);
        if (!n) {
            free(p);
            return -1;
        }
        l->paths = n;
        *cap = c;
    }
    l->paths[l->n++] = p;
    return 0;
}

/* "x.hrl" and "x.hrl.gz" side by side are one log: the plain file is used. */
static int shadowed(DIR *d, const char *dir, const char *name)
{
    (void)d;
    size_t n = strlen(name);
    if (n < 8 || strcmp(name + n - 3, ".gz"))
        return 0;
    char p[4096];
    int w = snprintf(p, sizeof p, "%s/%.*s", dir, (int)(n - 3), name);
    if (w < 0 || (size_t)w >= sizeof p)
        return 0;
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int log_args_expand(char **args, size_t nargs, int probe, struct log_args *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    for (size_t i = 0; i < nargs; i++) {
        struct stat st;
        if (stat(args[i], &st) != 0) {
            int e = errno;
            log_args_free(out);
            return cli_errorf("'%s': %s", args[i], e == ENOENT ? "no such file or directory" : strerror(e));
        }
        if (!S_ISDIR(st.st_mode)) {
            struct hv_err e;
            hv_err_clear(&e);
            struct vhdx_probe_result pr;
            if (probe && vhdx_probe_expect(args[i], (1u << VHDX_KIND_HRL) | (1u << VHDX_KIND_GZIP), &pr, &e) != 0) {
                log_args_free(out);
                if (pr.kind == VHDX_KIND_RAW && e.code == HV_FORMAT)
                    snprintf(e.msg, sizeof e.msg, "is not a replica log (no 'msctlog' header cookie at offset 0)");
                return cli_error(&e);
            }
            if (push(out, &cap, strdup(args[i])) != 0)
                goto nomem;
            continue;
        }
        /* "logs/" and "logs" name the same files: no doubled slash in messages. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", args[i]);
        for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
            dir[l - 1] = 0;
        DIR *d = opendir(dir);
        if (!d) {
            int e = errno;
            log_args_free(out);
            return cli_errorf("'%s': %s", args[i], strerror(e));
        }
        size_t first = out->n;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.' || !(ends_with(de->d_name, ".hrl") || ends_with(de->d_name, ".hrl.gz") ||
                                          ends_with(de->d_name, ".HRL")))
                continue;
            if (shadowed(d, dir, de->d_name))
                continue;
            char *p;
            if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name) < 0 || push(out, &cap, p) != 0) {
                closedir(d);
                goto nomem;
            }
        }
        closedir(d);
        if (out->n == first) { /* refused before sorting nothing */
            log_args_free(out);
            return cli_errorf("'%s': no .hrl or .hrl.gz files in this directory", args[i]);
        }
        qsort(out->paths + first, out->n - first, sizeof *out->paths, str_cmp);
    }
    return 0;
nomem:
    log_args_free(out);
    return cli_errorf("out of memory");
}

void log_args_free(struct log_args *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

