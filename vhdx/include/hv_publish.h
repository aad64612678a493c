/* hv_publish.h: how every new file appears. It is written under a temporary
 * sibling name, flushed, then linked to its final name without replacing
 * anything (link() fails if the name exists, unlike rename()), and the
 * directory is flushed. A crash leaves either no file under the final name or
 * a complete one. */
#ifndef HVK_HV_PUBLISH_H
#define HVK_HV_PUBLISH_H

#include <stddef.h>

#include "hv_err.h"

/*! hv_tmp_sibling() :
 *  A temporary name beside `path` (same directory, hidden, unique per process
 *  and call) written into tmp[cap].
 *  @return 0, or -1 (HV_USAGE: the name does not fit). */
HVK_API int hv_tmp_sibling(const char *path, char *tmp, size_t cap, struct hv_err *e);

/*! hv_publish_tmp() :
 *  Give the flushed file `tmp` its final name `path`: link, unlink the
 *  temporary name, flush the directory.
 *  @return 0, or -1 (HV_EXISTS when `path` exists: nothing is replaced). */
HVK_API int hv_publish_tmp(const char *tmp, const char *path, struct hv_err *e);

#endif
