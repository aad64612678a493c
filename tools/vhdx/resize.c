/* resize.c: `vhdx resize`: grow or shrink a virtual disk in place
 * (Resize-VHD -SizeBytes, qemu-img resize). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"

#define RESIZE_SYNOPSIS "resize [--json] FILE --size [+|-]N"

static const char resize_help[] =
    "Sets the virtual size of a fixed or dynamic image in place, crash-safe through the log.\n"
    "Growing allocates the new blocks of a fixed image; a BAT that is too small moves to the\n"
    "end of the file. Shrinking is refused (file unchanged) when data lies beyond the new end.\n"
    "  --size N    new virtual size (K/M/G/T suffixes); +N / -N grow or shrink by N\n"
    "  --json      one JSON object describing the change\n";

static int parse(int argc, char **argv, const char **file, const char **size, int *json)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            *json = 1;
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            *size = argv[++i];
        else if (argv[i][0] != '-' && !*file)
            *file = argv[i];
        else
            return cli_usage("resize", RESIZE_SYNOPSIS, "unexpected argument '%s'", argv[i]);
    }
    if (!*file)
        return cli_usage("resize", RESIZE_SYNOPSIS, "missing FILE");
    if (!*size)
        return cli_usage("resize", RESIZE_SYNOPSIS, "missing --size");
    return 0;
}

/* "+N" and "-N" are relative to the current size. */
static int target_size(const char *file, const char *arg, uint64_t *out)
{
    int rel = arg[0] == '+' ? 1 : arg[0] == '-' ? -1 : 0;
    uint64_t n;
    if (cli_parse_size(arg + (rel != 0), &n) != 0)
        return cli_usage("resize", RESIZE_SYNOPSIS, "--size needs a size, got '%s'", arg);
    if (!rel) {
        *out = n;
        return 0;
    }
    struct hv_err err;
    hv_err_clear(&err);
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    if (vhdx_open(file, &o, &img, &err) != 0)
        return cli_error(&err);
    uint64_t cur = vhdx_virtual_size(img);
    vhdx_close(img);
    if (rel < 0 && n >= cur)
        return cli_usage("resize", RESIZE_SYNOPSIS, "cannot shrink %" PRIu64 " bytes by %" PRIu64, cur, n);
    *out = rel > 0 ? cur + n : cur - n;
    return 0;
}

static void report(const char *file, const struct vhdx_resize_report *r, int json)
{
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_u64(&j, "version", 1);
        json_str(&j, "file", file);
        json_str(&j, "operation", "resize");
        json_u64(&j, "old_size", r->old_size);
        json_u64(&j, "new_size", r->new_size);
        json_u64(&j, "old_file_size", r->old_file_size);
        json_u64(&j, "new_file_size", r->new_file_size);
        json_u64(&j, "blocks_added", r->blocks_added);
        json_u64(&j, "blocks_released", r->blocks_released);
        json_bool(&j, "bat_moved", r->bat_moved);
        json_u64(&j, "bat_offset", r->bat_offset);
        json_u64(&j, "bat_length", r->bat_length);
        json_obj_end(&j);
        json_end(&j);
        return;
    }
    if (r->old_size == r->new_size) {
        printf("%s: already %" PRIu64 " bytes, nothing changed\n", file, r->new_size);
        return;
    }
    printf("%s: virtual size %" PRIu64 " -> %" PRIu64 " bytes, file %" PRIu64 " -> %" PRIu64 " bytes",
           file, r->old_size, r->new_size, r->old_file_size, r->new_file_size);
    if (r->blocks_added)
        printf(", %" PRIu64 " blocks allocated", r->blocks_added);
    if (r->bat_moved)
        printf(", BAT moved to offset %" PRIu64, r->bat_offset);
    printf("\n");
}

int cmd_resize(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(RESIZE_SYNOPSIS, resize_help);
    const char *file = NULL, *size = NULL;
    int json = 0;
    uint64_t n = 0;
    int rc = parse(argc, argv, &file, &size, &json);
    if (rc || (rc = target_size(file, size, &n)) != 0)
        return rc;
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_resize_report r;
    if (vhdx_resize(file, n, &r, &err) != 0)
        return cli_error(&err);
    report(file, &r, json);
    return EXIT_OK;
}
