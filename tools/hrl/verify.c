/* hrl_verify.c: `hrl verify`: every checksum (header, metadata headers,
 * entries, payloads) and structural rule of each log; with several logs, also
 * that they form one chain. Exit 0 all sound, 1 any problem, 2 I/O. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "pointset.h"
#include "util.h"

static const struct cli_opt opts[] = {
    CLI_OPT_JSON,
    { "salvage", 's', NULL, "recover unclosed or torn logs; report what was recovered and lost" },
    { "base", 'b', "BASE", "verify every recovery point of the VHDX (or chain) BASE and LOGs" },
    { "digest", 'd', NULL, "with --base: also print the tree digest of every point (what 'vhdx digest' "
                           "prints for the restored point); the base is hashed once, then only the MiB "
                           "pieces each log touches" },
    { "manifest", 'M', "FILE", "with --base: compare with the digests 'hrl seal' wrote to FILE (implies "
                               "--digest); the first point that differs is reported (exit 1)" },
    { "ignore-guid", 'g', NULL, "with --base: do not require the first log's Vhd2DataWriteGuid to equal "
                                "BASE's DataWriteGuid" },
    CLI_OPT_CHAIN,
    CLI_OPT_PROGRESS,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl verify HRL_0001.hrl", "every checksum and rule of one log" },
    { "hrl verify logs/", "every log in the directory, and that they form one chain" },
    { "hrl verify --base base.vhdx --digest logs/", "every recovery point, with its tree digest" },
    { "hrl verify --base base.vhdx --manifest points.txt logs/",
      "compare the points with the digests 'hrl seal' recorded earlier" },
    { 0, 0 },
};
const struct cli_spec spec_verify = {
    "verify", "[options] LOG... | --base BASE [options] LOG...",
    "check every checksum and rule; several files: one chain; with --base BASE: every recovery point",
    "Checks every header, metadata block, entry and payload checksum and the block layout; each problem is "
    "listed with its kind and file offset. Several files (or a directory of .hrl files) must form one "
    "chain by UniqueId/PreviousUniqueId (gaps, forks, duplicates and logs of another disk are problems).\n\n"
    "With --base, every recovery point is verified offline: each log's structure and checksums, one "
    "unbroken chain, Vhd2DataWriteGuid of the first log equal to BASE's DataWriteGuid and the same in all "
    "logs, every entry inside the disk and aligned to its logical sectors.",
    opts, examples,
};

struct chain_ctx {
    char **paths;
    const size_t *map; /* chain index -> argv index */
    struct hrl_plist *pl;
};

/* The library numbers logs within the set it was given (the files that
 * opened); name them by path and by their position on the command line. */
static void chain_cb(void *ctx, const struct hrl_problem *p)
{
    struct chain_ctx *c = ctx;
    struct hrl_problem q = *p;
    q.offset = c->map[p->offset];
    snprintf(q.what, sizeof q.what, "log chain");
    c->pl->file = c->paths[q.offset];
    hrl_plist_cb(c->pl, &q);
}

int cmd_verify(int argc, char **argv)
{
    /* With --base the logs are checked as recovery points of that base. */
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--base", 6) && (argv[i][6] == 0 || argv[i][6] == '='))
            return cmd_verify_points(argc, argv);
    int json, st;
    unsigned flags;
    if (hrl_json_salvage_args(argc, argv, &spec_verify, &json, &flags, &st) != 0)
        return st;
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    /* Directories stand for their .hrl files, as for the recovery-point commands. */
    struct log_args logs;
    if ((st = log_args_expand(argv + optind, (size_t)(argc - optind), 0, &logs)) != 0)
        return st;
    argv = logs.paths;
    optind = 0;
    size_t n = logs.n;
    struct hrl_header *hdrs = calloc(n, sizeof *hdrs);
    const struct hrl_header **hp = calloc(n, sizeof *hp);
    size_t *map = calloc(n, sizeof *map), *order = calloc(n, sizeof *order);
    if (!hdrs || !hp || !map || !order) {
        free(hdrs), free(hp), free(map), free(order);
        log_args_free(&logs);
        return cli_errorf("out of memory");
    }
    int worst = EXIT_OK;
    size_t opened = 0;
    struct json j;
    if (json) {
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_arr_begin(&j, "files");
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = argv[optind + (int)i];
        struct hrl_plist pl;
        hrl_plist_init(&pl, path, 0);
        hrl_log *log = NULL;
        int rc = hrl_tool_open(path, flags, &pl, &log);
        struct hrl_info in;
        memset(&in, 0, sizeof in);
        if (rc == 0) {
            /* Payload checksums: the long part, so it shows progress on a terminal. */
            struct progress pg;
            struct hrl_iter it;
            struct hrl_entry e;
            hrl_info(log, &in);
            progress_start(&pg, path, in.file_size, -1);
            hrl_iter_init(log, HRL_ITER_DATA, &it);
            for (uint64_t k = 0; hrl_iter_next(&it, &e); k++)
                if ((k & 1023) == 0)
                    progress_update(&pg, e.payload_offset);
            progress_stop(&pg);
            hrl_info(log, &in);
            hdrs[opened] = in.hdr;
            hp[opened] = &hdrs[opened];
            map[opened++] = i;
            if (in.problems)
                rc = EXIT_PROBLEMS;
        }
        if (rc > worst)
            worst = rc;
        if (json) {
            json_obj_begin(&j, NULL);
            json_str(&j, "file", path);
            json_bool(&j, "opened", log != NULL);
            json_str(&j, "verdict", rc == 0 ? "ok" : rc == EXIT_PROBLEMS ? "problems" : "error");
            json_u64(&j, "metadata_blocks", in.blocks);
            json_u64(&j, "entries", in.entries);
            json_u64(&j, "bytes_written", in.data_bytes);
            if (in.salvaged) {
                json_bool(&j, "salvaged", 1);
                json_u64(&j, "salvage_end", in.end);
                json_u64(&j, "lost_bytes", in.lost_bytes);
                json_arr_begin(&j, "recovered_blocks");
                struct hrl_block_info bi;
                for (size_t b = 0; hrl_block_get(log, b, &bi) == 0; b++) {
                    json_obj_begin(&j, NULL);
                    json_u64(&j, "offset", bi.offset);
                    json_u64(&j, "data_start", bi.data_start);
                    json_u64(&j, "entries", bi.entries);
                    json_obj_end(&j);
                }
                json_arr_end(&j);
            }
            hrl_plist_json(&j, "problems", &pl);
            json_obj_end(&j);
        } else if (log) {
            if (in.salvaged)
                printf("%s: salvaged %" PRIu64 " metadata blocks, %" PRIu64 " entries, %" PRIu64
                       " bytes written, log ends at %" PRIu64 "; %" PRIu64 " bytes lost\n",
                       path, in.blocks, in.entries, in.data_bytes, in.end, in.lost_bytes);
            char pb[32];
            if (in.problems)
                printf("%s: %s\n", path, cli_plural(pl.n, "problem", "problems", pb, sizeof pb));
            else
                printf("%s: ok (%" PRIu64 " metadata blocks, %" PRIu64 " entries, %" PRIu64
                       " bytes written)\n", path, in.blocks, in.entries, in.data_bytes);
        } else if (rc == EXIT_PROBLEMS) {
            printf("%s: not a usable log\n", path);
        }
        hrl_close(log);
        hrl_plist_free(&pl);
    }
    if (json)
        json_arr_end(&j);
    if (n > 1) {
        struct hrl_plist pl;
        hrl_plist_init(&pl, "log chain", 0);
        struct chain_ctx cc = { argv + optind, map, &pl };
        size_t bad = hrl_chain_order(hp, opened, order, chain_cb, &cc);
        if (bad || opened < n)
            worst = worst > EXIT_PROBLEMS ? worst : EXIT_PROBLEMS;
        if (json) {
            json_obj_begin(&j, "chain");
            json_bool(&j, "ok", bad == 0 && opened == n);
            json_arr_begin(&j, "order");
            for (size_t k = 0; k < opened; k++)
                json_str(&j, NULL, argv[optind + (int)map[order[k]]]);
            json_arr_end(&j);
            hrl_plist_json(&j, "problems", &pl);
            json_obj_end(&j);
        } else {
            printf("chain: %s:", bad ? "problems" : "ok");
            for (size_t k = 0; k < opened; k++)
                printf(" %s", argv[optind + (int)map[order[k]]]);
            printf("\n");
        }
        hrl_plist_free(&pl);
    }
    if (json) {
        json_bool(&j, "ok", worst == EXIT_OK);
        json_obj_end(&j);
        json_end(&j);
    }
    free(hdrs), free(hp), free(map), free(order);
    log_args_free(&logs);
    return worst;
}
