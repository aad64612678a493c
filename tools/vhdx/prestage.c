/* vhdx_prestage.c: `vhdx prestage plan|copy`: have every parent of the given
 * disks' chains in place on a migration target. Parses, calls
 * vhdx/prestage*.c, prints a checklist or JSON. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prestage.h"
#include "prestage_copy.h"
#include "prestage_space.h"
#include "prestage_vhdx.h"
#include "cmds.h"

#define SYNOPSIS                                                                                   \
    "prestage plan|copy [--json] --source-map 'WIN=DIR'... --target-map 'WIN=DIR'... "             \
    "[--search-path DIR] [--relink] [--dry-run] [--replace-stale] CHILD..."

static const char HELP[] =
    "Resolves each CHILD's parent chain on the source (through the source maps)\n"
    "and checks, for every parent, where the child will look for it on the target:\n"
    "the locator's relative_path, volume_path, absolute_win32_path in that order,\n"
    "mapped through the target maps (relative to where the child itself lands).\n"
    "Verdicts: ok, missing (will be copied), stale (another file there), conflict\n"
    "(two children need different parents at one path), unmapped (no target map\n"
    "covers the path, or '..' climbs out of it).\n\n"
    "  plan               print the checklist (exit 0 all ok/copyable, 1 problems, 2 errors)\n"
    "  copy               copy the missing parents: sparse, under .NAME.hvkit-partial,\n"
    "                     fsynced, verified with the reader, then renamed into place.\n"
    "                     An interrupted copy resumes from what it verified.\n"
    "  --source-map 'D:\\=/mnt/src/d/'   Windows prefix -> source directory (repeatable)\n"
    "  --target-map 'D:\\=/mnt/dst/d/'   Windows prefix -> target directory (repeatable)\n"
    "  --search-path DIR  also look for source parents by file name in DIR\n"
    "  --relink           make each child name its parent on the target by relative\n"
    "                     and absolute path (rewrites locators of files on the\n"
    "                     target only: copied parents, and CHILDs given by target\n"
    "                     path; source files are never written)\n"
    "  --dry-run          copy: say what would be done\n"
    "  --replace-stale    copy: replace stale files, keeping each as NAME.stale-TIME\n"
    "  --json             machine-readable output\n"
    "  --[no-]progress    progress on stderr (default: when it is a terminal)\n";

enum { O_SRC = 0x2001, O_DST, O_SEARCH, O_RELINK, O_DRY, O_REPLACE, O_JSON, O_PROG, O_NOPROG, O_FAIL };

struct args {
    int copy, json, relink, dry_run, replace_stale, progress;
    uint64_t fail_after;
    struct ps_map *src, *dst;
    size_t n_src, n_dst;
    const char **search;
    size_t n_search;
    char **inputs;
    size_t n_inputs;
};

/* Parses a map and makes its local side absolute (realpath when it exists),
 * so source paths and target roots compare lexically. */
static int add_map(struct ps_map **maps, size_t *n, const char *arg)
{
    struct ps_map *m = realloc(*maps, (*n + 1) * sizeof *m);
    if (!m)
        return -1;
    *maps = m;
    struct hv_err e;
    hv_err_clear(&e);
    if (ps_map_parse(arg, &m[*n], &e)) {
        cli_usage("prestage", SYNOPSIS, "%s", e.msg);
        return -1;
    }
    char real[PATH_MAX], abs[PS_PATH_MAX * 2];
    const char *to = m[*n].to;
    if (realpath(to, real)) {
        snprintf(abs, sizeof abs, "%s/", real);
    } else if (to[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        snprintf(abs, sizeof abs, "%s/%s", cwd, to);
    } else {
        snprintf(abs, sizeof abs, "%s", to);
    }
    char clean[PS_PATH_MAX - 1];
    if (ps_local_clean(abs, clean, sizeof clean)) {
        cli_usage("prestage", SYNOPSIS, "'%s': local directory too long", arg);
        return -1;
    }
    size_t cl = strlen(clean);
    memcpy(m[*n].to, clean, cl + 1);
    if (strcmp(clean, "/"))
        memcpy(m[*n].to + cl, "/", 2);
    (*n)++;
    return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option lo[] = {
        { "source-map", required_argument, 0, O_SRC },  { "target-map", required_argument, 0, O_DST },
        { "search-path", required_argument, 0, O_SEARCH }, { "relink", no_argument, 0, O_RELINK },
        { "dry-run", no_argument, 0, O_DRY },           { "replace-stale", no_argument, 0, O_REPLACE },
        { "json", no_argument, 0, O_JSON },             { "progress", no_argument, 0, O_PROG },
        { "no-progress", no_argument, 0, O_NOPROG },
        { "inject-fail-after", required_argument, 0, O_FAIL }, /* tests only */
        { "help", no_argument, 0, 'h' },                { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    a->progress = -1;
    if (argc < 2)
        return cli_usage("prestage", SYNOPSIS, "say 'plan' or 'copy'");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_help(SYNOPSIS, HELP);
        return -2;
    }
    if (!strcmp(argv[1], "copy"))
        a->copy = 1;
    else if (strcmp(argv[1], "plan"))
        return cli_usage("prestage", SYNOPSIS, "'%s' is not plan or copy", argv[1]);
    argc--, argv++;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_SRC:
            if (add_map(&a->src, &a->n_src, optarg))
                return EXIT_ERROR;
            break;
        case O_DST:
            if (add_map(&a->dst, &a->n_dst, optarg))
                return EXIT_ERROR;
            break;
        case O_SEARCH: {
            const char **s = realloc(a->search, (a->n_search + 1) * sizeof *s);
            if (!s)
                return EXIT_ERROR;
            a->search = s;
            s[a->n_search++] = optarg;
            break;
        }
        case O_RELINK: a->relink = 1; break;
        case O_DRY: a->dry_run = 1; break;
        case O_REPLACE: a->replace_stale = 1; break;
        case O_JSON: a->json = 1; break;
        case O_PROG: a->progress = 1; break;
        case O_NOPROG: a->progress = 0; break;
        case O_FAIL:
            if (cli_parse_size(optarg, &a->fail_after))
                return cli_usage("prestage", SYNOPSIS, "bad size '%s'", optarg);
            break;
        case 'h':
            cli_help(SYNOPSIS, HELP);
            return -2;
        default:
            return cli_usage("prestage", SYNOPSIS, "unknown option");
        }
    }
    if (!a->n_dst)
        return cli_usage("prestage", SYNOPSIS, "at least one --target-map is needed");
    if (optind >= argc)
        return cli_usage("prestage", SYNOPSIS, "no CHILD given");
    if (!a->copy && (a->dry_run || a->replace_stale || a->fail_after))
        return cli_usage("prestage", SYNOPSIS, "--dry-run and --replace-stale are for 'copy'");
    a->n_inputs = (size_t)(argc - optind);
    a->inputs = calloc(a->n_inputs, sizeof *a->inputs);
    if (!a->inputs)
        return EXIT_ERROR;
    for (size_t i = 0; i < a->n_inputs; i++) {
        char real[PATH_MAX];
        const char *in = argv[optind + (int)i];
        a->inputs[i] = strdup(realpath(in, real) ? real : in);
        if (!a->inputs[i])
            return EXIT_ERROR;
    }
    return 0;
}

static void free_args(struct args *a)
{
    for (size_t i = 0; i < a->n_inputs; i++)
        free(a->inputs[i]);
    free(a->inputs);
    free(a->src);
    free(a->dst);
    free(a->search);
}

static const char *item_where(const struct ps_item *it)
{
    return it->dest >= 0 ? it->cand[it->dest].target.local : it->src.path;
}

/* ------------------------------------------------------------------ text */

static void print_text(const struct ps_plan *pl, const struct args *a, int rc, const char *space,
                       const struct ps_plan *after)
{
    char h[32], g[48], n[48];
    printf("prestage %s: %zu input%s, %zu parent%s on the target\n", a->copy ? "copy" : "plan",
           pl->n_inputs, pl->n_inputs == 1 ? "" : "s", pl->n_items, pl->n_items == 1 ? "" : "s");
    for (size_t i = 0; i < pl->n_inputs; i++) {
        const struct ps_input *in = &pl->inputs[i];
        if (in->error)
            printf("  [error]     %s: %s\n", in->path, in->msg);
    }
    for (size_t i = 0; i < pl->n_items; i++) {
        const struct ps_item *it = &pl->items[i];
        char tag[16];
        snprintf(tag, sizeof tag, "[%s]", ps_verdict_name(it->verdict));
        printf("  %-11s %s\n", tag, item_where(it));
        printf("              source %s (%s allocated, DataWriteGuid %s)\n", it->src.path,
               cli_human(it->src.allocated, h, sizeof h), hv_guid_format(&it->src.data_write_guid, 1, g));
        for (size_t k = 0; k < pl->n_links; k++)
            if (pl->links[k].parent_item == (int)i)
                printf("              needed by %s\n", pl->links[k].child);
        for (int k = 0; k < PS_NCAND; k++) {
            const struct ps_candidate *c = &it->cand[k];
            if (c->state == PS_CAND_NOT_TRIED)
                continue;
            printf("              %s%s '%s' -> %s: %s%s%s\n", k == it->dest ? "* " : "  ", c->key, c->value,
                   c->target.map >= 0 ? c->target.local : "(no target path)", ps_cand_state_name(c->state),
                   c->note[0] ? "; " : "", c->note);
        }
        if (it->verdict == PS_CONFLICT)
            printf("              %s\n", it->note);
        if (it->verdict == PS_STALE) /* the reason is on the candidate line above */
            printf("              needs %s; --replace-stale replaces it (the old file is kept)\n",
                   hv_guid_format(&it->need, 1, n));
        if (it->action == PS_ACT_DONE) {
            printf("              copied%s%s", it->kept[0] ? "; stale file kept as " : "", it->kept);
            if (it->resumed_from)
                printf("; resumed at byte %llu, %llu bytes copied", (unsigned long long)it->resumed_from,
                       (unsigned long long)it->copied_bytes);
            printf("\n");
        } else if (it->action == PS_ACT_WOULD)
            printf("              would copy (%s)\n", cli_human(it->src.allocated, h, sizeof h));
        else if (it->action == PS_ACT_FAILED || (a->copy && it->action == PS_ACT_SKIPPED))
            printf("              %s: %s\n", ps_action_name(it->action), it->action_note);
    }
    for (size_t k = 0; k < pl->n_links; k++) {
        const struct ps_link *l = &pl->links[k];
        if (!l->relink)
            continue;
        printf("  [relink]    %s -> %s\n", l->child_target[0] ? l->child_target : l->child,
               item_where(&pl->items[l->parent_item]));
        printf("              relative_path '%s', path '%s'%s%s%s\n", l->want_rel, l->want_win,
               l->action ? "; " : "", l->action ? ps_action_name(l->action) : "",
               l->action_note[0] ? ": " : "");
        if (l->action_note[0])
            printf("              %s\n", l->action_note);
    }
    printf("totals: %zu file%s to copy, %s; ok %zu, missing %zu, stale %zu, conflict %zu, unmapped %zu",
           pl->copy_files, pl->copy_files == 1 ? "" : "s", cli_human(pl->copy_bytes, h, sizeof h),
           pl->count[PS_OK], pl->count[PS_MISSING], pl->count[PS_STALE], pl->count[PS_CONFLICT],
           pl->count[PS_UNMAPPED]);
    if (a->relink)
        printf(", relink %zu", pl->relinks);
    if (space[0])
        printf("\n  [error]     %s", space);
    if (after)
        printf("\nnow: ok %zu, missing %zu, stale %zu, conflict %zu, unmapped %zu", after->count[PS_OK],
               after->count[PS_MISSING], after->count[PS_STALE], after->count[PS_CONFLICT],
               after->count[PS_UNMAPPED]);
    printf("\n%s\n", rc == 0 ? "result: ready" : rc == 1 ? "result: problems (see above)" : "result: errors");
}

/* ------------------------------------------------------------------ JSON */

static void print_json(const struct ps_plan *pl, const struct args *a, int rc, const char *space,
                       const struct ps_plan *after)
{
    struct json j;
    char g[48];
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_str(&j, "command", a->copy ? "copy" : "plan");
    json_bool(&j, "dry_run", a->dry_run);
    json_arr_begin(&j, "inputs");
    for (size_t i = 0; i < pl->n_inputs; i++) {
        const struct ps_input *in = &pl->inputs[i];
        json_obj_begin(&j, NULL);
        json_str(&j, "path", in->path);
        json_str(&j, "windows_path", in->win[0] ? in->win : NULL);
        json_str(&j, "target", in->target[0] ? in->target : NULL);
        json_bool(&j, "on_target", in->on_target);
        json_u64(&j, "depth", in->depth);
        json_str(&j, "error", in->error ? in->msg : NULL);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_arr_begin(&j, "parents");
    for (size_t i = 0; i < pl->n_items; i++) {
        const struct ps_item *it = &pl->items[i];
        json_obj_begin(&j, NULL);
        json_str(&j, "verdict", ps_verdict_name(it->verdict));
        json_str(&j, "target", it->dest >= 0 ? it->cand[it->dest].target.local : NULL);
        json_str(&j, "found_by", it->dest >= 0 ? it->cand[it->dest].key : NULL);
        json_str(&j, "source", it->src.path);
        json_str(&j, "data_write_guid", hv_guid_format(&it->src.data_write_guid, 1, g));
        json_str(&j, "need", hv_guid_format(&it->need, 1, g));
        json_u64(&j, "virtual_size", it->src.virtual_size);
        json_u64(&j, "logical_sector_size", it->src.logical_sector_size);
        json_u64(&j, "allocated_bytes", it->src.allocated);
        json_str(&j, "note", it->note[0] ? it->note : NULL);
        json_arr_begin(&j, "needed_by");
        for (size_t k = 0; k < pl->n_links; k++)
            if (pl->links[k].parent_item == (int)i)
                json_str(&j, NULL, pl->links[k].child);
        json_arr_end(&j);
        json_arr_begin(&j, "candidates");
        for (int k = 0; k < PS_NCAND; k++) {
            const struct ps_candidate *c = &it->cand[k];
            if (c->state == PS_CAND_NOT_TRIED)
                continue;
            json_obj_begin(&j, NULL);
            json_str(&j, "key", c->key);
            json_str(&j, "value", c->value);
            json_str(&j, "windows_path", c->win[0] ? c->win : NULL);
            json_str(&j, "target", c->target.map >= 0 ? c->target.local : NULL);
            json_str(&j, "state", ps_cand_state_name(c->state));
            json_str(&j, "note", c->note[0] ? c->note : NULL);
            json_obj_end(&j);
        }
        json_arr_end(&j);
        if (a->copy) {
            json_str(&j, "action", ps_action_name(it->action));
            json_str(&j, "action_note", it->action_note[0] ? it->action_note : NULL);
            json_str(&j, "stale_kept_as", it->kept[0] ? it->kept : NULL);
            json_u64(&j, "resumed_from", it->resumed_from);
            json_u64(&j, "bytes_copied", it->copied_bytes);
        }
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_arr_begin(&j, "relinks");
    for (size_t k = 0; k < pl->n_links; k++) {
        const struct ps_link *l = &pl->links[k];
        if (!l->relink)
            continue;
        json_obj_begin(&j, NULL);
        json_str(&j, "child", l->child_target[0] ? l->child_target : l->child);
        json_str(&j, "parent", item_where(&pl->items[l->parent_item]));
        json_str(&j, "relative_path", l->want_rel);
        json_str(&j, "windows_path", l->want_win);
        json_bool(&j, "child_on_target", l->child_on_target);
        json_str(&j, "action", ps_action_name(l->action));
        json_str(&j, "action_note", l->action_note[0] ? l->action_note : NULL);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_begin(&j, "totals");
    json_u64(&j, "parents", pl->n_items);
    json_u64(&j, "files_to_copy", pl->copy_files);
    json_u64(&j, "bytes_to_copy", pl->copy_bytes);
    for (int v = 0; v < PS_VERDICT_COUNT; v++)
        json_u64(&j, ps_verdict_name((enum ps_verdict)v), pl->count[v]);
    json_u64(&j, "relinks", pl->relinks);
    json_u64(&j, "input_errors", pl->input_errors);
    json_obj_end(&j);
    json_str(&j, "target_problem", space[0] ? space : NULL);
    if (after) { /* the state on the target once the copy has run */
        json_obj_begin(&j, "after");
        for (int v = 0; v < PS_VERDICT_COUNT; v++)
            json_u64(&j, ps_verdict_name((enum ps_verdict)v), after->count[v]);
        json_obj_end(&j);
    }
    json_i64(&j, "exit", rc);
    json_obj_end(&j);
    json_end(&j);
}

/* ------------------------------------------------------------------ run */

struct prog {
    struct progress p;
    int mode;
    const char *path;
};

static void on_progress(void *ctx, const char *path, uint64_t done, uint64_t total)
{
    struct prog *pr = ctx;
    if (pr->path != path) {
        if (pr->path)
            progress_stop(&pr->p);
        progress_start(&pr->p, path, total, pr->mode);
        pr->path = path;
    }
    progress_update(&pr->p, done);
}

int cmd_prestage(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc) {
        free_args(&a);
        return rc == -2 ? EXIT_OK : EXIT_ERROR;
    }
    struct hv_err e;
    hv_err_clear(&e);
    struct ps_vhdx_ctx vc;
    struct ps_plan pl;
    memset(&pl, 0, sizeof pl);
    if (ps_vhdx_init(&vc, a.src, a.n_src, a.search, a.n_search, &e)) {
        free_args(&a);
        return cli_error(&e);
    }
    ps_vhdx_set_target(&vc, a.dst, a.n_dst);
    struct ps_opts po = { a.src, a.n_src, a.dst, a.n_dst, a.relink, a.replace_stale };
    if (ps_plan_build(&po, &vc.disk, (const char *const *)a.inputs, a.n_inputs, &pl, &e)) {
        rc = cli_error(&e);
        goto out;
    }
    rc = ps_plan_exit(&pl, a.replace_stale);
    char space[1200];
    struct ps_plan after;
    int have_after = 0;
    if (ps_check_space(&pl, &po, space, sizeof space) && rc == 0)
        rc = EXIT_PROBLEMS;
    if (a.copy && space[0] && !a.dry_run) {
        fprintf(stderr, "%s prestage: not copying: %s\n", cli_prog(), space);
    } else if (a.copy) {
        struct prog pr = { .mode = a.progress };
        vc.exec.progress = on_progress;
        vc.exec.ctx = &pr;
        struct ps_copy_opts co = { a.dry_run, a.replace_stale, a.relink, a.fail_after };
        int failed = ps_copy_run(&pl, &po, &co, &vc.exec, &e);
        if (pr.path)
            progress_stop(&pr.p);
        for (size_t i = 0; i < pl.n_items; i++) {
            const struct ps_item *it = &pl.items[i];
            if (it->action == PS_ACT_DONE)
                fprintf(stderr, "%s prestage: copied %s -> %s\n", cli_prog(), it->src.path, item_where(it));
            else if (it->action == PS_ACT_FAILED)
                fprintf(stderr, "%s prestage: '%s': %s\n", cli_prog(), item_where(it), it->action_note);
        }
        for (size_t k = 0; k < pl.n_links; k++)
            if (pl.links[k].action == PS_ACT_FAILED)
                fprintf(stderr, "%s prestage: relink '%s': %s\n", cli_prog(), pl.links[k].child_target,
                        pl.links[k].action_note);
        if (failed < 0)
            rc = cli_error(&e);
        else if (failed > 0)
            rc = EXIT_ERROR;
        /* the report ends with what is on the target now */
        if (!a.dry_run && failed >= 0 &&
            ps_plan_build(&po, &vc.disk, (const char *const *)a.inputs, a.n_inputs, &after, &e) == 0)
            have_after = 1;
    }
    if (a.json)
        print_json(&pl, &a, rc, space, have_after ? &after : NULL);
    else
        print_text(&pl, &a, rc, space, have_after ? &after : NULL);
    if (have_after)
        ps_plan_free(&after);
out:
    ps_plan_free(&pl);
    ps_vhdx_free(&vc);
    free_args(&a);
    return rc;
}
