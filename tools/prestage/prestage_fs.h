/* prestage_fs.h: reaching files under a target root without following links.
 *
 * The root directory named by a --target-map is trusted (the operator chose
 * it, links included). Below it paths are resolved by hvcommon's hv_walk()
 * (hv_walk.h): once, never through a symbolic link, never above the root.
 * What pre-staging then does happens relative to the directory descriptor it
 * returns; the leaf is inspected with fstatat(AT_SYMLINK_NOFOLLOW) and opened
 * with O_NOFOLLOW.
 */
#ifndef HVK_PRESTAGE_FS_H
#define HVK_PRESTAGE_FS_H

#include <stddef.h>

#include "hv_err.h"
#include "hv_walk.h"

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

/* The entry `leaf` in dirfd, not followed; *id filled for an existing entry
 * (may be NULL). */
enum ps_leaf { PS_LEAF_ABSENT = 0, PS_LEAF_FILE, PS_LEAF_LINK, PS_LEAF_OTHER, PS_LEAF_ERROR };
enum ps_leaf ps_leaf_kind(int dirfd, const char *leaf);
enum ps_leaf ps_leaf_id(int dirfd, const char *leaf, struct hv_dirid *id);

#endif
