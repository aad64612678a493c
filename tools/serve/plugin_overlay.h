/* plugin_overlay.h: writable=OVERLAY.avhdx for the nbdkit plugin. Writes go to
 * a new differencing child of the served chain, made and written only through
 * libvhdx's crash-safe writer (vhdx_write.h); the chain's own files and any
 * logs are never written. */
#ifndef HVK_PLUGIN_OVERLAY_H
#define HVK_PLUGIN_OVERLAY_H

#include <stdint.h>

#include "disk.h"
#include "vhdx_write.h"

struct poverlay {
    vhdx_rw *w;
    const char *path;
    uint32_t sector; /* logical sector size: the writer's unit */
    uint64_t gen;    /* bumped by every write: readers opened before are stale */
};

/* Creates `path` (refused if it exists) as a child of `parent`, opens it for
 * writing. @return 0, or -1 after nbdkit_error(). */
int poverlay_create(struct poverlay *o, const char *path, const char *parent, const struct vhdx_open_opts *opts);
/* Writes [off, off+count); partial sectors at the edges are completed from
 * `reader` (a current view of the overlay chain). @return 0, or -1 after nbdkit_error(). */
int poverlay_write(struct poverlay *o, struct sdisk *reader, const void *buf, uint32_t count, uint64_t off);
int poverlay_flush(struct poverlay *o);
void poverlay_close(struct poverlay *o);

#endif
