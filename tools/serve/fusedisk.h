/* fusedisk.h: a served disk as a read-only FUSE 3 directory: `disk` (the whole
 * virtual disk) and p1, p2, ... for the partitions of an MBR or GPT. */
#ifndef HVK_SERVE_FUSEDISK_H
#define HVK_SERVE_FUSEDISK_H

#include "disk.h"
#include "hv_err.h"

struct fmount_opts {
    int foreground;     /* stay attached to the terminal (else detach once mounted) */
    const char *fsname; /* shown in /proc/mounts, e.g. the image's path */
};

/*! fmount_run() : mounts `dir` and serves `d` until unmounted (fusermount3 -u
 *  DIR) or until SIGTERM / SIGINT / SIGHUP, which unmount cleanly.
 *  @return 0, or -1 with `e` (HV_UNSUPPORTED built without FUSE 3, HV_IO
 *          cannot mount, e.g. no /dev/fuse). */
int fmount_run(struct sdisk *d, const char *dir, const struct fmount_opts *o, struct hv_err *e);

#endif
