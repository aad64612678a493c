/* race_hook.c: an LD_PRELOAD shim for the race tests (tests/cli/prestage_race.sh),
 * built only with the test suite and never linked into a program.
 *
 * When the program first calls the libc function named by HVK_RACE_AT
 * (copy_file_range, renameat2, renameat), the shell command HVK_RACE_CMD runs
 * to completion before the call proceeds: another process's rename or
 * symlink lands at exactly that point, every run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <sys/types.h>
#include <unistd.h>

/* the project builds with hidden visibility; these must be seen by the loader */
#define HOOK __attribute__((visibility("default")))

static int fired; /* a test shim: one process, one race */

static void maybe_fire(const char *fn)
{
    const char *at = getenv("HVK_RACE_AT"), *cmd = getenv("HVK_RACE_CMD");
    if (fired || !at || !cmd || strcmp(at, fn) != 0)
        return;
    fired = 1;
    /* the command's own mv/ln must not fire (or load) the hook again */
    unsetenv("HVK_RACE_AT");
    unsetenv("LD_PRELOAD");
    if (system(cmd) != 0)
        fprintf(stderr, "race hook: '%s' failed\n", cmd);
}

HOOK ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags)
{
    maybe_fire("copy_file_range");
    ssize_t (*real)(int, off_t *, int, off_t *, size_t, unsigned) =
        (ssize_t(*)(int, off_t *, int, off_t *, size_t, unsigned))dlsym(RTLD_NEXT, "copy_file_range");
    return real(in, in_off, out, out_off, len, flags);
}

HOOK int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
    maybe_fire("renameat2");
    int (*real)(int, const char *, int, const char *, unsigned) =
        (int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT, "renameat2");
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

HOOK int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    maybe_fire("renameat");
    int (*real)(int, const char *, int, const char *) =
        (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
    return real(olddirfd, oldpath, newdirfd, newpath);
}

HOOK int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
    maybe_fire("linkat");
    int (*real)(int, const char *, int, const char *, int) =
        (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* HVK_FAKE_AVAIL=BYTES: every file system reports that much free space. */
static int fake_avail(struct statvfs *st)
{
    const char *a = getenv("HVK_FAKE_AVAIL");
    if (a && st->f_frsize)
        st->f_bavail = (fsblkcnt_t)(strtoull(a, NULL, 10) / st->f_frsize);
    return 0;
}

HOOK int statvfs(const char *path, struct statvfs *st)
{
    int (*real)(const char *, struct statvfs *) = (int (*)(const char *, struct statvfs *))dlsym(RTLD_NEXT, "statvfs");
    return real(path, st) ? -1 : fake_avail(st);
}

/* fsetxattr fires after the call (HVK_RACE_AT=fsetxattr): e.g. a SIGKILL
 * right after the first resume record of a copy is written. */
HOOK int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
    int (*real)(int, const char *, const void *, size_t, int) =
        (int (*)(int, const char *, const void *, size_t, int))dlsym(RTLD_NEXT, "fsetxattr");
    int rc = real(fd, name, value, size, flags);
    maybe_fire("fsetxattr");
    return rc;
}
