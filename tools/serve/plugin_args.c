/* plugin_args.c: parameters of the nbdkit plugin (plugin_args.h). LOG
 * arguments follow `hrl restore`: files as given, directories expanded to
 * their .hrl / .hrl.gz files sorted by name (chain order comes from headers). */
#define _GNU_SOURCE
#include "plugin_args.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <nbdkit-plugin.h>

static int grow(void **arr, size_t n, size_t size)
{
    void *p = realloc(*arr, (n + 1) * size);
    if (!p) {
        nbdkit_error("out of memory");
        return -1;
    }
    *arr = p;
    return 0;
}

static int add_log(struct pargs *a, char *path)
{
    if (!path || grow((void **)&a->logs, a->nlogs, sizeof *a->logs) != 0) {
        free(path);
        return -1;
    }
    a->logs[a->nlogs++] = path;
    return 0;
}

static int is_log_name(const char *s)
{
    size_t n = strlen(s);
    return s[0] != '.' && ((n > 4 && (!strcmp(s + n - 4, ".hrl") || !strcmp(s + n - 4, ".HRL"))) ||
                           (n > 7 && !strcmp(s + n - 7, ".hrl.gz")));
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int add_dir(struct pargs *a, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        nbdkit_error("'%s': %m", dir);
        return -1;
    }
    size_t first = a->nlogs;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        char *p;
        if (is_log_name(de->d_name))
            rc = asprintf(&p, "%s/%s", dir, de->d_name) < 0 ? -1 : add_log(a, p);
    }
    closedir(d);
    if (rc == 0 && a->nlogs == first) {
        nbdkit_error("'%s': no .hrl or .hrl.gz files in this directory", dir);
        return -1;
    }
    qsort(a->logs + first, a->nlogs - first, sizeof *a->logs, by_name);
    return rc;
}

static int add_logs(struct pargs *a, const char *value)
{
    char *copy = strdup(value), *save = NULL;
    int rc = copy ? 0 : -1;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0; t = strtok_r(NULL, ",", &save)) {
        struct stat st;
        if (stat(t, &st) != 0) {
            nbdkit_error("'%s': %m", t);
            rc = -1;
        } else {
            rc = S_ISDIR(st.st_mode) ? add_dir(a, t) : add_log(a, strdup(t));
        }
    }
    free(copy);
    return rc;
}

static int add_map(struct pargs *a, const char *value)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value || !eq[1]) {
        nbdkit_error("map='%s': expected WIN=LOCAL", value);
        return -1;
    }
    if (grow((void **)&a->maps, a->o.n_maps, sizeof *a->maps) != 0)
        return -1;
    char *from = strndup(value, (size_t)(eq - value)), *to = strdup(eq + 1);
    a->maps[a->o.n_maps++] = (struct vhdx_path_map){ from, to };
    a->o.maps = a->maps;
    return from && to ? 0 : -1;
}

int pargs_set(struct pargs *a, const char *key, const char *value)
{
    if (!strcmp(key, "file"))
        a->file = value;
    else if (!strcmp(key, "base"))
        a->base = value;
    else if (!strcmp(key, "point"))
        a->point = value;
    else if (!strcmp(key, "until"))
        a->until = value;
    else if (!strcmp(key, "writable"))
        a->writable = value;
    else if (!strcmp(key, "logs")) {
        if (grow((void **)&a->logargs, a->nlogargs, sizeof *a->logargs) != 0)
            return -1;
        a->logargs[a->nlogargs++] = value;
    }
    else if (!strcmp(key, "map"))
        return add_map(a, value);
    else if (!strcmp(key, "ignore-guid")) {
        if ((a->ignore_guid = nbdkit_parse_bool(value)) < 0)
            return -1;
    } else if (!strcmp(key, "search-path")) {
        if (grow((void **)&a->search, a->o.n_search_paths, sizeof *a->search) != 0)
            return -1;
        a->search[a->o.n_search_paths++] = value;
        a->o.search_paths = a->search;
    } else {
        nbdkit_error("unknown parameter '%s' (see nbdkit-hvkit-plugin --help)", key);
        return -1;
    }
    return 0;
}

int pargs_check(struct pargs *a)
{
    if (!a->file == !a->base) {
        nbdkit_error("give either file=IMAGE or base=BASE logs=LOGS");
        return -1;
    }
    if (a->file && (a->nlogargs || a->point || a->until)) {
        nbdkit_error("logs=, point= and until= go with base=, not file=");
        return -1;
    }
    if (a->writable && !a->file) {
        nbdkit_error("writable= goes with file= (a recovery point is read-only)");
        return -1;
    }
    if (a->base && !a->nlogargs) {
        nbdkit_error("base= needs logs=DIR or logs=LOG1,LOG2,...");
        return -1;
    }
    if (a->point && a->until) {
        nbdkit_error("give only one of point= and until=");
        return -1;
    }
    for (size_t i = 0; i < a->nlogargs; i++)
        if (add_logs(a, a->logargs[i]) != 0)
            return -1;
    return 0;
}

void pargs_free(struct pargs *a)
{
    for (size_t i = 0; i < a->nlogs; i++)
        free(a->logs[i]);
    for (size_t i = 0; i < a->o.n_maps; i++) {
        free((char *)a->maps[i].from);
        free((char *)a->maps[i].to);
    }
    free(a->logs);
    free(a->logargs);
    free(a->maps);
    free(a->search);
    memset(a, 0, sizeof *a);
}

int pargs_parse_time(const char *s, int64_t *t)
{
    if (s[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        if (errno || end == s + 1 || *end)
            return -1;
        *t = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (!end || (*end && strcmp(end, "Z")))
        return -1;
    *t = (int64_t)timegm(&tm);
    return 0;
}
