/* vhdx_cat.c: `vhdx cat FILE`: the whole virtual disk, through the chain, to
 * standard output.
 *
 * Fast path: runs from vhdx_map(). When stdout is a regular file positioned at
 * its end, the data of present runs (the holes the layer's file has inside
 * them skipped, hv_data_next) becomes jobs copied by a few threads in
 * parallel with copy_file_range at explicit offsets (pwrite from the mapping
 * as the fallback); zero runs, holes and all-zero pages stay holes, and
 * ftruncate sets the final size.
 * Otherwise (pipes) present runs (contiguous runs coalesced) are copied in the kernel with copy_file_range (regular-file output) or
 * sendfile (pipes), falling back to write() straight from the read-only
 * mapping; zero runs come
 * from one zero buffer, or, when stdout is a regular file positioned at its
 * end, are skipped with lseek and the file is extended with ftruncate at the
 * end (sparse output, like qemu-img convert).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/sendfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "hv_io.h"
#include "hv_pool.h"
#include "hv_zero.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

static const struct cli_opt opts[] = { CLI_OPT_CHAIN, CLI_OPT_END };
static const struct cli_example examples[] = {
    { "vhdx cat disk.vhdx > disk.raw", "write the virtual disk as a sparse raw image" },
    { "vhdx cat child.avhdx --search-path /srv/parents | sha256sum",
      "hash the disk a differencing chain shows, finding parents by name in /srv/parents" },
    { 0, 0 },
};
const struct cli_spec spec_cat = {
    "cat", "[options] FILE", "write the whole virtual disk to standard output",
    "Writes every byte of the virtual disk, in order, to standard output; parent layers serve what the "
    "child does not hold. A pending log is replayed in memory. Standard output must not be a terminal.",
    opts, examples,
};

#define ZBUF (1u << 20)
#define BOUNCE (8u << 20)

#define MAX_LAYERS (VHDX_MAX_CHAIN_DEPTH + 1)
#define JOB_MAX (16u << 20) /* bytes per parallel job */
#define JOBS_BATCH 4096
#define THREADS 4

struct job {
    uint64_t out_off, in_off, len;
    const uint8_t *p;
    int in_fd;
};

struct pool {
    struct job *jobs;
    size_t n;
    atomic_int err; /* first errno */
    int out_fd;
};

/* Copies len bytes (mapped at p, at in_off of in_fd) to out_off: in the
 * kernel when it can, else pwrite from the mapping. Returns 0 or an errno. */
static int copy_piece(int in_fd, int out_fd, const uint8_t *p, uint64_t in_off, uint64_t out_off,
                      uint64_t len)
{
    loff_t in = (loff_t)in_off, out = (loff_t)out_off;
    uint64_t left = len;
    while (left > 0 && in_fd >= 0) {
        ssize_t w = copy_file_range(in_fd, &in, out_fd, &out, (size_t)left, 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* unsupported here: pwrite the rest */
        left -= (uint64_t)w;
    }
    p += len - left;
    while (left > 0) {
        ssize_t w = pwrite(out_fd, p, left > (1u << 30) ? (1u << 30) : (size_t)left, out);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        out += w;
        left -= (uint64_t)w;
    }
    return 0;
}

/* One job: its all-zero pages (hv_zero_run on the mapping, which the copy
 * then finds in the page cache) stay holes; the rest is copied. After the
 * first error the remaining jobs are skipped. */
static void copy_job(void *ctx, size_t i)
{
    struct pool *pl = ctx;
    if (atomic_load(&pl->err))
        return;
    struct job *j = &pl->jobs[i];
    for (uint64_t at = 0; at < j->len;) {
        at += hv_zero_run(j->p + at, (size_t)(j->len - at), HV_ZERO_UNIT, 1);
        uint64_t n = hv_zero_run(j->p + at, (size_t)(j->len - at), HV_ZERO_UNIT, 0);
        int err = n ? copy_piece(j->in_fd, pl->out_fd, j->p + at, j->in_off + at, j->out_off + at, n)
                    : 0;
        if (err) {
            int zero = 0;
            atomic_compare_exchange_strong(&pl->err, &zero, err);
            return;
        }
        at += n;
    }
    hv_map_release(j->p, j->len);
}

/* Runs the queued jobs on THREADS threads; returns 0 or an errno. */
static int run_pool(struct pool *pl)
{
    hv_parallel_for(pl->n, THREADS, copy_job, pl);
    pl->n = 0;
    return atomic_load(&pl->err);
}

struct cat {
    int fd;
    int sparse;
    vhdx *img;
    int in_fd[MAX_LAYERS]; /* each layer's file, for in-kernel copies; -1 if not */
    int kernel_copy;        /* 2 copy_file_range, 1 sendfile, 0 write() */
    const uint8_t *pend;
    uint64_t pend_len, pend_off;
    int pend_layer;
    uint64_t skip; /* zero bytes not yet written (sparse mode) */
    uint8_t *zeros, *bounce;
    struct pool pool;     /* parallel mode (regular-file output) */
    uint64_t out_base;
    struct hv_err e;
    int err_errno;
};

static int write_all(struct cat *c, const uint8_t *p, uint64_t n)
{
    if (c->skip) {
        if (lseek(c->fd, (off_t)c->skip, SEEK_CUR) < 0) {
            c->err_errno = errno;
            return -1;
        }
        c->skip = 0;
    }
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t w = write(c->fd, p, chunk);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->err_errno = w < 0 ? errno : EIO;
            return -1;
        }
        p += w;
        n -= (uint64_t)w;
    }
    return 0;
}

/* In-kernel copy of n bytes at off of layer L; returns bytes copied (may
 * be short), or -1 when this kind of copy is unavailable. */
static int64_t kcopy(struct cat *c, int L, uint64_t off, uint64_t n)
{
    int in = L < MAX_LAYERS ? c->in_fd[L] : -1;
    if (in < 0 || !c->kernel_copy)
        return -1;
    size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
    ssize_t w;
    loff_t o = (loff_t)off;
    do {
        if (c->kernel_copy == 2)
            w = copy_file_range(in, &o, c->fd, NULL, chunk, 0);
        else
            w = sendfile(c->fd, in, &o, chunk);
    } while (w < 0 && errno == EINTR);
    if (w <= 0 && c->kernel_copy == 2 && (w == 0 || errno == EXDEV || errno == EINVAL ||
                                          errno == EBADF || errno == EOPNOTSUPP ||
                                          errno == ENOSYS)) {
        c->kernel_copy = 1; /* e.g. a pipe or an old kernel: try sendfile */
        return kcopy(c, L, off, n);
    }
    if (w <= 0 && (w == 0 || errno == EINVAL || errno == EBADF || errno == ENOSYS)) {
        c->kernel_copy = 0;
        return -1;
    }
    if (w < 0)
        c->err_errno = errno;
    return w;
}

static int flush_pend(struct cat *c)
{
    if (!c->pend_len)
        return 0;
    const uint8_t *p = c->pend;
    uint64_t off = c->pend_off, n = c->pend_len;
    c->pend = NULL;
    c->pend_len = 0;
    if (c->kernel_copy) {
        if (c->skip) {
            if (lseek(c->fd, (off_t)c->skip, SEEK_CUR) < 0) {
                c->err_errno = errno;
                return -1;
            }
            c->skip = 0;
        }
        while (n > 0) {
            int64_t w = kcopy(c, c->pend_layer, off, n);
            if (w < 0) {
                if (c->err_errno)
                    return -1;
                break; /* unavailable: write() the rest from the mapping */
            }
            p += w;
            off += (uint64_t)w;
            n -= (uint64_t)w;
        }
    }
    return n ? write_all(c, p, n) : 0;
}

/* Parallel mode: queue bytes [rel, rel+len) of present run r (mapped at p)
 * as jobs at their output offset. */
static int queue_data(struct cat *c, const struct vhdx_run *r, const uint8_t *p, uint64_t rel,
                      uint64_t len)
{
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < JOB_MAX ? len - done : JOB_MAX;
        if (c->pool.n == JOBS_BATCH) {
            int err = run_pool(&c->pool);
            if (err) {
                c->err_errno = err;
                return -1;
            }
        }
        struct job *j = &c->pool.jobs[c->pool.n++];
        j->out_off = c->out_base + r->voff + rel + done;
        j->in_off = r->file_off + rel + done;
        j->len = n;
        j->p = p + rel + done;
        j->in_fd = r->layer < MAX_LAYERS ? c->in_fd[r->layer] : -1;
        done += n;
    }
    return 0;
}

/* Parallel mode: queue a present run as jobs at its output offset; holes the
 * layer's file has inside the run (qemu-img leaves the unwritten part of a
 * block as one) stay holes in the output. */
static int queue_run(struct cat *c, const struct vhdx_run *r)
{
    const uint8_t *p = vhdx_run_data(c->img, r);
    if (!p) { /* log-extended tail: read through the library, write in place */
        for (uint64_t done = 0; done < r->len;) {
            uint64_t n = r->len - done < BOUNCE ? r->len - done : BOUNCE;
            if (vhdx_read(c->img, c->bounce, (size_t)n, r->voff + done, &c->e))
                return -2;
            for (uint64_t k = 0; k < n;) {
                ssize_t w = pwrite(c->fd, c->bounce + k, (size_t)(n - k),
                                   (off_t)(c->out_base + r->voff + done + k));
                if (w <= 0) {
                    c->err_errno = w < 0 ? errno : EIO;
                    return -1;
                }
                k += (uint64_t)w;
            }
            done += n;
        }
        return 0;
    }
    int fd = r->layer < MAX_LAYERS ? c->in_fd[r->layer] : -1;
    if (fd < 0)
        return queue_data(c, r, p, 0, r->len);
    uint64_t end = r->file_off + r->len, d, h;
    for (uint64_t at = r->file_off; hv_data_next(fd, at, end, &d, &h); at = h)
        if (queue_data(c, r, p, d - r->file_off, h - d))
            return -1;
    return 0;
}

static int on_run(const struct vhdx_run *r, void *vctx)
{
    struct cat *c = vctx;
    if (c->pool.jobs)
        return r->layer < 0 ? 0 : queue_run(c, r);
    if (r->layer < 0) {
        if (flush_pend(c))
            return -1;
        if (c->sparse) {
            c->skip += r->len;
            return 0;
        }
        for (uint64_t left = r->len; left;) {
            uint64_t n = left < ZBUF ? left : ZBUF;
            if (write_all(c, c->zeros, n))
                return -1;
            left -= n;
        }
        return 0;
    }
    const uint8_t *p = vhdx_run_data(c->img, r);
    if (p) {
        if (c->pend_len && c->pend + c->pend_len == p && c->pend_layer == r->layer) {
            c->pend_len += r->len;
            return 0;
        }
        if (flush_pend(c))
            return -1;
        c->pend = p;
        c->pend_len = r->len;
        c->pend_off = r->file_off;
        c->pend_layer = r->layer;
        return 0;
    }
    /* Not wholly inside the real file (log-extended tail): vhdx_read zero-fills. */
    if (flush_pend(c))
        return -1;
    for (uint64_t done = 0; done < r->len;) {
        uint64_t n = r->len - done < BOUNCE ? r->len - done : BOUNCE;
        if (vhdx_read(c->img, c->bounce, (size_t)n, r->voff + done, &c->e))
            return -2;
        if (write_all(c, c->bounce, n))
            return -1;
        done += n;
    }
    return 0;
}

int cmd_cat(int argc, char **argv)
{
    struct chain_opts co;
    int json, status;
    if (chain_file_args(argc, argv, &spec_cat, &json, &co, &status) != 0)
        return status;
    if (isatty(STDOUT_FILENO)) {
        chain_opts_free(&co);
        return cli_bad("standard output is a terminal: redirect it to a file or a pipe, "
                       "e.g. vhdx cat %s > disk.raw", argv[optind]);
    }
    struct cat c;
    memset(&c, 0, sizeof c);
    int rc = open_image(argv[optind], &co, 0, &c.img);
    chain_opts_free(&co);
    if (rc)
        return rc;
    vhdx_advise_sequential(c.img);
    int fl = fcntl(STDOUT_FILENO, F_GETFL);
    int L = 0;
    for (int i = 0; i < MAX_LAYERS; i++)
        c.in_fd[i] = -1;
    for (const vhdx *l = c.img; l && L < MAX_LAYERS; l = vhdx_parent(l), L++) {
        c.in_fd[L] = open(vhdx_path(l), O_RDONLY | O_CLOEXEC);
        if (c.in_fd[L] >= 0)
            posix_fadvise(c.in_fd[L], 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    c.kernel_copy = fl >= 0 && (fl & O_APPEND) ? 0 : 2; /* neither call appends */
    fflush(stdout);
    c.fd = STDOUT_FILENO;
    struct stat st;
    if (fstat(c.fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND)) {
        off_t pos = lseek(c.fd, 0, SEEK_CUR);
        c.sparse = pos >= 0 && pos == st.st_size; /* only skip over bytes that do not exist yet */
    }
    c.zeros = calloc(1, ZBUF);
    c.bounce = malloc(BOUNCE);
    if (!c.zeros || !c.bounce) {
        free(c.zeros);
        free(c.bounce);
        vhdx_close(c.img);
        return cli_errorf("out of memory");
    }
    hv_err_clear(&c.e);
    if (c.sparse) {
        c.pool.jobs = malloc(JOBS_BATCH * sizeof *c.pool.jobs);
        c.pool.out_fd = c.fd;
        c.out_base = (uint64_t)lseek(c.fd, 0, SEEK_CUR);
    }
    rc = vhdx_map(c.img, on_run, &c, &c.e);
    if (c.pool.jobs) {
        int err = run_pool(&c.pool);
        if (rc == 0 && err) {
            c.err_errno = err;
            rc = -1;
        }
        if (rc == 0 && ftruncate(c.fd, (off_t)(c.out_base + vhdx_virtual_size(c.img))) != 0) {
            c.err_errno = errno;
            rc = -1;
        }
        if (rc == 0 && lseek(c.fd, 0, SEEK_END) < 0) {
            c.err_errno = errno;
            rc = -1;
        }
        free(c.pool.jobs);
        c.pool.jobs = NULL;
        c.skip = 0;
    }
    if (rc == 0)
        rc = flush_pend(&c);
    if (rc == 0 && c.skip) {
        off_t pos = lseek(c.fd, 0, SEEK_CUR);
        if (pos < 0 || ftruncate(c.fd, pos + (off_t)c.skip) != 0) {
            c.err_errno = errno;
            rc = -1;
        }
    }
    free(c.zeros);
    free(c.bounce);
    for (int i = 0; i < MAX_LAYERS; i++)
        if (c.in_fd[i] >= 0)
            close(c.in_fd[i]);
    vhdx_close(c.img);
    if (rc == -1 && c.err_errno) {
        if (c.err_errno == EPIPE)
            return EXIT_ERROR;
        return cli_errorf("cannot write standard output: %s", strerror(c.err_errno));
    }
    if (rc)
        return cli_error(&c.e);
    return EXIT_OK;
}
