/* prestage_relink.h: stopgap locator rewrite for `prestage copy --relink`
 * until the write engine defines vhdx_relink() (see prestage_relink.c). */
#ifndef HVK_PRESTAGE_RELINK_H
#define HVK_PRESTAGE_RELINK_H

#include "hv_err.h"

/* Makes differencing `child` name `parent` (local path; relative path from the
 * child's directory) and `win` (Windows path, may be NULL) through the log.
 * The parent must be the identity the child is already linked to.
 * @return 0, or -1 with e (HV_MISMATCH when it is not). */
int ps_relink_locator(const char *child, const char *parent, const char *win, struct hv_err *e);

#endif
