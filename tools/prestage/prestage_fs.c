/* prestage_fs.c: target paths through hv_walk(), never following links. */
#define _GNU_SOURCE
#include "prestage_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ps_walk ps_walk(const char *root, const char *rel, int create, int *dirfd, const char **leaf,
                     struct hv_err *e)
{
    *dirfd = -1;
    int rfd = hv_walk_root(root);
    if (rfd < 0) {
        if (errno == ENOENT && !create)
            return PS_WALK_ABSENT;
        hv_fail_errno(e, errno, "target", "cannot open target root '%s'", root);
        return PS_WALK_ERROR;
    }
    struct hv_walk w;
    int rc = hv_walk(rfd, rel, create ? HV_WALK_CREATE : 0, &w, e);
    close(rfd);
    if (rc != HV_WALK_OK)
        return rc == HV_WALK_ABSENT ? PS_WALK_ABSENT : rc == HV_WALK_UNSAFE ? PS_WALK_UNSAFE : PS_WALK_ERROR;
    *dirfd = w.dirfd;
    *leaf = w.leaf;
    return PS_WALK_OK;
}

enum ps_leaf ps_leaf_id(int dirfd, const char *leaf, struct hv_dirid *id)
{
    struct stat st;
    if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? PS_LEAF_ABSENT : PS_LEAF_ERROR;
    if (id) {
        id->dev = (uint64_t)st.st_dev;
        id->ino = (uint64_t)st.st_ino;
    }
    if (S_ISLNK(st.st_mode))
        return PS_LEAF_LINK;
    return S_ISREG(st.st_mode) ? PS_LEAF_FILE : PS_LEAF_OTHER;
}

enum ps_leaf ps_leaf_kind(int dirfd, const char *leaf)
{
    return ps_leaf_id(dirfd, leaf, NULL);
}
