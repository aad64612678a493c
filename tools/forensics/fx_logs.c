/* fx_logs.c: LOG arguments of `hrl files` and `hrl diff`, as the recovery-point
 * commands take them: files as given, a directory as its *.hrl and *.hrl.gz
 * files (sorted by name; chain order comes from the headers). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fx_cli.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int push(struct fx_logs *l, size_t *cap, char *p)
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

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The logs of one directory. @return 0, 1 none found, -1 no memory, -2 unreadable. */
static int expand_dir(const char *dir, struct fx_logs *l, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -2;
    size_t first = l->n;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.' || !(ends_with(de->d_name, ".hrl") || ends_with(de->d_name, ".hrl.gz") ||
                                      ends_with(de->d_name, ".HRL")))
            continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(len);
        if (p)
            snprintf(p, len, "%s/%s", dir, de->d_name);
        rc = push(l, cap, p);
    }
    closedir(d);
    if (rc)
        return rc;
    if (l->n == first)
        return 1;
    qsort(l->paths + first, l->n - first, sizeof *l->paths, str_cmp);
    return 0;
}

int fx_logs_expand(char **args, size_t nargs, struct fx_logs *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    for (size_t i = 0; i < nargs; i++) {
        struct stat st;
        int rc;
        if (stat(args[i], &st) != 0)
            rc = -2;
        else if (!S_ISDIR(st.st_mode))
            rc = push(out, &cap, strdup(args[i]));
        else
            rc = expand_dir(args[i], out, &cap);
        if (rc == 0)
            continue;
        int err = errno;
        fx_logs_free(out);
        if (rc == 1)
            return cli_errorf("no .hrl or .hrl.gz files in the directory '%s'", args[i]);
        if (rc == -2)
            return cli_errorf("cannot read the log '%s': %s", args[i], strerror(err));
        return cli_errorf("out of memory listing the logs");
    }
    return 0;
}

void fx_logs_free(struct fx_logs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}
