/* diskops_int.h: what resize.c and compact.c share on top of write_int.h:
 * a batch of 4 KiB sectors committed through the log as one transaction,
 * and the in-memory BAT of an open handle. Not installed. */
#ifndef HVK_DISKOPS_INT_H
#define HVK_DISKOPS_INT_H

#include "vhdx_ops.h"
#include "write_int.h"

#define TXN_MAX 64 /* sectors per transaction: far below half of a 1 MiB log */

struct txn {
    struct lw_page p[TXN_MAX];
    size_t n;
};

/* Adds the 4 KiB sector of `buf` (bytes of file offset `base`) holding byte
 * `at`, once. The caller commits before the batch is full (txn_full). */
void vhdx_txn_add(struct txn *t, const uint8_t *buf, uint64_t base, uint64_t at);
static inline int vhdx_txn_full(const struct txn *t, size_t room)
{
    return t->n + room > TXN_MAX;
}
/* Logs and applies the batch (entry, flush, apply, flush); empties it. A
 * failure marks the handle broken (memory and disk may differ). */
int vhdx_txn_commit(struct vhdx_rw *w, struct txn *t, struct hv_err *e);

static inline uint64_t dops_bat_get(const struct vhdx_rw *w, uint64_t idx)
{
    return le64(w->bat + idx * 8);
}
/* Sets BAT entry idx in memory and adds its sector to t. */
void vhdx_dops_bat_set(struct vhdx_rw *w, struct txn *t, uint64_t idx, uint64_t v);

/* Sets the virtual size item in the in-memory metadata region and adds its
 * sector to t. */
void vhdx_dops_set_size_item(struct vhdx_rw *w, struct txn *t, uint64_t size);

/* End of the last byte any structure of the image uses (header area, log,
 * metadata, BAT, present payload and bitmap blocks). */
uint64_t vhdx_dops_used_end(const struct vhdx_rw *w);

/* Cuts the file to `size` bytes with the log closed around the cut. */
int vhdx_dops_truncate(struct vhdx_rw *w, uint64_t size, struct hv_err *e);

/* Are `len` bytes of the file at `off` all zero? 1 yes, 0 no, -1 error. */
int vhdx_dops_file_zero(struct vhdx_rw *w, uint64_t off, uint64_t len, struct hv_err *e);

#endif
