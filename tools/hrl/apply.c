/* hrl_apply.c: `hrl apply`: apply logs in place to a raw disk or a VHDX — the
 * explicit destructive operation. Every log is verified before the first
 * write. Exit 0 applied, 1 the logs have problems (disk untouched), 2 usage
 * or I/O error. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"
#include "vhdx_probe.h"
#include "vhdx_write.h"

static const struct cli_opt opts[] = {
    { "target", 't', "DISK", "the disk to change in place: a raw image or a VHDX" },
    CLI_OPT_POINT,
    CLI_OPT_UNTIL,
    CLI_OPT_LOG,
    { "guid", 'G', "GUID", "raw target: the DataWriteGuid of the VHDX it was taken from, which the first "
                           "log must carry" },
    { "ignore-guid", 'g', NULL, "do not require the first log's Vhd2DataWriteGuid to equal BASE's DataWriteGuid" },
    CLI_OPT_JSON,
    CLI_OPT_PROGRESS,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl apply --target disk.raw --guid {3f2504e0-4f89-11d3-9a0c-0305e82c3301} logs/",
      "replay every log into a raw copy of the disk, checking it is the right disk" },
    { "hrl apply --target base.vhdx --point 2 HRL_0001.hrl HRL_0002.hrl HRL_0003.hrl",
      "bring a VHDX forward by the first two logs only" },
    { 0, 0 },
};
const struct cli_spec spec_apply = {
    "apply", "--target DISK [options] LOG...",
    "apply logs in place to a raw disk or VHDX (destructive)",
    "Writes logs 1..k (default: all) into DISK in place. DISK is a raw image (written with pwrite) or a "
    "VHDX (written through its log). All logs are verified first, exactly as for 'hrl restore'; a "
    "problem in a log the chosen point needs refuses (exit 1) before the first write. Logs go in one "
    "at a time, each flushed: after a crash, logs 1..j are in and each sector of log j+1 is old or "
    "new; the same apply again completes it.\n\n"
    "A VHDX target gets a new DataWriteGuid from its first write (VHDX rule), so a later apply of the "
    "following logs to the same file needs --ignore-guid. A raw target has no DataWriteGuid: give the "
    "one of the VHDX it was taken from with --guid, else the GUID is not checked (a note says so).",
    opts, examples,
};

/* The target must be a VHDX or a raw image (a regular file or block device). */
static int is_vhdx(const char *path, int *yes)
{
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(path, VHDX_ACCEPT_IMAGE, &pr, &e) != 0) {
        cli_error(&e);
        return -1;
    }
    *yes = pr.kind == VHDX_KIND_VHDX;
    return 0;
}

int cmd_apply(int argc, char **argv)
{
    const char *target = NULL, *guid = NULL;
    struct ps_select sel = { 0 };
    int ignore_guid = 0, json = 0, force_progress = -1;
    struct cli_args a;
    cli_args_init(&a, &spec_apply, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        if (c == CLI_STOP)
            return a.status;
        if (progress_opt(c, &force_progress))
            continue;
        switch (c) {
        case 't': target = a.arg; break;
        case 'p': sel.point = a.arg; break;
        case 'u': sel.until = a.arg; break;
        case 'l': sel.log = a.arg; break;
        case 'g': ignore_guid = 1; break;
        case 'G': guid = a.arg; break;
        case 'j': json = 1, cli_set_json(1); break;
        }
    }
    if (!target)
        return cli_bad("--target DISK is needed");
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    if (!!sel.point + !!sel.until + !!sel.log > 1)
        return cli_bad("give only one of --point, --until and --log");
    int vhdx_target;
    if (is_vhdx(target, &vhdx_target) != 0)
        return EXIT_ERROR;

    struct log_args logs;
    int rc = log_args_expand(argv + optind, (size_t)(argc - optind), 1, &logs);
    if (rc)
        return rc;
    struct hv_err e;
    hv_err_clear(&e);
    struct hrl_base desc = { 0 };
    struct hv_io *io = NULL;
    vhdx_rw *rw = NULL;
    hrl_set *set = NULL;
    struct ps_plist pl = { 0 };
    /* Geometry and identity first, read-only; the disk is opened for writing
     * only after the logs passed. */
    if (vhdx_target && guid) {
        rc = cli_bad("--guid is for raw targets ('%s' is a VHDX and has its own)", target);
        goto out;
    }
    if (vhdx_target) {
        struct vhdx_open_opts oo = { 0 };
        struct ps_base b;
        if ((rc = ps_base_open(target, &oo, &b)) != 0)
            goto out;
        desc = b.desc;
        ps_base_close(&b);
    } else {
        struct hv_io *ro;
        uint64_t size;
        if (hv_io_open_file(target, HV_IO_READ, &ro, &e) != 0 || hv_io_size(ro, &size, &e) != 0) {
            hv_io_close(ro);
            rc = cli_error(&e);
            goto out;
        }
        hv_io_close(ro);
        desc.virtual_size = size;
        desc.sector_size = 512;
        if (guid) {
            if (cli_parse_guid(guid, &desc.data_write_guid) != 0) {
                rc = cli_bad("--guid: '%s' is not a GUID; e.g. {3f2504e0-4f89-11d3-9a0c-0305e82c3301}", guid);
                goto out;
            }
            desc.has_guid = 1;
        } else if (!ignore_guid) {
            fprintf(stderr, "%s: note: '%s' is a raw disk: Vhd2DataWriteGuid not checked (see --guid)\n",
                    cli_prog(), target);
        }
    }
    if ((rc = ps_set_open(&logs, &desc, ignore_guid, &pl, &set)) != 0)
        goto out;
    char note[PATH_MAX + 16];
    snprintf(note, sizeof note, "'%s' not touched", target);
    size_t point;
    if ((rc = ps_select_sound_point(set, &pl, &sel, "apply", note, &point)) != 0)
        goto out;

    struct ps_progress pp;
    struct hrl_restore_stats st;
    int r;
    if (vhdx_target) {
        if (vhdx_open_rw(target, NULL, &rw, &e) != 0) {
            rc = cli_error(&e);
            goto out;
        }
        ps_progress_start(&pp, "apply", force_progress);
        r = hrl_apply_vhdx(rw, set, point, &pp.hp, &st, &e);
        ps_progress_stop(&pp);
        struct hv_err ce;
        hv_err_clear(&ce);
        int crc = vhdx_close_rw(rw, r == 0 ? &e : &ce);
        rw = NULL;
        if (r == 0)
            r = crc;
    } else {
        if (hv_io_open_file(target, HV_IO_WRITE, &io, &e) != 0) {
            rc = cli_error(&e);
            goto out;
        }
        ps_progress_start(&pp, "apply", force_progress);
        r = hrl_apply_io(io, set, point, &pp.hp, &st, &e);
        ps_progress_stop(&pp);
    }
    if (r != 0) {
        hv_err_file(&e, target);
        rc = cli_error(&e);
        goto out;
    }
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "action", "apply");
        json_str(&j, "file", target);
        json_str(&j, "format", vhdx_target ? "vhdx" : "raw");
        json_u64(&j, "point", point);
        json_u64(&j, "entries", st.entries);
        json_u64(&j, "log_bytes", st.log_bytes);
        json_u64(&j, "final_bytes", st.final_bytes);
        json_u64(&j, "extents", st.extents);
        json_obj_end(&j);
        json_end(&j);
    } else {
        char h1[32], h2[32], n1[40];
        printf("%s: applied logs 1..%zu (%s, %s of log data, %s written)\n", target, point,
               cli_plural(st.entries, "entry", "entries", n1, sizeof n1), cli_human(st.log_bytes, h1, sizeof h1),
               cli_human(st.final_bytes, h2, sizeof h2));
    }
    rc = EXIT_OK;
out:
    hv_io_close(io);
    hrl_set_close(set);
    ps_plist_free(&pl);
    log_args_free(&logs);
    return rc;
}
