/* prestage_resume.h: what an interrupted copy has already proved.
 *
 * While a parent is copied, the partial file ".NAME.hvkit-partial" carries an
 * extended attribute "user.hvkit.resume": the source's identity
 * (DataWriteGuid, size, modification time) and a verified prefix: its length
 * P (a multiple of 1 MiB) and the tree digest (hv_digest.h) of the partial
 * file with every piece at or after P counted as zeros. It is written only
 * after fdatasync of the partial, so P bytes are on disk when it says so.
 *
 * The next run resumes at P when the source has the same identity, the
 * partial is a plain file of ours (one link, our owner, the source's size),
 * and the digest of its first P bytes, recomputed, is the recorded one;
 * otherwise the partial is removed and the copy restarts. Everything at or
 * after P is cut away before resuming, and the finished copy is verified as
 * a fresh one is. Without extended attributes (ENOTSUP) copies restart.
 */
#ifndef HVK_PRESTAGE_RESUME_H
#define HVK_PRESTAGE_RESUME_H

#include <stdint.h>

#include "hv_digest.h"
#include "hv_err.h"
#include "hv_guid.h"

struct ps_source_id {
    struct hv_guid guid;
    uint64_t size;
    int64_t mtime_sec, mtime_nsec;
};

/* Checkpoints of one copy in progress. */
struct ps_ckpt {
    int fd;                 /* the partial file */
    struct ps_source_id id;
    hv_tree *tree;          /* piece digests of the partial so far */
    uint64_t prefix;        /* verified (and recorded) prefix */
    uint64_t min_step;      /* bytes between checkpoints */
    int off;                /* no extended attributes here: never recorded */
};

/* Fills *id from the source descriptor and its DataWriteGuid. @return 0 or -1. */
int ps_source_id_of(int src_fd, const struct hv_guid *guid, struct ps_source_id *id);

/* Starts checkpoints for partial `fd`. If `resume`, the recorded state is
 * checked against `id` and the file; *from is the prefix that may be kept (0
 * when nothing can). @return 0, or -1 with e (NOMEM, I/O). */
int ps_ckpt_begin(struct ps_ckpt *c, int fd, const struct ps_source_id *id, int resume, uint64_t *from,
                  struct hv_err *e);

/* Everything before `upto` is copied: when enough has been copied since the
 * last checkpoint, flush, digest the new pieces and record the new prefix.
 * @return 0, or -1 with e (the copy fails: a flush failed). */
int ps_ckpt_mark(struct ps_ckpt *c, uint64_t upto, struct hv_err *e);

void ps_ckpt_end(struct ps_ckpt *c);

#endif
