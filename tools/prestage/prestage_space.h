/* prestage_space.h: can the target take the copies? Every target root a
 * copy goes to must exist (a plan is never "ready" for a root that is not
 * there), and the bytes to copy onto each file system (statvfs; roots on one
 * file system counted together) must fit in its free space. */
#ifndef HVK_PRESTAGE_SPACE_H
#define HVK_PRESTAGE_SPACE_H

#include <stddef.h>

#include "prestage.h"

/* Checks the plan's targets; writes one line per problem into msg (joined
 * with "; "). @return the number of problems (0: all roots there, all fits). */
size_t ps_check_space(const struct ps_plan *plan, const struct ps_opts *po, char *msg, size_t msglen);

#endif
