/* prestage_fs.c: openat walks below a target root, never following links. */
#define _GNU_SOURCE
#include "prestage_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestage_path.h"

enum ps_walk ps_walk(const char *root, const char *rel, int create, int *dirfd, const char **leaf,
                     struct hv_err *e)
{
    *dirfd = -1;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !create)
            return PS_WALK_ABSENT;
        hv_fail_errno(e, errno, "target", "cannot open target root '%s'", root);
        return PS_WALK_ERROR;
    }
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char comp[256];
        size_t l = (size_t)(slash - p);
        if (l == 0 || l >= sizeof comp || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.')) {
            close(fd);
            return PS_WALK_UNSAFE; /* prestage_path never produces these; refuse anyway */
        }
        memcpy(comp, p, l);
        comp[l] = '\0';
        int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
                hv_fail_errno(e, errno, "target", "cannot make directory '%s' under '%s'", comp, root);
                close(fd);
                return PS_WALK_ERROR;
            }
            nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd < 0) {
            int err = errno;
            close(fd);
            if (err == ENOENT)
                return PS_WALK_ABSENT;
            if (err == ELOOP || err == ENOTDIR)
                return PS_WALK_UNSAFE;
            hv_fail_errno(e, err, "target", "cannot open directory '%s' under '%s'", comp, root);
            return PS_WALK_ERROR;
        }
        close(fd);
        fd = nfd;
        p = slash + 1;
    }
    if (!*p || strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
        close(fd);
        return PS_WALK_UNSAFE;
    }
    *dirfd = fd;
    *leaf = p;
    return PS_WALK_OK;
}

enum ps_leaf ps_leaf_kind(int dirfd, const char *leaf)
{
    struct stat st;
    if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? PS_LEAF_ABSENT : PS_LEAF_ERROR;
    if (S_ISLNK(st.st_mode))
        return PS_LEAF_LINK;
    return S_ISREG(st.st_mode) ? PS_LEAF_FILE : PS_LEAF_OTHER;
}
