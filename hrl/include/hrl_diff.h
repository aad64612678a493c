/* hrl_diff.h: the difference of two disk images as log writes (`hrl make
 * --from OLD --to NEW`). An image is a raw file or a VHDX (chain), told apart
 * by content; VHDX images are reached only through libvhdx (vhdx.h).
 */
#ifndef HRL_DIFF_H
#define HRL_DIFF_H

#include <stdint.h>

#include "hrl.h"
#include "vhdx.h"

typedef struct hrl_image hrl_image;

/*! hrl_image_open() :
 *  Opens `path` as a VHDX (chain, resolved with `opts`, which may be NULL)
 *  when its first bytes carry the VHDX file identifier, else maps it as a raw
 *  image. @return 0 and *out, or -1 with `err`. */
HVK_API int hrl_image_open(const char *path, const struct vhdx_open_opts *opts, hrl_image **out,
                           struct hv_err *err);

/*! hrl_image_close() : accepts NULL. */
HVK_API void hrl_image_close(hrl_image *img);

/*! hrl_image_size() : @return the virtual size (VHDX) or file size (raw). */
HVK_API uint64_t hrl_image_size(const hrl_image *img);

/*! hrl_image_vhdx() : @return the VHDX handle, or NULL for a raw image. */
HVK_API const vhdx *hrl_image_vhdx(const hrl_image *img);

struct hrl_diff_stats {
    uint64_t writes, bytes;
};

/*! hrl_diff_check() :
 *  Whether `to` can be logged over `from`: equal sizes when either is a VHDX
 *  (a log cannot resize a VHDX). hrl_diff() checks it too; callers call it
 *  first to refuse before creating the log.
 *  @return 0, or -1 with `err` (HV_MISMATCH naming both files and sizes). */
HVK_API int hrl_diff_check(const hrl_image *from, const hrl_image *to, struct hv_err *err);

/*! hrl_diff() :
 *  Adds to `w` one write per run of 512-byte sectors where `to` differs from
 *  `from`, each at most `max_write` bytes (>= 512), stamped `time` (seconds
 *  since 2000). Two raw images may differ in size: `to` beyond `from`'s end
 *  is compared against zeros, and `from` beyond `to`'s end is ignored; else
 *  see hrl_diff_check(). `stats` (may be NULL) is added to. Ranges
 *  both VHDX images serve as zeros (unallocated) are skipped unread.
 *  @return 0, or -1 with `err`. */
HVK_API int hrl_diff(hrl_image *from, hrl_image *to, hrl_writer *w, uint64_t max_write,
                     uint32_t time, struct hrl_diff_stats *stats, struct hv_err *err);

#endif
