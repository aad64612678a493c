/* plugin_args.h: the nbdkit plugin's parameters (file=, map=, search-path=,
 * base=, logs=, point=, until=, ignore-guid=, writable=), collected before the export opens. */
#ifndef HVK_PLUGIN_ARGS_H
#define HVK_PLUGIN_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "vhdx.h"

struct pargs {
    const char *file, *base, *point, *until, *writable;
    int ignore_guid;
    struct vhdx_open_opts o;
    const char **search;
    struct vhdx_path_map *maps;
    const char **logargs; /* logs= values as given */
    size_t nlogargs;
    char **logs; /* log files: logs= values split at ',' and directories expanded */
    size_t nlogs;
};

/* One key=value. @return 0, or -1 after nbdkit_error(). */
int pargs_set(struct pargs *a, const char *key, const char *value);
/* Consistency once every key is in, then logs= expanded into `logs` (in
 * config_complete: errors there end nbdkit the same way as every refusal).
 * @return 0, or -1 after nbdkit_error(). */
int pargs_check(struct pargs *a);
void pargs_free(struct pargs *a);

/* "2026-11-27T10:00:00Z", "2026-11-27 10:00:00" (UTC) or "@UNIX", as `hrl restore --until`.
 * @return 0 and *t, or -1. */
int pargs_parse_time(const char *s, int64_t *t);

#endif
