/* vhdx_check.c: `vhdx check [--json] FILE`: every problem of the file and its
 * chain. Exit 0 clean (warnings allowed), 1 problems found, 2 cannot check. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"
#include "vhdx_probe.h"

static const struct cli_opt opts[] = { CLI_OPT_JSON, CLI_OPT_CHAIN, CLI_OPT_END };
static const struct cli_example examples[] = {
    { "vhdx check disk.vhdx", "list every problem; exit status 1 if there is any" },
    { "vhdx check --json child.avhdx --map 'D:\\VMs\\=/srv/vms/'",
      "check a differencing chain whose parent locator names a Windows path" },
    { 0, 0 },
};
const struct cli_spec spec_check = {
    "check", "[options] FILE", "find every problem in a file and its chain",
    "Checks headers, both region tables, metadata, every BAT entry (range, alignment, overlaps), sector "
    "bitmaps, the log and the parent chain, and lists every problem: structure, file offset, message. "
    "A pending log (a replay that has not been written back) is reported as a warning.\n\n"
    "Exit status: 0 clean, 1 problems (errors or warnings) found, 2 the file is not a VHDX or cannot be "
    "read at all.",
    opts, examples,
};

struct out {
    int json;
    struct json j;
    unsigned n;
    unsigned damage; /* errors that are damage, not a missing or unreadable file */
};

static void on_problem(const struct vhdx_problem *p, void *vctx)
{
    struct out *o = vctx;
    const char *sev = p->severity == VHDX_ERROR ? "error" : "warning";
    o->n++;
    if (p->severity == VHDX_ERROR && cli_exit_for(p->code) == EXIT_PROBLEMS)
        o->damage++;
    if (o->json) {
        json_problem(&o->j, sev, hv_code_name(p->code), p->what, p->file, 1, p->offset, p->msg);
    } else {
        char f[HV_ESCAPE_CAP(4096)], m[HV_ESCAPE_CAP(512)]; /* may quote file contents */
        printf("%s: '%s': %s at 0x%" PRIx64 ": %s\n", sev, hv_text_escape(p->file, f, sizeof f),
               p->what, p->offset, hv_text_escape(p->msg, m, sizeof m));
    }
}

/* A log that still has to be replayed is not damage, but the next writer
 * (or `vhdx replay`) will change the file: the user should hear it. */
static void report_pending(const char *path, struct out *o)
{
    struct vhdx_open_opts oo = { .flags = VHDX_OPEN_NO_PARENT };
    vhdx *img;
    struct hv_err e;
    hv_err_clear(&e);
    if (vhdx_open(path, &oo, &img, &e) != 0)
        return;
    struct vhdx_info in;
    vhdx_get_info(img, &in);
    vhdx_close(img);
    if (!in.log.pending)
        return;
    char msg[200];
    snprintf(msg, sizeof msg, "a log replay is pending (%u entries); 'vhdx replay %s' writes it back",
             in.log.entries, path);
    struct vhdx_problem p = { "log", in.log.log_offset, HV_OK, msg, VHDX_WARNING, path };
    on_problem(&p, o);
    o->n--; /* listed, but not a problem of the file: the exit status stays */
}

int cmd_check(int argc, char **argv)
{
    struct out o;
    memset(&o, 0, sizeof o);
    struct chain_opts co;
    int st;
    if (chain_file_args(argc, argv, &spec_check, &o.json, &co, &st) != 0)
        return st;
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(argv[optind], 1u << VHDX_KIND_VHDX, &pr, &e) != 0) {
        chain_opts_free(&co);
        return cli_error(&e);
    }
    if (o.json) {
        json_init(&o.j, stdout);
        json_obj_begin(&o.j, NULL);
        json_str(&o.j, "file", argv[optind]);
        json_arr_begin(&o.j, "problems");
    }
    int errors = vhdx_check(argv[optind], &co.o, on_problem, &o, &e);
    if (errors >= 0)
        report_pending(argv[optind], &o);
    chain_opts_free(&co);
    if (o.json) {
        json_arr_end(&o.j);
        json_u64(&o.j, "errors", errors < 0 ? 0 : (uint64_t)errors);
        json_u64(&o.j, "warnings", errors < 0 || o.n < (unsigned)errors ? 0 : o.n - (unsigned)errors);
        json_obj_end(&o.j);
        json_end(&o.j);
    }
    if (errors < 0)
        return cli_error(&e);
    if (!o.json) {
        char a[32], b[32];
        printf("%s: %s, %s listed\n", argv[optind], cli_plural((uint64_t)errors, "error", "errors", a, sizeof a),
               cli_plural(o.n, "problem", "problems", b, sizeof b));
    }
    /* Warnings count: a tolerated oddity (a bad header copy, a log GUID with
     * nothing to replay) is still something the user should hear about. */
    /* Only errors that cannot be judged (a parent not found or unreadable)
     * give 2, as every other command answers for that chain. */
    if (errors > 0 && o.damage == 0)
        return EXIT_ERROR;
    return errors || o.n ? EXIT_PROBLEMS : EXIT_OK;
}
