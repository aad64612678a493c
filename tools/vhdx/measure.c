/* measure.c: `vhdx measure`: the file size a new VHDX takes (qemu-img
 * measure shape: required and fully allocated sizes). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain_opts.h"
#include "cli.h"
#include "cmds.h"
#include "vhdx_ops.h"

#define MEASURE_SYNOPSIS \
    "measure [--json] [--block-size N] [--logical-sector 512|4096] (--size N | [chain options] FILE)"

static const char measure_help[] =
    "Prints the file size of a VHDX holding FILE's virtual disk (VHDX chain or raw) as\n"
    "'vhdx convert' writes it (required: blocks with data) and as a fixed image (fully\n"
    "allocated), or of an empty disk of --size bytes.\n"
    "  --size N              measure an empty disk of N bytes\n"
    "  --block-size N        payload block size (default 32M)\n"
    "  --logical-sector N    512 or 4096 (default: the input's, or 512)\n"
    "  --json                one JSON object\n" CHAIN_HELP;

static void report(const struct vhdx_measure *m, int json)
{
    if (!json) {
        printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", m->required,
               m->fully_allocated);
        return;
    }
    struct json j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_u64(&j, "version", 1);
    json_u64(&j, "virtual_size", m->virtual_size);
    json_u64(&j, "block_size", m->block_size);
    json_u64(&j, "blocks", m->data_blocks);
    json_u64(&j, "used_blocks", m->used_blocks);
    json_u64(&j, "bat_bytes", m->bat_bytes);
    json_u64(&j, "overhead", m->overhead);
    json_u64(&j, "required", m->required);
    json_u64(&j, "fully_allocated", m->fully_allocated);
    json_obj_end(&j);
    json_end(&j);
}

static int size_arg(const char *opt, const char *v, uint64_t *out)
{
    int narrow = strcmp(opt, "--size") != 0; /* block and sector sizes are 32-bit */
    if (cli_parse_size(v, out) != 0 || (narrow && *out > UINT32_MAX))
        return cli_usage("measure", MEASURE_SYNOPSIS, "%s needs a size, got '%s'", opt, v);
    return 0;
}

int cmd_measure(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, 0, 'j' }, { "size", required_argument, 0, 'S' },
        { "block-size", required_argument, 0, 'B' }, { "logical-sector", required_argument, 0, 'L' },
        { "help", no_argument, 0, 'h' }, CHAIN_LONGOPTS, { 0, 0, 0, 0 },
    };
    struct chain_opts c;
    chain_opts_init(&c);
    int json = 0, opt, rc = 0, have_size = 0;
    uint64_t size = 0, bs = 0, lss = 0;
    optind = 1;
    while (rc == 0 && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (chain_opt(&c, opt, optarg) > 0)
            continue;
        if (opt == 'j')
            json = 1;
        else if (opt == 'S')
            rc = size_arg("--size", optarg, &size), have_size = 1;
        else if (opt == 'B')
            rc = size_arg("--block-size", optarg, &bs);
        else if (opt == 'L')
            rc = size_arg("--logical-sector", optarg, &lss);
        else if (opt == 'h')
            rc = -1;
        else
            rc = cli_usage("measure", MEASURE_SYNOPSIS, "unexpected argument");
    }
    const char *in = optind < argc ? argv[optind] : NULL;
    if (rc == 0 && (have_size == (in != NULL) || argc - optind > 1))
        rc = cli_usage("measure", MEASURE_SYNOPSIS, "give either --size N or one FILE");
    if (rc != 0) {
        chain_opts_free(&c);
        return rc < 0 ? cli_help(MEASURE_SYNOPSIS, measure_help) : rc;
    }
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_measure m;
    rc = vhdx_measure(in, &c.o, size, (uint32_t)bs, (uint32_t)lss, &m, &err);
    chain_opts_free(&c);
    if (rc != 0)
        return cli_error(&err);
    report(&m, json);
    return EXIT_OK;
}
