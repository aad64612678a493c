/* vhdx_cat.c: `vhdx cat FILE`: the whole virtual disk, through the chain, to
 * standard output.
 *
 * Fast path: runs from vhdx_map(); present runs are written straight from the
 * read-only mapping (contiguous runs coalesced into one write), zero runs come
 * from one zero buffer, or, when stdout is a regular file positioned at its
 * end, are skipped with lseek and the file is extended with ftruncate at the
 * end (sparse output, like qemu-img convert).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "vhdx.h"
#include "vhdx_cmds.h"
#include "vhdx_opts.h"

#define SYN "cat [--search-path DIR] [--map WIN=LOCAL] FILE"
static const char *const HELP =
    "Writes every byte of the virtual disk, in order, to standard output; parent\n"
    "layers serve what the child does not hold. A pending log is replayed in memory.\n\n" CHAIN_HELP;

#define ZBUF (1u << 20)
#define BOUNCE (8u << 20)

struct cat {
    int fd;
    int sparse;
    vhdx *img;
    const uint8_t *pend;
    uint64_t pend_len;
    uint64_t skip; /* zero bytes not yet written (sparse mode) */
    uint8_t *zeros, *bounce;
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

static int flush_pend(struct cat *c)
{
    if (!c->pend_len)
        return 0;
    int rc = write_all(c, c->pend, c->pend_len);
    c->pend = NULL;
    c->pend_len = 0;
    return rc;
}

static int on_run(const struct vhdx_run *r, void *vctx)
{
    struct cat *c = vctx;
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
        if (c->pend_len && c->pend + c->pend_len == p) {
            c->pend_len += r->len;
            return 0;
        }
        if (flush_pend(c))
            return -1;
        c->pend = p;
        c->pend_len = r->len;
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
    static const struct option lo[] = { { "help", no_argument, 0, 'h' }, CHAIN_LONGOPTS,
                                        { 0, 0, 0, 0 } };
    struct chain_opts co;
    chain_opts_init(&co);
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        int r = chain_opt(&co, o, optarg);
        if (r == 1)
            continue;
        chain_opts_free(&co);
        if (r < 0)
            return cli_usage("cat", SYN, "malformed option value '%s'", optarg);
        return o == 'h' ? cli_help(SYN, HELP) : cli_usage("cat", SYN, "unknown option");
    }
    if (optind + 1 != argc) {
        chain_opts_free(&co);
        return cli_usage("cat", SYN, "expected one FILE");
    }
    struct cat c;
    memset(&c, 0, sizeof c);
    int rc = open_image(argv[optind], &co, 0, &c.img);
    chain_opts_free(&co);
    if (rc)
        return rc;
    vhdx_advise_sequential(c.img);
    fflush(stdout);
    c.fd = STDOUT_FILENO;
    struct stat st;
    int fl = fcntl(c.fd, F_GETFL);
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
    rc = vhdx_map(c.img, on_run, &c, &c.e);
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
