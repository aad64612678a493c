/* prestage_fs.h: reaching files under a target root without following links.
 *
 * The root directory named by a --target-map is trusted (the operator chose
 * it, links included). Below it every directory is opened with openat(...,
 * O_DIRECTORY | O_NOFOLLOW) one component at a time, so a symbolic link
 * planted anywhere under the root cannot redirect a write outside it; the leaf
 * is inspected with fstatat(AT_SYMLINK_NOFOLLOW) and opened with O_NOFOLLOW.
 */
#ifndef HVK_PRESTAGE_FS_H
#define HVK_PRESTAGE_FS_H

#include <stddef.h>

#include "hv_err.h"

enum ps_walk {
    PS_WALK_OK = 0,    /* *dirfd is the leaf's directory */
    PS_WALK_ABSENT,    /* a directory on the way does not exist (and create was 0) */
    PS_WALK_UNSAFE,    /* a component is a symbolic link or not a directory */
    PS_WALK_ERROR,     /* I/O error (e filled) */
};

/* Walks `rel` ('/'-separated components, no "." or "..") below `root`.
 * With `create`, missing directories are made (0755). On PS_WALK_OK, *dirfd
 * must be closed by the caller and `leaf` points into rel. */
enum ps_walk ps_walk(const char *root, const char *rel, int create, int *dirfd, const char **leaf,
                     struct hv_err *e);

/* The entry `leaf` in dirfd, not followed. */
enum ps_leaf { PS_LEAF_ABSENT = 0, PS_LEAF_FILE, PS_LEAF_LINK, PS_LEAF_OTHER, PS_LEAF_ERROR };
enum ps_leaf ps_leaf_kind(int dirfd, const char *leaf);

#endif
