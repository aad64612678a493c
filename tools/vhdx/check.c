/* vhdx_check.c: `vhdx check [--json] FILE`: every problem of the file and its
 * chain. Exit 0 clean (warnings allowed), 1 problems found, 2 cannot check. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

#define SYN "check [--json] [--search-path DIR] [--map WIN=LOCAL] FILE"
static const char *const HELP =
    "Checks headers, both region tables, metadata, every BAT entry (range,\n"
    "alignment, overlaps), sector bitmaps, the log and the parent chain, and lists\n"
    "every problem: structure, file offset, message.\n"
    "Exit status: 0 clean, 1 problems (errors or warnings) found, 2 the file cannot\n"
    "be read at all.\n\n"
    "  --json   machine-readable output\n" CHAIN_HELP;

struct out {
    int json;
    struct json j;
    unsigned n;
};

static void on_problem(const struct vhdx_problem *p, void *vctx)
{
    struct out *o = vctx;
    const char *sev = p->severity == VHDX_ERROR ? "error" : "warning";
    o->n++;
    if (o->json) {
        json_obj_begin(&o->j, NULL);
        json_str(&o->j, "severity", sev);
        json_str(&o->j, "file", p->file);
        json_str(&o->j, "structure", p->what);
        json_u64(&o->j, "offset", p->offset);
        json_str(&o->j, "code", hv_code_name(p->code));
        json_str(&o->j, "message", p->msg);
        json_obj_end(&o->j);
    } else {
        char f[HV_ESCAPE_CAP(4096)], m[HV_ESCAPE_CAP(512)]; /* may quote file contents */
        printf("%s: '%s': %s at 0x%" PRIx64 ": %s\n", sev, hv_text_escape(p->file, f, sizeof f),
               p->what, p->offset, hv_text_escape(p->msg, m, sizeof m));
    }
}

int cmd_check(int argc, char **argv)
{
    struct out o;
    memset(&o, 0, sizeof o);
    struct chain_opts co;
    int st;
    if (chain_file_args(argc, argv, "check", SYN, HELP, &o.json, &co, &st) != 0)
        return st;
    if (o.json) {
        json_init(&o.j, stdout);
        json_obj_begin(&o.j, NULL);
        json_str(&o.j, "file", argv[optind]);
        json_arr_begin(&o.j, "problems");
    }
    struct hv_err e;
    hv_err_clear(&e);
    int errors = vhdx_check(argv[optind], &co.o, on_problem, &o, &e);
    chain_opts_free(&co);
    if (o.json) {
        json_arr_end(&o.j);
        json_i64(&o.j, "errors", errors);
        json_obj_end(&o.j);
        json_end(&o.j);
    }
    if (errors < 0)
        return cli_error(&e);
    if (!o.json)
        printf("%s: %d error%s, %u problem%s listed\n", argv[optind], errors, errors == 1 ? "" : "s",
               o.n, o.n == 1 ? "" : "s");
    /* Warnings count: a tolerated oddity (a bad header copy, a log GUID with
     * nothing to replay) is still something the user should hear about. */
    return errors || o.n ? EXIT_PROBLEMS : EXIT_OK;
}
