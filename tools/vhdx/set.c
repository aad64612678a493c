/* set.c: `vhdx set`: change identity and reported geometry in place (Set-VHD). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"

#define SET_SYNOPSIS \
    "set [--json] FILE [--physical-sector 512|4096] [--reset-disk-id] [--new-data-write-guid] " \
    "[--parent PATH [--parent-win-path P] [--ignore-id-mismatch]]"

static const char set_help[] =
    "Changes image properties in place through the log (Set-VHD); the disk's bytes stay.\n"
    "  --physical-sector N     report physical sectors of N bytes (512 or 4096)\n"
    "  --reset-disk-id         a new Virtual Disk ID (-ResetDiskIdentifier)\n"
    "  --new-data-write-guid   a new DataWriteGuid: differencing children stop opening\n"
    "  --parent PATH           differencing: point at a moved parent (as 'vhdx relink')\n"
    "  --parent-win-path P     with --parent: also record P as the parent's Windows path\n"
    "  --ignore-id-mismatch    with --parent: accept a parent of another identity\n"
    "  --json                  one JSON object with old and new values\n";

static void guid_pair(struct json *j, const char *key, const struct hv_guid *a, const struct hv_guid *b)
{
    char s[40];
    json_obj_begin(j, key);
    json_str(j, "old", hv_guid_format(a, 0, s));
    json_str(j, "new", hv_guid_format(b, 0, s));
    json_obj_end(j);
}

static void report(const char *file, const struct vhdx_set_report *r, int json)
{
    char a[40], b[40], c[40], d[40];
    if (!json) {
        printf("%s: physical sector size %u -> %u, virtual disk id %s -> %s, data write guid %s -> %s\n",
               file, r->old_physical_sector_size, r->new_physical_sector_size,
               hv_guid_format(&r->old_disk_id, 0, a), hv_guid_format(&r->new_disk_id, 0, b),
               hv_guid_format(&r->old_data_write_guid, 0, c), hv_guid_format(&r->new_data_write_guid, 0, d));
        return;
    }
    struct json j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_u64(&j, "version", 1);
    json_str(&j, "file", file);
    json_str(&j, "operation", "set");
    json_obj_begin(&j, "physical_sector_size");
    json_u64(&j, "old", r->old_physical_sector_size);
    json_u64(&j, "new", r->new_physical_sector_size);
    json_obj_end(&j);
    guid_pair(&j, "virtual_disk_id", &r->old_disk_id, &r->new_disk_id);
    guid_pair(&j, "data_write_guid", &r->old_data_write_guid, &r->new_data_write_guid);
    json_obj_end(&j);
    json_end(&j);
}

int cmd_set(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_help(SET_SYNOPSIS, set_help);
    struct vhdx_set_params p = { 0 };
    const char *file = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(o, "--json"))
            json = 1;
        else if (!strcmp(o, "--physical-sector") && v && cli_parse_size(v, &n) == 0 && n <= 65536)
            p.physical_sector_size = (uint32_t)n, i++;
        else if (!strcmp(o, "--reset-disk-id"))
            p.reset_disk_id = 1;
        else if (!strcmp(o, "--new-data-write-guid"))
            p.new_data_write_guid = 1;
        else if (!strcmp(o, "--parent") && v)
            p.parent = v, i++;
        else if (!strcmp(o, "--parent-win-path") && v)
            p.parent_win_path = v, i++;
        else if (!strcmp(o, "--ignore-id-mismatch"))
            p.relink_flags |= VHDX_RELINK_IGNORE_ID_MISMATCH;
        else if (o[0] != '-' && !file)
            file = o;
        else
            return cli_usage("set", SET_SYNOPSIS, "unexpected argument '%s'", o);
    }
    if (!file)
        return cli_usage("set", SET_SYNOPSIS, "missing FILE");
    if ((p.parent_win_path || p.relink_flags) && !p.parent)
        return cli_usage("set", SET_SYNOPSIS, "--parent-win-path and --ignore-id-mismatch need --parent");
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_set_report r;
    if (vhdx_set(file, &p, &r, &err) != 0)
        return cli_error(&err);
    report(file, &r, json);
    return EXIT_OK;
}
