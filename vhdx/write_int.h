/* write_int.h: internals shared by the write side of libvhdx (builder,
 * create, in-place writer, relink, merge). Not installed. On-disk layouts come
 * from layout.h (the reader's parsers and encoders); this header only adds
 * what writers assemble from them. */
#ifndef HVK_WRITE_INT_H
#define HVK_WRITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_io.h"
#include "layout.h"
#include "vhdx_write.h"

/* Where new files put their regions (openvmm/qemu shape, spec notes §2):
 * log at 1 MiB (1 MiB long), metadata at 2 MiB (1 MiB), BAT at 3 MiB. */
#define NEW_LOG_OFFSET (1 * MiB)
#define NEW_LOG_LENGTH (1 * MiB)
#define NEW_META_OFFSET (2 * MiB)
#define NEW_META_LENGTH (1 * MiB)
#define NEW_BAT_OFFSET (3 * MiB)

static inline uint64_t round_up(uint64_t v, uint64_t unit)
{
    return (v + unit - 1) / unit * unit;
}

/* One metadata item to lay out: its table entry and its bytes. */
struct meta_item {
    struct hv_guid id;
    uint32_t flags;
    const uint8_t *data;
    uint32_t len;
};

/* Lays out a whole metadata region (table + items packed from 64 KiB) into
 * region[0..region_len), zero-filling the rest. Returns 0 or -1 (too big). */
int metabuild(const struct meta_item *items, size_t n, uint8_t *region, size_t region_len,
              struct hv_err *e);

/* Encodes the VHDX parent locator of `pi` into buf (cap bytes); *len = size. */
int locator_build(const struct vhdx_parent_info *pi, uint8_t *buf, size_t cap, size_t *len,
                  struct hv_err *e);

/* Relative path from the directory of `from_file` to `to_file`, with `\`
 * separators (both made absolute first). Returns 0 or -1. */
int win_relative_path(const char *from_file, const char *to_file, char *out, size_t cap,
                      struct hv_err *e);

/* Temporary sibling name of `path`, and the no-replace publish step:
 * link(tmp, path) (fails with HV_EXISTS if path appeared), unlink(tmp),
 * flush the directory. */
int tmp_sibling(const char *path, char *tmp, size_t cap, struct hv_err *e);
int publish_tmp(const char *tmp, const char *path, struct hv_err *e);

#endif
