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
#include "vhdx_probe.h"
#include "vhdx_write.h"

static const struct cli_opt opts[] = {
    { "discard", 'd', "LEN", "instead of writing INPUT, make LEN bytes read as zeros (whole blocks become ZERO)" },
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "vhdx write disk.vhdx 1M boot.bin", "write the bytes of boot.bin at offset 1 MiB" },
    { "vhdx write disk.vhdx 0 --discard 64M", "make the first 64 MiB read as zeros" },
    { 0, 0 },
};
const struct cli_spec spec_write = {
    "write", "FILE OFFSET INPUT | FILE OFFSET --discard LEN",
    "write bytes into an image in place (through the log)",
    "Writes the bytes of INPUT into FILE's virtual disk at OFFSET (both multiples of the logical sector "
    "size), or with --discard makes LEN bytes read as zeros. Metadata changes go through the VHDX log; a "
    "differencing FILE gets partially present blocks and never exposes its parent where zeros were "
    "written.",
    opts, examples,
};

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
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(file, 1u << VHDX_KIND_VHDX, &pr, err) != 0 || vhdx_open(file, &o, &img, err) != 0)
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
    uint64_t off, len = 0;
    const char *dlen = NULL;
    struct cli_args a;
    cli_args_init(&a, &spec_write, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        if (c == CLI_STOP)
            return a.status;
        if (c == 'd')
            dlen = a.arg;
    }
    int discard = dlen != NULL;
    int want = discard ? 2 : 3;
    if (argc - optind != want)
        return cli_bad(discard ? "--discard LEN takes FILE and OFFSET" : "FILE, OFFSET and INPUT are needed");
    if (cli_size_arg("OFFSET", argv[optind + 1], &off) != 0 || (discard && cli_size_arg("discard", dlen, &len) != 0))
        return EXIT_ERROR;
    argv += optind - 1; /* argv[1] FILE, argv[2] OFFSET, argv[3] INPUT */
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
