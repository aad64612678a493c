/* hrl_memio.h: an in-memory hv_io for the libhrl tests: the writer writes
 * into a growable buffer that the reader then opens with hrl_open_mem. */
#ifndef HRL_MEMIO_H
#define HRL_MEMIO_H

#include <stdlib.h>
#include <string.h>

#include "hv_io.h"

struct memfile {
    uint8_t *p;
    size_t len, cap;
    int closed;
    int fail_after; /* > 0: that many writes succeed, then every write fails */
};

static int mem_pread(struct hv_io *io, void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    struct memfile *m = io->ctx;
    (void)e;
    memset(buf, 0, len);
    if (off < m->len)
        memcpy(buf, m->p + off, m->len - off < len ? m->len - off : len);
    return 0;
}

static int mem_pwrite(struct hv_io *io, const void *buf, size_t len, uint64_t off, struct hv_err *e)
{
    struct memfile *m = io->ctx;
    if (m->fail_after > 0 && --m->fail_after == 0) {
        m->fail_after = 1; /* stays failed */
        return hv_failx(e, HV_IO, "write", "injected failure at offset %llu",
                        (unsigned long long)off);
    }
    if (off + len > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < off + len)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (!p)
            return hv_failx(e, HV_NOMEM, "write", "out of memory");
        memset(p + m->cap, 0, cap - m->cap);
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + off, buf, len);
    if (off + len > m->len)
        m->len = off + len;
    return 0;
}

static int mem_flush(struct hv_io *io, struct hv_err *e)
{
    (void)io;
    (void)e;
    return 0;
}

static int mem_truncate(struct hv_io *io, uint64_t size, struct hv_err *e)
{
    struct memfile *m = io->ctx;
    (void)e;
    if (size < m->len)
        m->len = size;
    return 0;
}

static int mem_size(struct hv_io *io, uint64_t *size, struct hv_err *e)
{
    (void)e;
    *size = ((struct memfile *)io->ctx)->len;
    return 0;
}

static void mem_close(struct hv_io *io)
{
    ((struct memfile *)io->ctx)->closed = 1;
    free(io);
}

static const struct hv_io_ops mem_ops = { mem_pread, mem_pwrite, mem_flush, mem_truncate,
                                          mem_size, mem_close };

/* An hv_io writing into *m (which the caller owns and frees). */
static inline struct hv_io *memio(struct memfile *m)
{
    struct hv_io *io = calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->ops = &mem_ops;
    io->ctx = m;
    return io;
}

/* Problems collected by the tests. */
struct plog {
    size_t n;
    struct hrl_problem p[64];
};

static inline void plog_cb(void *ctx, const struct hrl_problem *p)
{
    struct plog *l = ctx;
    if (l->n < 64)
        l->p[l->n] = *p;
    l->n++;
}

static inline int plog_has(const struct plog *l, enum hrl_kind k, uint64_t off)
{
    for (size_t i = 0; i < l->n && i < 64; i++)
        if (l->p[i].kind == k && l->p[i].offset == off)
            return 1;
    return 0;
}

#endif
