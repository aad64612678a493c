/* hrl_apply.c: `hrl apply`: apply logs in place to a raw disk or a VHDX — the
 * explicit destructive operation. Every log is verified before the first
 * write. Exit 0 applied, 1 the logs have problems (disk untouched), 2 usage
 * or I/O error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"
#include "vhdx_write.h"

#define SYNOPSIS                                                                                  \
    "apply --target DISK [--point N | --until TIME | --log UNIQUEID] [--ignore-guid]\n" \
    "      [--guid GUID] [--json] LOG..."
#define DETAILS                                                                                 \
    "Writes logs 1..k (default: all) into DISK in place. DISK is a raw image (written with\n"  \
    "pwrite) or a VHDX (written through its log). All logs are verified first, exactly as\n"  \
    "for 'hrl restore'; any problem refuses (exit 1) before the first write. Logs go in one\n" \
    "at a time, each flushed: after a crash, logs 1..j are in and each sector of log j+1 is\n" \
    "old or new; the same apply again completes it.\n"                                        \
    "A VHDX target gets a new DataWriteGuid from its first write (VHDX rule), so a later\n"   \
    "apply of the following logs to the same file needs --ignore-guid. A raw target has no\n" \
    "DataWriteGuid: give the one of the VHDX it was taken from with --guid, else the GUID\n" \
    "is not checked (a note says so).\n"                                                      \
    "  --guid GUID       raw target: the DataWriteGuid the first log must carry\n"            \
    "  --target DISK     the disk to change\n"                                                 \
    "  --ignore-guid     apply even if Vhd2DataWriteGuid does not match\n"                     \
    "  --[no-]progress   progress on stderr (default: when stderr is a terminal)\n"

static int is_vhdx(const char *path, int *yes)
{
    uint8_t b[64] = { 0 };
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    *yes = n > 0 && vhdx_probe(b, (size_t)n) > 0;
    return 0;
}

int cmd_apply(int argc, char **argv)
{
    static const struct option opts[] = {
        { "target", required_argument, 0, 't' }, { "point", required_argument, 0, 'p' },
        { "until", required_argument, 0, 'u' },  { "log", required_argument, 0, 'l' },
        { "ignore-guid", no_argument, 0, 'g' },  { "json", no_argument, 0, 'j' },
        { "guid", required_argument, 0, 'G' },
        PROGRESS_LONGOPTS,
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    const char *target = NULL, *guid = NULL;
    struct ps_select sel = { 0 };
    int ignore_guid = 0, json = 0, force_progress = -1, c;
    while ((c = getopt_long(argc, argv, "t:p:u:l:gG:jh", opts, NULL)) != -1) {
        if (progress_opt(c, &force_progress))
            continue;
        switch (c) {
        case 't': target = optarg; break;
        case 'p': sel.point = optarg; break;
        case 'u': sel.until = optarg; break;
        case 'l': sel.log = optarg; break;
        case 'g': ignore_guid = 1; break;
        case 'G': guid = optarg; break;
        case 'j': json = 1; break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("apply", SYNOPSIS, "unknown option");
        }
    }
    if (!target)
        return cli_usage("apply", SYNOPSIS, "--target is required");
    if (optind >= argc)
        return cli_usage("apply", SYNOPSIS, "LOG expected");
    int vhdx_target;
    if (is_vhdx(target, &vhdx_target) != 0)
        return cli_errorf("'%s': %s", target, strerror(errno));

    struct ps_logs logs;
    int rc = ps_logs_expand(argv + optind, (size_t)(argc - optind), &logs);
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
        rc = cli_usage("apply", SYNOPSIS, "--guid is for raw targets (a VHDX has its own)");
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
            if (hv_guid_parse(guid, strlen(guid), &desc.data_write_guid) != 0) {
                rc = cli_usage("apply", SYNOPSIS, "--guid: '%s' is not a GUID", guid);
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
        json_str(&j, "target", target);
        json_str(&j, "format", vhdx_target ? "vhdx" : "raw");
        json_u64(&j, "point", point);
        json_u64(&j, "entries", st.entries);
        json_u64(&j, "log_bytes", st.log_bytes);
        json_u64(&j, "final_bytes", st.final_bytes);
        json_u64(&j, "extents", st.extents);
        json_obj_end(&j);
        json_end(&j);
    } else {
        char a[32], b[32];
        printf("%s: applied logs 1..%zu (%" PRIu64 " entries, %s of log data, %s written)\n", target,
               point, st.entries, cli_human(st.log_bytes, a, sizeof a), cli_human(st.final_bytes, b, sizeof b));
    }
    rc = EXIT_OK;
out:
    hv_io_close(io);
    hrl_set_close(set);
    ps_plist_free(&pl);
    ps_logs_free(&logs);
    return rc;
}
