/* digest_points.c: the tree digest of every recovery point, incrementally. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrl_restore.h"
#include "hv_array.h"
#include "hv_pool.h"

/* Which writes touch which 1 MiB piece: (piece, write) pairs sorted by piece
 * then write index, so a piece's writers up to any point are a prefix. */
struct touch {
    uint64_t piece;
    uint64_t write;
};

static int touch_cmp(const void *a, const void *b)
{
    const struct touch *x = a, *y = b;
    if (x->piece != y->piece)
        return x->piece < y->piece ? -1 : 1;
    return x->write < y->write ? -1 : x->write > y->write;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* First index in t[lo, hi) whose (piece, write) is >= (piece, write). */
static size_t lower(const struct touch *t, size_t lo, size_t hi, uint64_t piece, uint64_t write)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].piece < piece || (t[mid].piece == piece && t[mid].write < write))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sector unit of the coverage map. Entries are aligned to the logical sector
 * size (>= 512), so 512 is exact for every disk. */
#define UNIT 512u
#define UNITS (HV_DIGEST_PIECE / UNIT)

struct rebuild {
    const struct hv_digest_source *base;
    const struct hrl_write *w;
    uint8_t *buf, *basebuf;
    uint8_t cov[UNITS / 8];
};

/* Piece p at the point whose writes end at `wend`: newest writes first, each
 * copying only sectors no newer write covered; the base fills the rest. */
static int rebuild_piece(struct rebuild *r, const struct touch *t, size_t a, size_t c, uint64_t p,
                         size_t plen, struct hv_err *e)
{
    uint64_t pstart = p * HV_DIGEST_PIECE, pend = pstart + plen;
    size_t nunits = (plen + UNIT - 1) / UNIT, covered = 0;
    memset(r->cov, 0, sizeof r->cov);
    for (size_t k = c; k-- > a && covered < nunits;) {
        const struct hrl_write *w = &r->w[t[k].write];
        uint64_t s = w->off > pstart ? w->off : pstart;
        uint64_t end = w->off + w->len < pend ? w->off + w->len : pend;
        for (uint64_t u = (s - pstart) / UNIT; u * UNIT < end - pstart;) {
            if (r->cov[u / 8] & (1u << (u % 8))) {
                u++;
                continue;
            }
            uint64_t u0 = u;
            while (u * UNIT < end - pstart && !(r->cov[u / 8] & (1u << (u % 8)))) {
                r->cov[u / 8] |= (uint8_t)(1u << (u % 8));
                u++;
                covered++;
            }
            uint64_t from = u0 * UNIT, to = u * UNIT < plen ? u * UNIT : plen;
            memcpy(r->buf + from, w->data + (pstart + from - w->off), (size_t)(to - from));
        }
    }
    if (covered == nunits)
        return 0;
    /* Some sectors still show the base. */
    const struct hv_digest_source *b = r->base;
    if (b->known_zero && b->known_zero(b->ctx, pstart, plen))
        memset(r->basebuf, 0, plen);
    else if (b->read(b->ctx, r->basebuf, plen, pstart, e) != 0)
        return -1;
    for (size_t u = 0; u < nunits; u++)
        if (!(r->cov[u / 8] & (1u << (u % 8)))) {
            size_t to = (u + 1) * UNIT < plen ? (u + 1) * UNIT : plen;
            memcpy(r->buf + u * UNIT, r->basebuf + u * UNIT, to - u * UNIT);
        }
    return 0;
}

/* Rebuilt pieces are hashed in parallel: rebuilding (base reads through one
 * vhdx handle, which is single-threaded) stays on the calling thread, and is
 * ~10x cheaper than SHA-256 of the piece. BATCH pieces per round. */
#define BATCH 32

struct hash_batch {
    hv_tree *tree;
    const uint64_t *piece;
    const uint8_t *bufs;
};

static void hash_one(void *ctx, size_t i)
{
    const struct hash_batch *h = ctx;
    hv_tree_set_piece(h->tree, h->piece[i], h->bufs + i * HV_DIGEST_PIECE); /* distinct slots */
}

static void hash_batch(hv_tree *tree, const uint64_t *piece, const uint8_t *bufs, size_t n, unsigned threads)
{
    struct hash_batch h = { tree, piece, bufs };
    hv_parallel_for(n, threads, hash_one, &h);
}

int hrl_point_digests(const struct hv_digest_source *base, uint64_t size, const hrl_set *set,
                      size_t npoints, int (*cb)(void *, size_t, const uint8_t *), void *ctx,
                      const struct hrl_progress *pr, struct hv_err *e)
{
    if (npoints > hrl_set_count(set))
        return hv_failx(e, HV_USAGE, "digest", "point %zu does not exist", npoints);
    size_t nall;
    const struct hrl_write *w = hrl_set_writes(set, &nall);
    size_t nw = hrl_set_point_writes(set, npoints);
    hv_tree *tree = NULL;
    struct touch *t = NULL;
    uint64_t *dirty = NULL;
    struct rebuild r = { base, w, NULL, malloc(HV_DIGEST_PIECE), { 0 } };
    uint8_t *bufs = malloc(BATCH * HV_DIGEST_PIECE);
    uint64_t batch_piece[BATCH];
    unsigned threads = hv_cpu_count(8);
    int rc = -1;
    if (!bufs || !r.basebuf) {
        hv_failx(e, HV_NOMEM, "digest", "no memory");
        goto out;
    }
    if (hv_tree_new(size, &tree, e) != 0)
        goto out;

    /* Index the writes by piece. */
    size_t nt = 0, cap = nw + 16;
    t = malloc(cap * sizeof *t);
    if (!t) {
        hv_failx(e, HV_NOMEM, "digest", "no memory for the piece index");
        goto out;
    }
    for (size_t i = 0; i < nw; i++) {
        if (!w[i].len)
            continue;
        for (uint64_t p = w[i].off / HV_DIGEST_PIECE; p <= (w[i].off + w[i].len - 1) / HV_DIGEST_PIECE; p++) {
            struct touch *n = hv_grow(t, &cap, nt + 1, sizeof *t);
            if (!n) {
                hv_failx(e, HV_NOMEM, "digest", "no memory for the piece index");
                goto out;
            }
            t = n;
            t[nt++] = (struct touch){ p, i };
        }
    }
    qsort(t, nt, sizeof *t, touch_cmp);
    dirty = malloc((nt + 1) * sizeof *dirty);
    if (!dirty) {
        hv_failx(e, HV_NOMEM, "digest", "no memory");
        goto out;
    }

    /* Point 0: the base, hashed once (known-zero pieces skipped). */
    if (hv_tree_hash(tree, base, 0, hv_tree_pieces(tree), NULL, e) != 0)
        goto out;
    uint8_t root[HV_DIGEST_LEN];
    hv_tree_root(tree, root);
    if ((rc = cb(ctx, 0, root)) != 0)
        goto out;
    rc = -1;

    uint64_t total = 0, done = 0;
    for (size_t k = 1; k <= npoints; k++) {
        size_t wlo = hrl_set_point_writes(set, k - 1), whi = hrl_set_point_writes(set, k);
        size_t nd = 0;
        for (size_t i = wlo; i < whi; i++)
            if (w[i].len)
                for (uint64_t p = w[i].off / HV_DIGEST_PIECE; p <= (w[i].off + w[i].len - 1) / HV_DIGEST_PIECE; p++)
                    dirty[nd++] = p;
        qsort(dirty, nd, sizeof *dirty, u64_cmp);
        size_t u = 0;
        for (size_t i = 0; i < nd; i++)
            if (!u || dirty[u - 1] != dirty[i])
                dirty[u++] = dirty[i];
        total += u;
        for (size_t i = 0; i < u; i += BATCH) {
            size_t nb = u - i < BATCH ? u - i : BATCH;
            for (size_t j = 0; j < nb; j++) {
                uint64_t p = dirty[i + j];
                size_t a = lower(t, 0, nt, p, 0), c = lower(t, a, nt, p, whi);
                r.buf = bufs + j * HV_DIGEST_PIECE;
                if (rebuild_piece(&r, t, a, c, p, hv_tree_piece_len(tree, p), e) != 0)
                    goto out;
                batch_piece[j] = p;
            }
            hash_batch(tree, batch_piece, bufs, nb, threads);
            done += nb;
            if (pr && pr->fn)
                pr->fn(pr->ctx, done, total);
        }
        hv_tree_root(tree, root);
        if ((rc = cb(ctx, k, root)) != 0)
            goto out;
        rc = -1;
    }
    rc = 0;
out:
    hv_tree_free(tree);
    free(t);
    free(dirty);
    free(bufs);
    free(r.basebuf);
    return rc;
}
