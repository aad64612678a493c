/* publish.c: how new files appear: written under a temporary sibling name,
 * flushed, then linked to the target name without replacing anything
 * (link() fails if the target exists, unlike rename()), and the directory
 * flushed. A crash leaves either no target or a complete one. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv_io.h"
#include "hv_publish.h"

int hv_tmp_sibling(const char *path, char *tmp, size_t cap, struct hv_err *e)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = snprintf(tmp, cap, "%.*s.%s.tmp-%ld-%lx", dirlen, path, base, (long)getpid(),
                     (unsigned long)ts.tv_nsec);
    if (n < 0 || (size_t)n >= cap)
        return hv_failx(e, HV_USAGE, "create", "path too long");
    return 0;
}

int hv_publish_tmp(const char *tmp, const char *path, struct hv_err *e)
{
    if (link(tmp, path) != 0) {
        int err = errno;
        hv_err_file(e, path);
        if (err == EEXIST)
            return hv_failx(e, HV_EXISTS, "create", "file exists; refusing to overwrite");
        return hv_fail_errno(e, err, "create", "cannot link '%s' into place", tmp);
    }
    if (unlink(tmp) != 0)
        return hv_fail_errno(e, errno, "create", "cannot remove temporary '%s'", tmp);
    return hv_fsync_dir_of(path, e);
}
