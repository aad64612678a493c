/* fusedisk.c: the FUSE 3 file system of `vhdx mount` / `hrl mount` (fusedisk.h).
 * Single-threaded loop: the disk handle is one thread at a time, and reads
 * are memory copies from mapped files, so threads would gain little. The
 * content never changes while mounted, so the kernel may keep it cached. */
#define FUSE_USE_VERSION 35
#include "fusedisk.h"

#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parttable.h"

struct fsdata {
    struct sdisk *d;
    struct parttable pt;
    char names[PT_MAX][16];
};

static struct fsdata *fs(void)
{
    return fuse_get_context()->private_data;
}

/* Index of the file: -1 the disk, 0..n-1 a partition, -2 none. */
static int lookup(const struct fsdata *f, const char *path)
{
    if (!strcmp(path, "/disk"))
        return -1;
    for (size_t i = 0; i < f->pt.n; i++)
        if (path[0] == '/' && !strcmp(path + 1, f->names[i]))
            return (int)i;
    return -2;
}

static void range(const struct fsdata *f, int idx, uint64_t *off, uint64_t *len)
{
    *off = idx < 0 ? 0 : f->pt.p[idx].off;
    *len = idx < 0 ? f->d->size : f->pt.p[idx].len;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->kernel_cache = 1; /* read-only and unchanging: keep pages across opens */
    cfg->entry_timeout = cfg->attr_timeout = 3600;
    return fuse_get_context()->private_data;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    const struct fsdata *f = fs();
    memset(st, 0, sizeof *st);
    if (!strcmp(path, "/")) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        return 0;
    }
    int idx = lookup(f, path);
    if (idx == -2)
        return -ENOENT;
    uint64_t off, len;
    range(f, idx, &off, &len);
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = (off_t)len;
    st->st_blocks = (blkcnt_t)((len + 511) / 512);
    st->st_blksize = 1 << 20; /* cat, cp, dd by default read this much per call */
    return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags)
{
    (void)off;
    (void)fi;
    (void)flags;
    const struct fsdata *f = fs();
    if (strcmp(path, "/"))
        return -ENOENT;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    fill(buf, "disk", NULL, 0, 0);
    for (size_t i = 0; i < f->pt.n; i++)
        fill(buf, f->names[i], NULL, 0, 0);
    return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
    int idx = lookup(fs(), path);
    if (idx == -2)
        return -ENOENT;
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return -EROFS;
    fi->fh = (uint64_t)(idx + 1); /* 0 = the disk, k = partition k-1 */
    fi->keep_cache = 1;
    return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    struct fsdata *f = fs();
    int idx = (int)fi->fh - 1;
    if (idx < -1 || idx >= (int)f->pt.n || off < 0)
        return -EINVAL;
    uint64_t start, len;
    range(f, idx, &start, &len);
    if ((uint64_t)off >= len)
        return 0;
    if (size > len - (uint64_t)off)
        size = (size_t)(len - (uint64_t)off);
    struct hv_err e;
    hv_err_clear(&e);
    if (sdisk_read(f->d, buf, size, start + (uint64_t)off, &e) != 0) {
        char m[1200];
        fprintf(stderr, "read failed: %s\n", hv_err_format(&e, m, sizeof m));
        return -EIO;
    }
    return (int)size;
}

static const struct fuse_operations ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .open = fs_open,
    .read = fs_read,
};

/* Mounts, detaches unless foreground, loops until unmount or a signal. */
static int serve(struct fsdata *f, const char *dir, const struct fmount_opts *o, struct hv_err *e)
{
    char name[400], fsname[480];
    snprintf(name, sizeof name, "%s", o->fsname ? o->fsname : "hvkit");
    for (char *c = name; *c; c++) /* ',' would split FUSE's option list */
        if (*c == ',' || *c == '\\')
            *c = '_';
    snprintf(fsname, sizeof fsname, "-ofsname=%s,subtype=hvkit,ro,default_permissions", name);
    char *argv[] = { "hvkit", fsname, NULL };
    struct fuse_args args = FUSE_ARGS_INIT(2, argv);
    struct fuse *fu = fuse_new(&args, &ops, sizeof ops, f);
    if (!fu) {
        fuse_opt_free_args(&args);
        return hv_failx(e, HV_IO, "mount", "cannot set up FUSE for '%s'", dir);
    }
    int rc = -1;
    /* Handlers first: a SIGTERM arriving as soon as the mount appears must
     * still end the loop and unmount, not kill the process. */
    struct fuse_session *se = fuse_get_session(fu);
    if (fuse_set_signal_handlers(se) != 0) {
        hv_failx(e, HV_IO, "mount", "cannot install signal handlers");
        goto out;
    }
    if (fuse_mount(fu, dir) != 0) {
        hv_failx(e, HV_IO, "mount", "cannot mount on '%s' (is /dev/fuse there, and fusermount3?)", dir);
        goto signals;
    }
    if (fuse_daemonize(o->foreground) != 0) {
        hv_failx(e, HV_IO, "mount", "cannot detach from the terminal");
        goto unmount;
    }
    rc = fuse_loop(fu) < 0 ? hv_failx(e, HV_IO, "mount", "FUSE loop on '%s' failed", dir) : 0;
unmount:
    fuse_unmount(fu);
signals:
    fuse_remove_signal_handlers(se);
out:
    fuse_destroy(fu);
    fuse_opt_free_args(&args);
    return rc;
}

int fmount_run(struct sdisk *d, const char *dir, const struct fmount_opts *o, struct hv_err *e)
{
    struct fsdata *f = calloc(1, sizeof *f);
    if (!f)
        return hv_failx(e, HV_NOMEM, "mount", "out of memory");
    f->d = d;
    /* libfuse unmounts by path, possibly after changing directory: make it absolute */
    char *abs = realpath(dir, NULL);
    if (!abs) {
        free(f);
        return hv_fail_errno(e, errno, "mount", "cannot use '%s' as mount point", dir);
    }
    int rc = parttable_read(d, vhdx_logical_sector_size(d->img), &f->pt, e);
    for (size_t i = 0; rc == 0 && i < f->pt.n; i++)
        snprintf(f->names[i], sizeof f->names[i], "p%u", f->pt.p[i].number);
    if (rc == 0)
        rc = serve(f, abs, o, e);
    free(abs);
    free(f);
    return rc;
}
