/* hv_walk.h: reaching a file below a trusted directory without following links.
 *
 * A root directory (opened by the caller: the operator chose it, links
 * included) and a relative path ('/'-separated components) name a place
 * below the root. hv_walk() resolves the directory part once and returns a
 * descriptor of the leaf's directory plus the leaf's name; everything after
 * is done relative to that descriptor (openat, renameat2, unlinkat), so no
 * path below the root is ever resolved twice.
 *
 * Refused at every depth: "..", ".", empty components, an absolute path, and
 * any symbolic link (absolute or relative, even one that stays inside the
 * root). Where the kernel has openat2(2) the directory part is resolved with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS; otherwise
 * (ENOSYS, found at run time) one openat(O_DIRECTORY | O_NOFOLLOW) per
 * component. The leaf itself is not touched: open it with O_NOFOLLOW.
 */
#ifndef HV_WALK_H
#define HV_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum hv_walk_rc {
    HV_WALK_OK = 0, /* dirfd and leaf are set */
    HV_WALK_ABSENT, /* a directory on the way does not exist (and HV_WALK_CREATE was not given) */
    HV_WALK_UNSAFE, /* a component is a link, "..", ".", empty, or not a directory */
    HV_WALK_ERROR,  /* an I/O error (e filled) */
};

#define HV_WALK_CREATE 0x1   /* make missing directories (mode 0755) */
#define HV_WALK_PORTABLE 0x2 /* use the per-component openat walk even where openat2 exists */

struct hv_walk {
    int dirfd;        /* the leaf's directory (caller closes); -1 unless HV_WALK_OK */
    const char *leaf; /* points into the `rel` given */
    size_t bad_len;   /* not OK: length of the prefix of `rel` that ends with the refused
                       * or missing component (the whole path when unknown) */
};

/*! hv_walk() :
 *  Resolves `rel` below the directory `rootfd` (see above).
 *  @return an enum hv_walk_rc; HV_WALK_ERROR fills `err`. */
HVK_API int hv_walk(int rootfd, const char *rel, unsigned flags, struct hv_walk *out, struct hv_err *err);

/*! hv_walk_root() : opens `path` as a root directory (links in it are the
 *  operator's and are followed). @return a descriptor, or -1 with errno set. */
HVK_API int hv_walk_root(const char *path);

/* The identity of a directory: (device, inode), zero when unknown. */
struct hv_dirid {
    uint64_t dev, ino;
};

/*! hv_dirid_of() : fills *id from fstat(fd). @return 0, or -1 with errno. */
HVK_API int hv_dirid_of(int fd, struct hv_dirid *id);

#ifdef __cplusplus
}
#endif

#endif
