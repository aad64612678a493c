/* compare.c: `vhdx compare`: do two virtual disks read the same (qemu-img
 * compare: exit 0 identical, 1 different, 2 cannot compare). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain_opts.h"
#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"

#define COMPARE_SYNOPSIS "compare [--json] [--strict] [--search-path DIR] [--map WIN=LOCAL] A B"

static const char compare_help[] =
    "Compares the virtual disks A and B (VHDX chains or raw images) and prints the first\n"
    "differing offset, rounded down to a 512-byte sector as qemu-img compare does.\n"
    "A disk longer than the other must read zeros beyond the shorter one's end.\n"
    "Exit status: 0 identical, 1 different, 2 error.\n"
    "  -s, --strict   differing sizes make the disks different\n"
    "  --json         one JSON object with the result\n" CHAIN_HELP;

static void report(const char *a, const char *b, const struct vhdx_compare_result *r, int strict,
                   int json)
{
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_u64(&j, "version", 1);
        json_str(&j, "a", a);
        json_str(&j, "b", b);
        json_bool(&j, "identical", !r->differ);
        json_u64(&j, "size_a", r->size_a);
        json_u64(&j, "size_b", r->size_b);
        if (r->differ && !(strict && r->size_mismatch)) {
            json_u64(&j, "offset", r->first_byte / 512 * 512);
            json_u64(&j, "first_byte", r->first_byte);
        }
        json_obj_end(&j);
        json_end(&j);
        return;
    }
    if (r->size_mismatch)
        printf(strict ? "Strict mode: Image size mismatch!\n" : "Warning: Image size mismatch!\n");
    if (!r->differ)
        printf("Images are identical.\n");
    else if (!(strict && r->size_mismatch))
        printf("Content mismatch at offset %" PRIu64 "!\n", r->first_byte / 512 * 512);
}

int cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, 0, 'j' }, { "strict", no_argument, 0, 's' },
        { "help", no_argument, 0, 'h' }, CHAIN_LONGOPTS, { 0, 0, 0, 0 },
    };
    struct chain_opts c;
    chain_opts_init(&c);
    int json = 0, strict = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "sh", longopts, NULL)) != -1) {
        int r = chain_opt(&c, opt, optarg);
        if (r > 0)
            continue;
        if (opt == 'j')
            json = 1;
        else if (opt == 's')
            strict = 1;
        else if (opt == 'h') {
            chain_opts_free(&c);
            return cli_help(COMPARE_SYNOPSIS, compare_help);
        } else {
            chain_opts_free(&c);
            return cli_usage("compare", COMPARE_SYNOPSIS, "unexpected argument");
        }
    }
    if (argc - optind != 2) {
        chain_opts_free(&c);
        return cli_usage("compare", COMPARE_SYNOPSIS, "need two files A and B");
    }
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_compare_result r;
    int rc = vhdx_compare(argv[optind], argv[optind + 1], &c.o, strict, &r, &err);
    chain_opts_free(&c);
    if (rc != 0)
        return cli_error(&err);
    report(argv[optind], argv[optind + 1], &r, strict, json);
    return r.differ ? EXIT_PROBLEMS : EXIT_OK;
}
