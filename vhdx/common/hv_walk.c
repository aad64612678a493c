/* hv_walk.c: resolving a path below a root without following links (hv_walk.h). */
#define _GNU_SOURCE
#include "hv_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(SYS_openat2) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Is component [p, p+len) one we refuse ("", ".", "..")? */
static int bad_component(const char *p, size_t len)
{
    return len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.');
}

/* Lexical checks of the whole path; sets *leaf. Returns HV_WALK_OK or UNSAFE. */
static int check_lexical(const char *rel, struct hv_walk *out)
{
    if (rel[0] == '/') {
        out->bad_len = 1;
        return HV_WALK_UNSAFE;
    }
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (bad_component(p, len)) {
            out->bad_len = (size_t)(p - rel) + len;
            return HV_WALK_UNSAFE;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    out->leaf = p;
    return HV_WALK_OK;
}

static int classify(int err)
{
    if (err == ENOENT)
        return HV_WALK_ABSENT;
    if (err == ELOOP || err == ENOTDIR || err == EXDEV)
        return HV_WALK_UNSAFE;
    return HV_WALK_ERROR;
}

/* One openat per component; mkdirat where asked. */
static int walk_portable(int rootfd, const char *rel, unsigned flags, struct hv_walk *out, struct hv_err *e)
{
    int fd = dup(rootfd);
    if (fd < 0) {
        hv_fail_errno(e, errno, "path", "cannot use the root directory");
        return HV_WALK_ERROR;
    }
    char comp[256];
    for (const char *p = rel; p != out->leaf;) {
        const char *slash = strchr(p, '/');
        size_t len = (size_t)(slash - p);
        out->bad_len = (size_t)(slash - rel);
        if (len >= sizeof comp) {
            close(fd);
            hv_failx(e, HV_USAGE, "path", "a component of '%s' is too long", rel);
            return HV_WALK_ERROR;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        int nfd = openat(fd, comp, DIR_FLAGS);
        if (nfd < 0 && errno == ENOENT && (flags & HV_WALK_CREATE)) {
            if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
                int err = errno;
                close(fd);
                hv_fail_errno(e, err, "path", "cannot make directory '%.*s'", (int)out->bad_len, rel);
                return HV_WALK_ERROR;
            }
            nfd = openat(fd, comp, DIR_FLAGS);
        }
        int err = errno;
        close(fd);
        if (nfd < 0) {
            int rc = classify(err);
            if (rc == HV_WALK_ERROR)
                hv_fail_errno(e, err, "path", "cannot open directory '%.*s'", (int)out->bad_len, rel);
            return rc;
        }
        fd = nfd;
        p = slash + 1;
    }
    out->dirfd = fd;
    return HV_WALK_OK;
}

#ifdef HAVE_OPENAT2
/* The directory part in one openat2 call. Returns a walk result, or -1 when
 * the kernel lacks openat2 (or asks to retry) and the portable walk should run. */
static int walk_openat2(int rootfd, const char *rel, struct hv_walk *out)
{
    size_t dlen = (size_t)(out->leaf - rel);
    if (dlen == 0) {
        out->dirfd = dup(rootfd);
        return out->dirfd < 0 ? -1 : HV_WALK_OK;
    }
    char dir[4096];
    if (dlen >= sizeof dir)
        return -1;
    memcpy(dir, rel, dlen - 1); /* without the trailing '/' */
    dir[dlen - 1] = '\0';
    struct open_how how = { .flags = DIR_FLAGS,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
    long fd = syscall(SYS_openat2, rootfd, dir, &how, sizeof how);
    if (fd >= 0) {
        out->dirfd = (int)fd;
        return HV_WALK_OK;
    }
    /* ENOSYS (no openat2), EAGAIN (a concurrent rename), a refusal or a
     * missing directory: the portable walk runs, names the component and
     * makes directories where asked; it never follows a link either. */
    return -1;
}
#endif

int hv_walk(int rootfd, const char *rel, unsigned flags, struct hv_walk *out, struct hv_err *e)
{
    out->dirfd = -1;
    out->leaf = NULL;
    out->bad_len = strlen(rel);
    int rc = check_lexical(rel, out);
    if (rc != HV_WALK_OK)
        return rc;
#ifdef HAVE_OPENAT2
    if (!(flags & HV_WALK_PORTABLE)) {
        if (walk_openat2(rootfd, rel, out) == HV_WALK_OK)
            return HV_WALK_OK;
    }
#endif
    return walk_portable(rootfd, rel, flags, out, e);
}

int hv_walk_root(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int hv_dirid_of(int fd, struct hv_dirid *id)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    return 0;
}
