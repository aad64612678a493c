/* fusedisk_none.c: fmount_run() when hvkit was built without libfuse3. */
#include "fusedisk.h"

int fmount_run(struct sdisk *d, const char *dir, const struct fmount_opts *o, struct hv_err *e)
{
    (void)d;
    (void)o;
    return hv_failx(e, HV_UNSUPPORTED, "mount", "cannot mount '%s': hvkit was built without FUSE 3 "
                    "(install libfuse3-dev and rebuild)", dir);
}
