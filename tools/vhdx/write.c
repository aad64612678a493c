/* vhdx_write.c: `vhdx write`: write a file's bytes (or discard a range) into
 * an image in place, through the log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "vhdx_write.h"

#define WRITE_SYNOPSIS "write FILE OFFSET INPUT | write FILE OFFSET --discard LEN"

static const char write_help[] =
    "Writes the bytes of INPUT into FILE's virtual disk at OFFSET (both multiples of the\n"
    "logical sector size), or with --discard makes LEN bytes read as zeros (whole blocks\n"
    "become ZERO). Metadata changes go through the VHDX log; a differencing FILE gets\n"
    "partially present blocks and never exposes its parent where zeros were written.\n";

static int write_input(vhdx_rw *w, uint64_t off, const char *input, struct hv_err *err)
{
    FILE *f = fopen(input, "rb");
    if (!f)
        return hv_fail_errno(err, errno, "open", "cannot open '%s'", input);
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : hv_failx(err, HV_NOMEM, "write", "out of memory");
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, cap, f)) > 0) {
        rc = vhdx_write(w, buf, n, off, err);
        off += n;
    }
    if (rc == 0 && ferror(f))
        rc = hv_fail_errno(err, errno, "read", "cannot read '%s'", input);
    free(buf);
    fclose(f);
    return rc;
}

/* Checks the request against the image's geometry before anything is
 * opened for writing, so a refused request leaves the file byte-identical. */
static int precheck(const char *file, uint64_t off, uint64_t len, struct hv_err *err)
{
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(file, &o, &img, err) != 0)
        return -1;
    uint64_t size = vhdx_virtual_size(img);
    uint32_t lss = vhdx_logical_sector_size(img);
    vhdx_close(img);
    hv_err_file(err, file);
    if (off % lss || len % lss)
        return hv_failx(err, HV_USAGE, "write", "offset %llu and length %llu must be multiples of %u",
                        (unsigned long long)off, (unsigned long long)len, lss);
    if (off > size || len > size - off)
        return hv_failx(err, HV_USAGE, "write", "range [%llu, +%llu) beyond the virtual size %llu",
                        (unsigned long long)off, (unsigned long long)len, (unsigned long long)size);
    return 0;
}

int cmd_write(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(WRITE_SYNOPSIS, write_help);
    uint64_t off, len = 0;
    int discard = argc == 5 && !strcmp(argv[3], "--discard");
    if ((argc != 4 && !discard) || cli_parse_size(argv[2], &off) != 0 ||
        (discard && cli_parse_size(argv[4], &len) != 0))
        return cli_usage("write", WRITE_SYNOPSIS, "expects FILE OFFSET INPUT or FILE OFFSET --discard LEN");
    struct hv_err err;
    hv_err_clear(&err);
    struct stat st;
    if (!discard && stat(argv[3], &st) != 0)
        return cli_errorf("cannot read '%s': %s", argv[3], strerror(errno));
    if (precheck(argv[1], off, discard ? len : (uint64_t)st.st_size, &err) != 0)
        return cli_error(&err);
    vhdx_rw *w;
    if (vhdx_open_rw(argv[1], NULL, &w, &err) != 0)
        return cli_error(&err);
    int rc = discard ? vhdx_discard(w, off, len, &err) : write_input(w, off, argv[3], &err);
    if (rc != 0) {
        hv_err_file(&err, argv[1]);
        cli_error(&err);
        vhdx_close_rw(w, NULL);
        return EXIT_ERROR;
    }
    if (vhdx_close_rw(w, &err) != 0)
        return cli_error(&err);
    return EXIT_OK;
}
