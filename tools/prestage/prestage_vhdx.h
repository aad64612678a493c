/* prestage_vhdx.h: ps_disk_ops / ps_exec_ops backed by libvhdx (read engine
 * for chains, identity and verification; the write engine's vhdx_relink
 * for --relink). */
#ifndef HVK_PRESTAGE_VHDX_H
#define HVK_PRESTAGE_VHDX_H

#include "prestage.h"
#include "prestage_copy.h"
#include "vhdx.h"

struct ps_vhdx_ctx {
    struct vhdx_open_opts src_opts; /* source maps + search paths for vhdx_open */
    struct vhdx_path_map *maps;
    const struct ps_map *src, *dst;  /* borrowed: to find a target input's source directory */
    size_t n_src, n_dst;
    struct ps_disk_ops disk;
    struct ps_exec_ops exec;        /* progress left for the caller to set */
};

/* `maps` must outlive the context (their strings are borrowed). */
int ps_vhdx_init(struct ps_vhdx_ctx *c, const struct ps_map *maps, size_t n, const char *const *search,
                 size_t n_search, struct hv_err *e);
/* Target maps (borrowed): a CHILD given by its target path also has its
 * parents looked for, by name, in the matching source directories. */
void ps_vhdx_set_target(struct ps_vhdx_ctx *c, const struct ps_map *dst, size_t n_dst);
void ps_vhdx_free(struct ps_vhdx_ctx *c);

#endif
