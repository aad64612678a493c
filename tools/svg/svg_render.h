/* svg_render.h: the three pictures drawn with svg.h. Each returns an exit
 * status (0 written; 2 the picture could not be written, after the message). */
#ifndef HVK_SVG_RENDER_H
#define HVK_SVG_RENDER_H

#include <stddef.h>
#include <stdint.h>

struct hrl_set; /* hrl_points.h */
#include "svg.h"
#include "vhdx.h"

/* A labelled disk range (a partition). */
struct svg_band {
    uint64_t off, len;
    char label[96];
};

/* Heat map of the logs' writes; `vols` (may be empty) are labelled, and
 * disk_size (0: the furthest write) sets the vertical scale. */
int svg_timeline(const char *out, char **logs, size_t n, const struct svg_band *vols, size_t nv,
                 uint64_t disk_size);
/* `hrl timeline --svg OUT [--base BASE]`: with a base, its partitions label
 * the picture (through The Sleuth Kit where the build has it). */
int svg_timeline_cmd(const char *out, const char *base, char **logs, size_t n);

/* Allocation along the disk: one band per chain layer and the merged view. */
int svg_map(const char *out, vhdx *img);

/* Recovery points on a time axis: size = bytes changed, colour = verdict. */
int svg_points(const char *out, const struct hrl_set *set, const char *base_path);

/* Removes "--svg OUT" (and "--svg=OUT") from argv for commands whose option
 * parsing is shared. @return OUT or NULL; *argc is updated. */
const char *svg_take_opt(int *argc, char **argv);

#endif
