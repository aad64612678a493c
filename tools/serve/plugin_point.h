/* plugin_point.h: base= mode of the nbdkit plugin: verify every log and pick
 * the point before the export opens, refusing exactly as `hrl restore` does. */
#ifndef HVK_PLUGIN_POINT_H
#define HVK_PLUGIN_POINT_H

#include <stddef.h>

#include "hrl_points.h"
#include "plugin_args.h"

struct ppoint {
    hrl_set *set;
    size_t point;
};

/* @return 0, or -1 after nbdkit_error() (every problem listed, then the refusal). */
int ppoint_open(struct ppoint *p, const struct pargs *a);
void ppoint_close(struct ppoint *p);

#endif
