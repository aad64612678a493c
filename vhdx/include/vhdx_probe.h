/* vhdx_probe.h: what kind of file a path names, told by content, so that
 * every program that accepts "a raw image or a VHDX" refuses the same
 * foreign formats by name instead of reading them as raw bytes. */
#ifndef VHDX_PROBE_H
#define VHDX_PROBE_H

#include <stdint.h>

#include "hv_err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum vhdx_kind {
    VHDX_KIND_RAW,       /* a regular file or block device without a known signature */
    VHDX_KIND_VHDX,      /* "vhdxfile" at offset 0 ([MS-VHDX] 2.2.1) */
    VHDX_KIND_HRL,       /* a Hyper-V Replica log ([MS-HRL] header cookie) */
    VHDX_KIND_GZIP,      /* gzip-compressed (e.g. an .hrl.gz) */
    VHDX_KIND_VHD,       /* VHD: "conectix" footer at the end or its copy at 0 */
    VHDX_KIND_QCOW,      /* QEMU qcow/qcow2: "QFI\xfb" */
    VHDX_KIND_VMDK,      /* VMware: "KDMV" sparse extent or a text descriptor */
    VHDX_KIND_VDI,       /* VirtualBox: 0xbeda107f at offset 0x40 */
    VHDX_KIND_ISO,       /* ISO 9660: "CD001" at 0x8001 */
    VHDX_KIND_DIRECTORY,
    VHDX_KIND_FIFO,      /* FIFO or socket: cannot be read twice or mapped */
    VHDX_KIND_CHARDEV,   /* character device (terminal, /dev/zero, ...) */
    VHDX_KIND_COUNT
};

struct vhdx_probe_result {
    enum vhdx_kind kind;
    uint64_t size; /* bytes (regular files and block devices), else 0 */
};

/*! vhdx_probe_file() : stats and reads the first and last bytes of `path`
 *  (never opens a FIFO, so it cannot block).
 *  @return 0 with *out filled, or -1 with `err` (NOTFOUND, IO) naming `path`. */
HVK_API int vhdx_probe_file(const char *path, struct vhdx_probe_result *out, struct hv_err *err);

/*! vhdx_kind_name() : "raw", "VHDX", "VHD", "qcow2", ..., "directory". */
HVK_API const char *vhdx_kind_name(enum vhdx_kind k);

/*! vhdx_probe_expect() : the probe with a verdict for a command that wants
 *  one of the kinds in `accept` (a bit mask of 1u << VHDX_KIND_*). Any other
 *  kind fails with HV_FORMAT and a plain message naming `path` and what it
 *  is ("'x.vhd' is a VHD (version 1) image, not a raw image or VHDX; convert
 *  it first: qemu-img convert -O raw x.vhd x.raw").
 *  @return 0 with *out filled, or -1 with `err`. */
HVK_API int vhdx_probe_expect(const char *path, unsigned accept, struct vhdx_probe_result *out,
                              struct hv_err *err);

#define VHDX_ACCEPT_IMAGE ((1u << VHDX_KIND_RAW) | (1u << VHDX_KIND_VHDX))

#ifdef __cplusplus
}
#endif

#endif
