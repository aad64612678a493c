/* prestage_copy.h: carry out a pre-staging plan on the target.
 *
 * Each parent to copy is written as ".NAME.hvkit-partial" in its target
 * directory (reached by an O_NOFOLLOW walk, see prestage_fs.h), sparse-copied,
 * fsynced, verified by opening it with the reader (identity, sizes, headers,
 * check clean), then renamed into place without replacing anything
 * (RENAME_NOREPLACE, relative to the directory descriptor) and the directory
 * fsynced. The directory must be the one the plan saw (dev, ino), before
 * writing and again before the rename. A leftover partial file from an
 * interrupted run is resumed from the prefix it proves (prestage_resume.h),
 * else removed and the copy restarted. With --replace-stale the file in the way is first hard-linked to
 * "NAME.stale-<UTC time>" and then atomically replaced, so at every instant the
 * final name holds either the old file or the complete verified copy.
 * Source files are only ever opened read-only.
 */
#ifndef HVK_PRESTAGE_COPY_H
#define HVK_PRESTAGE_COPY_H

#include <stdint.h>

#include "prestage.h"

struct ps_exec_ops {
    /* Verifies that the file open as `fd` is the parent of item `it`. */
    int (*verify)(void *ctx, int fd, const struct ps_item *it, struct hv_err *e);
    /* Rewrites the locator of the child open read-write as `child_fd` to name
     * the parent open as `parent_fd` (local paths `child`, `parent`; Windows
     * form `win`), working on the descriptors only. */
    int (*relink)(void *ctx, int child_fd, const char *child, int parent_fd, const char *parent,
                  const char *win, struct hv_err *e);
    /* Progress of one file copy (may be NULL). */
    void (*progress)(void *ctx, const char *path, uint64_t done, uint64_t total);
    void *ctx;
};

struct ps_copy_opts {
    int dry_run;
    int replace_stale;
    int relink;
    uint64_t fail_after; /* test hook: inject an I/O error after this many bytes of the first copy */
};

/* Runs the plan; per-item outcomes go to item/link action fields.
 * @return the number of failed actions (0 = all done), or -1 with e when
 * nothing could be attempted. */
int ps_copy_run(struct ps_plan *plan, const struct ps_opts *po, const struct ps_copy_opts *co,
                const struct ps_exec_ops *ops, struct hv_err *e);

#endif
