/* prestage_resume.c: resumable pre-staging copies (prestage_resume.h). */
#define _GNU_SOURCE
#include "prestage_resume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hv_bytes.h"

#define XATTR "user.hvkit.resume"
#define MAGIC "hvkit-resume-1\0\0" /* 16 bytes */
#define CKPT_STEP (16u << 20)

/* Record layout: magic 16, guid 16, size 8, mtime sec 8, nsec 8, prefix 8, digest 32. */
enum { R_MAGIC = 0, R_GUID = 16, R_SIZE = 32, R_SEC = 40, R_NSEC = 48, R_PREFIX = 56, R_DIGEST = 64,
       R_LEN = 96 };

int ps_source_id_of(int src_fd, const struct hv_guid *guid, struct ps_source_id *id)
{
    struct stat st;
    if (fstat(src_fd, &st) != 0)
        return -1;
    memset(id, 0, sizeof *id);
    id->guid = *guid;
    id->size = (uint64_t)st.st_size;
    id->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    id->mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
    return 0;
}

static void encode(const struct ps_ckpt *c, const uint8_t digest[HV_DIGEST_LEN], uint8_t r[R_LEN])
{
    memcpy(r + R_MAGIC, MAGIC, 16);
    memcpy(r + R_GUID, &c->id.guid, 16);
    put_le64(r + R_SIZE, c->id.size);
    put_le64(r + R_SEC, (uint64_t)c->id.mtime_sec);
    put_le64(r + R_NSEC, (uint64_t)c->id.mtime_nsec);
    put_le64(r + R_PREFIX, c->prefix);
    memcpy(r + R_DIGEST, digest, HV_DIGEST_LEN);
}

/* ---- the partial file as a digest source: holes are known zeros */
static int part_read(void *ctx, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    int fd = *(int *)ctx;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hv_fail_errno(e, errno, "read", "partial copy at offset %llu", (unsigned long long)off);
        if (n == 0) {
            memset(p, 0, len);
            return 0;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int part_zero(void *ctx, uint64_t off, uint64_t len)
{
    off_t d = lseek(*(int *)ctx, (off_t)off, SEEK_DATA);
    return (d < 0 && errno == ENXIO) || (d >= 0 && (uint64_t)d >= off + len);
}

/* Digests pieces [from, to) of the partial into the tree. */
static int hash_pieces(struct ps_ckpt *c, uint64_t from, uint64_t to, struct hv_err *e)
{
    struct hv_digest_source src = { part_read, part_zero, NULL, &c->fd };
    return to > from ? hv_tree_hash(c->tree, &src, from, to - from, NULL, e) : 0;
}

/* The prefix the partial proves, 0 if none (a mismatch is not an error). */
static uint64_t check_recorded(struct ps_ckpt *c, struct hv_err *e)
{
    uint8_t r[R_LEN], want[R_LEN], root[HV_DIGEST_LEN];
    struct stat st;
    if (fgetxattr(c->fd, XATTR, r, sizeof r) != R_LEN || fstat(c->fd, &st) != 0)
        return 0;
    /* a plain file of ours, not a link to someone else's file */
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() ||
        (uint64_t)st.st_size != c->id.size)
        return 0;
    c->prefix = le64(r + R_PREFIX);
    if (c->prefix == 0 || c->prefix % HV_DIGEST_PIECE || c->prefix > c->id.size)
        return 0;
    encode(c, r + R_DIGEST, want); /* same identity and prefix: every byte but the digest equal */
    if (memcmp(r, want, R_DIGEST) != 0)
        return 0;
    if (hash_pieces(c, 0, c->prefix / HV_DIGEST_PIECE, e) != 0)
        return 0;
    hv_tree_root(c->tree, root);
    if (memcmp(root, r + R_DIGEST, HV_DIGEST_LEN) != 0)
        return 0;
    return c->prefix;
}

int ps_ckpt_begin(struct ps_ckpt *c, int fd, const struct ps_source_id *id, int resume, uint64_t *from,
                  struct hv_err *e)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->id = *id;
    c->min_step = CKPT_STEP;
    *from = 0;
    if (hv_tree_new(id->size, &c->tree, e) != 0)
        return -1;
    if (resume) {
        struct hv_err ignore;
        hv_err_clear(&ignore);
        *from = check_recorded(c, &ignore);
        if (*from == 0) { /* start over with a clean tree */
            hv_tree_free(c->tree);
            c->tree = NULL;
            if (hv_tree_new(id->size, &c->tree, e) != 0)
                return -1;
        }
    }
    c->prefix = *from;
    /* nothing recorded yet for a fresh copy: a crash now restarts it */
    if (!*from && fremovexattr(fd, XATTR) != 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
        c->off = 1;
    return 0;
}

int ps_ckpt_mark(struct ps_ckpt *c, uint64_t upto, struct hv_err *e)
{
    uint64_t p = upto / HV_DIGEST_PIECE * HV_DIGEST_PIECE;
    if (c->off || p < c->prefix + c->min_step)
        return 0;
    if (fdatasync(c->fd) != 0)
        return hv_fail_errno(e, errno, "flush", "partial copy");
    if (hash_pieces(c, c->prefix / HV_DIGEST_PIECE, p / HV_DIGEST_PIECE, e) != 0)
        return -1;
    uint8_t root[HV_DIGEST_LEN], r[R_LEN];
    hv_tree_root(c->tree, root);
    uint64_t was = c->prefix;
    c->prefix = p;
    encode(c, root, r);
    if (fsetxattr(c->fd, XATTR, r, sizeof r, 0) != 0) {
        c->prefix = was;
        if (errno == ENOTSUP || errno == EOPNOTSUPP)
            c->off = 1; /* this file system keeps no attributes: copies restart */
        else
            return hv_fail_errno(e, errno, "write", "resume record of the partial copy");
    }
    return 0;
}

void ps_ckpt_end(struct ps_ckpt *c)
{
    hv_tree_free(c->tree);
    c->tree = NULL;
}
