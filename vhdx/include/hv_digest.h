/* hv_digest.h: the tree digest of a virtual disk, whole or incremental.
 *
 * Tree digest = SHA-256 over the concatenation of the SHA-256 digests of each
 * successive 1 MiB piece of the virtual disk (the last piece may be shorter).
 * Shell equivalent, for any raw image:
 *     split -b 1M disk.raw p. && for f in p.*; do sha256sum <"$f" | xxd -r -p; done | sha256sum
 *
 * Keeping the per-piece digests (32 bytes per MiB: 512 KiB for 16 GiB) makes
 * the digest incremental: after a log touched a few pieces only those are
 * rehashed, and the root is one more SHA-256 over the digest array.
 *
 * The bytes come from a caller-supplied reader, so this file knows no image
 * format: the tools pass vhdx_read over a chain, libhrl passes an overlay.
 */
#ifndef HV_DIGEST_H
#define HV_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_zero.h" /* hv_is_zero, used before hashing */

#define HV_DIGEST_PIECE ((uint64_t)1 << 20)
#define HV_DIGEST_LEN 32
#define HV_DIGEST_HEX_LEN 64

/* Where the disk bytes come from. `read` must fill buf with len bytes of the
 * virtual disk at off (returns 0, or -1 with e). `known_zero` is optional: it
 * returns 1 when [off, off+len) is known to read as zeros without reading it
 * (e.g. unallocated blocks in the allocation map), else 0. `progress` is
 * optional and sees the number of bytes covered so far. */
struct hv_digest_source {
    int (*read)(void *ctx, void *buf, size_t len, uint64_t off, struct hv_err *e);
    int (*known_zero)(void *ctx, uint64_t off, uint64_t len);
    void (*progress)(void *ctx, uint64_t done);
    void *ctx;
};

typedef struct hv_tree hv_tree; /* per-piece digests of one disk size */

/*! hv_tree_new() :
 *  An empty tree for a disk of `size` bytes; every piece starts as "zeros".
 *  @return 0 and *out, or -1 (NOMEM). */
HVK_API int hv_tree_new(uint64_t size, hv_tree **out, struct hv_err *e);
HVK_API void hv_tree_free(hv_tree *t); /* accepts NULL */
/*! hv_tree_copy() : an independent copy (same size and digests). */
HVK_API int hv_tree_copy(const hv_tree *t, hv_tree **out, struct hv_err *e);
HVK_API uint64_t hv_tree_size(const hv_tree *t);
HVK_API uint64_t hv_tree_pieces(const hv_tree *t);
/* Bytes in piece i (HV_DIGEST_PIECE except maybe the last). */
HVK_API size_t hv_tree_piece_len(const hv_tree *t, uint64_t i);

/*! hv_tree_set_piece() :
 *  Sets piece i's digest from `data` (hv_tree_piece_len bytes). All-zero data
 *  takes the precomputed zero digest instead of hashing. */
HVK_API void hv_tree_set_piece(hv_tree *t, uint64_t i, const void *data);
HVK_API void hv_tree_set_piece_zero(hv_tree *t, uint64_t i);

/*! hv_tree_hash() :
 *  Hashes pieces [first, first + count) from src. With `whole` non-NULL (only
 *  allowed for first == 0 and all pieces), also writes the plain SHA-256 of
 *  the whole disk there (zero pieces are then fed to it, not skipped).
 *  @return 0, or -1 with e from the reader. */
HVK_API int hv_tree_hash(hv_tree *t, const struct hv_digest_source *src, uint64_t first,
                         uint64_t count, uint8_t whole[HV_DIGEST_LEN], struct hv_err *e);

/*! hv_tree_digest() :
 *  The tree digest of a `size`-byte disk in one streaming pass, without
 *  keeping per-piece digests: memory is a few MiB whatever the size, and runs
 *  the source knows to be zero cost one precomputed digest per piece (fed in
 *  batches), never a read. `whole` (may be NULL) receives the plain SHA-256.
 *  Same result as hv_tree_new + hv_tree_hash + hv_tree_root.
 *  @return 0, or -1 with e from the reader (or NOMEM). */
HVK_API int hv_tree_digest(uint64_t size, const struct hv_digest_source *src,
                           uint8_t root[HV_DIGEST_LEN], uint8_t whole[HV_DIGEST_LEN],
                           struct hv_err *e);

/* The tree digest: SHA-256 over the concatenated piece digests. */
HVK_API void hv_tree_root(const hv_tree *t, uint8_t out[HV_DIGEST_LEN]);
/* Piece i's digest (HV_DIGEST_LEN bytes, owned by the tree). */
HVK_API const uint8_t *hv_tree_piece_digest(const hv_tree *t, uint64_t i);

/* Lowercase hex of a digest; buf >= 65 bytes. */
HVK_API char *hv_digest_hex(const uint8_t d[HV_DIGEST_LEN], char *buf);
/* Parses 64 hex digits. Returns 0, or -1. */
HVK_API int hv_digest_parse(const char *s, uint8_t out[HV_DIGEST_LEN]);
/* One-shot SHA-256 of a buffer. */
HVK_API void hv_sha256(const void *p, size_t n, uint8_t out[HV_DIGEST_LEN]);

/* ---- a VHDX image (whole chain) as a digest source ---- */
struct vhdx;
struct hv_zero_run {
    uint64_t off, len;
};
/* read = vhdx_read; known_zero answers from the chain's allocation map (runs
 * served as zeros), so unallocated MiBs of a sparse base are never read. Set
 * `on_progress` before hashing to see bytes covered. */
struct hv_vhdx_source {
    struct hv_digest_source src;
    struct vhdx *img;
    struct hv_zero_run *zero; /* sorted, merged */
    size_t nzero;
    void (*on_progress)(void *ctx, uint64_t done);
    void *progress_ctx;
};
/*! hv_vhdx_source_init() : builds the zero map of `img`.
 *  @return 0, or -1 with e (from vhdx_map, or NOMEM). */
HVK_API int hv_vhdx_source_init(struct hv_vhdx_source *s, struct vhdx *img, struct hv_err *e);
HVK_API void hv_vhdx_source_fini(struct hv_vhdx_source *s); /* accepts a zeroed struct */
/* Non-zero when [off, off+len) lies inside the zero runs. */
HVK_API int hv_zero_runs_cover(const struct hv_zero_run *z, size_t n, uint64_t off, uint64_t len);

#endif
