/* probe.c: tells what kind of file a path names (see vhdx_probe.h). The
 * signatures are those each format's public documentation puts at a fixed
 * place; no structure beyond them is parsed. */
#include "vhdx_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhdx.h"

static const char *const kind_names[VHDX_KIND_COUNT] = {
    [VHDX_KIND_RAW] = "raw",       [VHDX_KIND_VHDX] = "VHDX",     [VHDX_KIND_HRL] = "HRL",
    [VHDX_KIND_GZIP] = "gzip",     [VHDX_KIND_VHD] = "VHD",       [VHDX_KIND_QCOW] = "qcow2",
    [VHDX_KIND_VMDK] = "VMDK",     [VHDX_KIND_VDI] = "VDI",       [VHDX_KIND_ISO] = "ISO 9660",
    [VHDX_KIND_DIRECTORY] = "directory", [VHDX_KIND_FIFO] = "FIFO", [VHDX_KIND_CHARDEV] = "character device",
};

const char *vhdx_kind_name(enum vhdx_kind k)
{
    return (unsigned)k < VHDX_KIND_COUNT ? kind_names[k] : "unknown";
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t r = pread(fd, buf, n, (off_t)off);
    return r == (ssize_t)n ? 0 : -1;
}

static enum vhdx_kind by_content(int fd, uint64_t size)
{
    uint8_t h[512] = { 0 };
    size_t n = size < sizeof h ? (size_t)size : sizeof h;
    if (n && read_at(fd, h, n, 0) != 0)
        return VHDX_KIND_RAW;
    if (vhdx_probe(h, n))
        return VHDX_KIND_VHDX;
    if (n >= 8 && !memcmp(h, "msctlog", 7) && (h[7] == 0 || h[7] == ' '))
        return VHDX_KIND_HRL;
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return VHDX_KIND_GZIP;
    if (n >= 8 && !memcmp(h, "conectix", 8))
        return VHDX_KIND_VHD;
    if (n >= 4 && !memcmp(h, "QFI\xfb", 4))
        return VHDX_KIND_QCOW;
    if (n >= 4 && !memcmp(h, "KDMV", 4))
        return VHDX_KIND_VMDK;
    if (n >= 21 && !memcmp(h, "# Disk DescriptorFile", 21))
        return VHDX_KIND_VMDK;
    if (n >= 0x44 && h[0x40] == 0x7f && h[0x41] == 0x10 && h[0x42] == 0xda && h[0x43] == 0xbe)
        return VHDX_KIND_VDI;
    uint8_t t[8];
    /* A fixed VHD is raw data followed by a 512-byte footer ([VHD] footer). */
    if (size >= 1024 && size % 512 == 0 && read_at(fd, t, 8, size - 512) == 0 && !memcmp(t, "conectix", 8))
        return VHDX_KIND_VHD;
    if (size >= 0x8006 && read_at(fd, t, 5, 0x8001) == 0 && !memcmp(t, "CD001", 5))
        return VHDX_KIND_ISO;
    return VHDX_KIND_RAW;
}

int vhdx_probe_file(const char *path, struct vhdx_probe_result *out, struct hv_err *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) {
        hv_err_file(err, path);
        if (errno == ENOENT || errno == ENOTDIR)
            return hv_failx(err, HV_NOTFOUND, "open", "no such file");
        return hv_fail_errno(err, errno, "open", "cannot open");
    }
    if (S_ISDIR(st.st_mode))
        return out->kind = VHDX_KIND_DIRECTORY, 0;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return out->kind = VHDX_KIND_FIFO, 0;
    if (S_ISCHR(st.st_mode))
        return out->kind = VHDX_KIND_CHARDEV, 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hv_err_file(err, path);
        return hv_fail_errno(err, errno, "open", "cannot open");
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    }
    out->size = size;
    out->kind = by_content(fd, size);
    close(fd);
    return 0;
}

static const char *advice(enum vhdx_kind k)
{
    switch (k) {
    case VHDX_KIND_VHD: return "convert it first, e.g. qemu-img convert -O raw IN.vhd OUT.raw";
    case VHDX_KIND_QCOW: return "convert it first, e.g. qemu-img convert -O raw IN.qcow2 OUT.raw";
    case VHDX_KIND_VMDK: return "convert it first, e.g. qemu-img convert -O raw IN.vmdk OUT.raw";
    case VHDX_KIND_VDI: return "convert it first, e.g. qemu-img convert -O raw IN.vdi OUT.raw";
    case VHDX_KIND_ISO: return "an optical disc image is not a virtual hard disk";
    case VHDX_KIND_HRL: return "this looks like a Hyper-V Replica log; try 'hrl info'";
    case VHDX_KIND_VHDX: return "this looks like a VHDX image; try 'vhdx info'";
    case VHDX_KIND_GZIP: return "decompress it first";
    case VHDX_KIND_DIRECTORY: return "give a file inside it";
    case VHDX_KIND_FIFO: return "images are read more than once: save the stream to a file first";
    case VHDX_KIND_CHARDEV: return "give a regular file or a block device";
    default: return "";
    }
}

static const char *wanted(unsigned accept)
{
    if (accept == VHDX_ACCEPT_IMAGE)
        return "a raw image or VHDX";
    if (accept == 1u << VHDX_KIND_VHDX)
        return "a VHDX image";
    if (accept == 1u << VHDX_KIND_RAW)
        return "a raw image";
    if (accept == ((1u << VHDX_KIND_HRL) | (1u << VHDX_KIND_GZIP)))
        return "a replica log (.hrl)";
    return "what this command reads";
}

int vhdx_probe_expect(const char *path, unsigned accept, struct vhdx_probe_result *out, struct hv_err *err)
{
    if (vhdx_probe_file(path, out, err) != 0)
        return -1;
    if (accept & (1u << out->kind))
        return 0;
    hv_err_file(err, path);
    const char *k = vhdx_kind_name(out->kind);
    if (out->kind == VHDX_KIND_DIRECTORY || out->kind == VHDX_KIND_FIFO || out->kind == VHDX_KIND_CHARDEV)
        return hv_failx(err, HV_FORMAT, NULL, "is a %s, not %s; %s", k, wanted(accept), advice(out->kind));
    if (out->kind == VHDX_KIND_GZIP && (accept & (1u << VHDX_KIND_RAW)))
        return hv_failx(err, HV_FORMAT, NULL, "is gzip-compressed, not %s; decompress it first", wanted(accept));
    if (out->kind == VHDX_KIND_RAW)
        return hv_failx(err, HV_FORMAT, NULL, "is not %s (no known signature at offset 0)", wanted(accept));
    static const char *const long_names[VHDX_KIND_COUNT] = {
        [VHDX_KIND_VHDX] = "a VHDX image", [VHDX_KIND_HRL] = "a Hyper-V Replica log (HRL)",
        [VHDX_KIND_GZIP] = "gzip-compressed", [VHDX_KIND_VHD] = "a VHD (version 1) image",
        [VHDX_KIND_QCOW] = "a qcow2 image", [VHDX_KIND_VMDK] = "a VMDK image",
        [VHDX_KIND_VDI] = "a VirtualBox VDI image", [VHDX_KIND_ISO] = "an ISO 9660 image",
    };
    (void)k;
    return hv_failx(err, HV_FORMAT, NULL, "is %s, not %s; %s", long_names[out->kind], wanted(accept),
                    advice(out->kind));
}
