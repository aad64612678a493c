/* crash_io.c: the power-loss recorder behind crash_io.h. */
#include "crash_io.h"

#include <stdlib.h>
#include <string.h>

struct pending {
    int is_resize;
    uint64_t off;   /* write offset, or new size for a resize */
    size_t len;
    uint8_t *data;
};

struct buf {
    uint8_t *p;
    size_t len, cap;
};

struct crash_ctx {
    struct buf cur, durable;
    struct pending *ops;
    size_t nops, capops;
    unsigned crash_at, flushes;
    int crashed;
    uint64_t rng;
};

static uint64_t rnd(struct crash_ctx *c)
{
    /* xorshift64*: tiny, deterministic, good enough to pick fates */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 0x2545F4914F6CDD1DULL;
}

static int buf_resize(struct buf *b, size_t len)
{
    if (len > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 20;
        while (cap < len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    if (len > b->len)
        memset(b->p + b->len, 0, len - b->len);
    b->len = len;
    return 0;
}

static int buf_write(struct buf *b, const void *src, size_t len, uint64_t off)
{
    if (off + len > b->len && buf_resize(b, (size_t)(off + len)) != 0)
        return -1;
    memcpy(b->p + off, src, len);
    return 0;
}

static struct crash_ctx *ctx_of(struct hv_io *io)
{
    return io->ctx;
}

static int dead(struct hv_err *e)
{
    return hv_failx(e, HV_IO, "write", "simulated power loss");
}

static int c_pread(struct hv_io *io, void *out, size_t len, uint64_t off, struct hv_err *e)
{
    struct crash_ctx *c = ctx_of(io);
    if (c->crashed)
        return dead(e);
    memset(out, 0, len);
    if (off < c->cur.len) {
        size_t n = c->cur.len - off < len ? (size_t)(c->cur.len - off) : len;
        memcpy(out, c->cur.p + off, n);
    }
    return 0;
}

static int push(struct crash_ctx *c, struct pending op)
{
    if (c->nops == c->capops) {
        size_t cap = c->capops ? c->capops * 2 : 64;
        struct pending *p = realloc(c->ops, cap * sizeof *p);
        if (!p)
            return -1;
        c->ops = p;
        c->capops = cap;
    }
    c->ops[c->nops++] = op;
    return 0;
}

static int c_pwrite(struct hv_io *io, const void *src, size_t len, uint64_t off, struct hv_err *e)
{
    struct crash_ctx *c = ctx_of(io);
    if (c->crashed)
        return dead(e);
    struct pending op = { 0, off, len, malloc(len ? len : 1) };
    if (!op.data || buf_write(&c->cur, src, len, off) != 0 || push(c, op) != 0) {
        free(op.data);
        return hv_failx(e, HV_NOMEM, "write", "recorder out of memory");
    }
    memcpy(op.data, src, len);
    return 0;
}

static int c_truncate(struct hv_io *io, uint64_t size, struct hv_err *e)
{
    struct crash_ctx *c = ctx_of(io);
    if (c->crashed)
        return dead(e);
    struct pending op = { 1, size, 0, NULL };
    if (buf_resize(&c->cur, (size_t)size) != 0 || push(c, op) != 0)
        return hv_failx(e, HV_NOMEM, "resize", "recorder out of memory");
    return 0;
}

static int c_size(struct hv_io *io, uint64_t *size, struct hv_err *e)
{
    struct crash_ctx *c = ctx_of(io);
    if (c->crashed)
        return dead(e);
    *size = c->cur.len;
    return 0;
}

/* A torn write: each sector (512 B or 4 KiB, chosen per write) lands or not. */
static int apply_torn(struct crash_ctx *c, const struct pending *op)
{
    size_t sec = (rnd(c) & 1) ? 512 : 4096;
    for (size_t at = 0; at < op->len; at += sec) {
        size_t n = op->len - at < sec ? op->len - at : sec;
        if ((rnd(c) & 1) && buf_write(&c->durable, op->data + at, n, op->off + at) != 0)
            return -1;
    }
    return 0;
}

static int settle(struct crash_ctx *c, int crashing)
{
    for (size_t i = 0; i < c->nops; i++) {
        struct pending *op = &c->ops[i];
        unsigned fate = crashing ? (unsigned)(rnd(c) % 3) : 0; /* 0 apply, 1 drop, 2 tear */
        int rc = 0;
        if (op->is_resize)
            rc = fate == 1 ? 0 : buf_resize(&c->durable, (size_t)op->off);
        else if (fate == 0)
            rc = buf_write(&c->durable, op->data, op->len, op->off);
        else if (fate == 2)
            rc = apply_torn(c, op);
        if (rc != 0)
            return -1;
        free(op->data);
    }
    c->nops = 0;
    return 0;
}

static int c_flush(struct hv_io *io, struct hv_err *e)
{
    struct crash_ctx *c = ctx_of(io);
    if (c->crashed)
        return dead(e);
    c->flushes++;
    int crashing = c->crash_at && c->flushes == c->crash_at;
    if (settle(c, crashing) != 0)
        return hv_failx(e, HV_NOMEM, "flush", "recorder out of memory");
    if (crashing) {
        c->crashed = 1;
        return dead(e);
    }
    return 0;
}

static void c_close(struct hv_io *io)
{
    struct crash_ctx *c = ctx_of(io);
    for (size_t i = 0; i < c->nops; i++)
        free(c->ops[i].data);
    free(c->ops);
    free(c->cur.p);
    free(c->durable.p);
    free(c);
    free(io);
}

static const struct hv_io_ops crash_ops = {
    c_pread, c_pwrite, c_flush, c_truncate, c_size, c_close,
};

struct hv_io *crash_io_new(const uint8_t *init, size_t len, unsigned crash_at, uint64_t seed)
{
    struct hv_io *io = calloc(1, sizeof *io);
    struct crash_ctx *c = calloc(1, sizeof *c);
    if (!io || !c || buf_write(&c->cur, init, len, 0) != 0 ||
        buf_write(&c->durable, init, len, 0) != 0) {
        if (c) {
            free(c->cur.p);
            free(c->durable.p);
        }
        free(c);
        free(io);
        return NULL;
    }
    c->crash_at = crash_at;
    c->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    io->ops = &crash_ops;
    io->ctx = c;
    strcpy(io->path, "(crash recorder)");
    return io;
}

const uint8_t *crash_io_durable(struct hv_io *io, size_t *len)
{
    struct crash_ctx *c = ctx_of(io);
    /* Unflushed writes of a run that finished are not durable: a writer that
     * forgets its last flush shows up as a lost update. */
    *len = c->durable.len;
    return c->durable.p;
}

void crash_io_get_stats(struct hv_io *io, struct crash_io_stats *st)
{
    struct crash_ctx *c = ctx_of(io);
    st->flushes = c->flushes;
    st->crashed = c->crashed;
}
