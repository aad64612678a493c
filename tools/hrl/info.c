/* hrl_info.c: `hrl info`: the decoded header, counts, times, bytes written,
 * distinct disk bytes touched, and a verdict. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "util.h"

static const struct cli_opt opts[] = { CLI_OPT_JSON, { "salvage", 's', NULL, "recover an unclosed or torn log by scanning for blocks" }, CLI_OPT_END };
static const struct cli_example examples[] = {
    { "hrl info HRL_0001.hrl", "header, times, counts, bytes written and a verdict" },
    { "hrl info --salvage --json torn.hrl", "what can be recovered from a log that was never closed" },
    { 0, 0 },
};
const struct cli_spec spec_info = {
    "info", "[options] FILE", "decode the header and summarise the log",
    "Decodes the header (times in ISO-8601 UTC), counts metadata blocks and entries, sums the bytes "
    "written and the distinct disk bytes they touch, and checks every checksum. Exit 0 when the log is "
    "sound, 1 when it has problems.",
    opts, examples,
};

static void print_text(const char *path, const struct hrl_info *in, uint64_t distinct)
{
    const struct hrl_header *h = &in->hdr;
    char t[40], g[40];
    printf("file:                  %s%s\n", path, in->gzip ? " (gzip)" : "");
    printf("format version:        %u.%u\n", h->version >> 16, h->version & 0xFFFF);
    printf("created:               %s\n", hrl_time_str(h->timestamp, t, sizeof t));
    printf("last modified:         %s\n", hrl_time_str(h->last_modified, t, sizeof t));
    char app[4 * 4 + 1]; /* four bytes, each at worst \xHH */
    cli_text((const char *)h->creator_app, strnlen((const char *)h->creator_app, 4), app,
             sizeof app);
    printf("creator:               \"%s\" version %u.%u\n", app, h->creator_version >> 16,
           h->creator_version & 0xFFFF);
    printf("original size:         %" PRIu64 "\n", h->original_size);
    printf("current size:          %" PRIu64 "\n", h->current_size);
    printf("file size:             %" PRIu64 "\n", in->file_size);
    printf("eol location:          %" PRIu64 "%s\n", h->eol, h->eol ? "" : " (never closed)");
    printf("metadata size:         %u\n", h->metadata_size);
    printf("unique id:             %s\n", hv_guid_format(&h->unique_id, 1, g));
    printf("previous unique id:    %s\n", hv_guid_format(&h->previous_unique_id, 1, g));
    printf("vhd2 data write guid:  %s\n", hv_guid_format(&h->vhd2_guid, 1, g));
    printf("file type:             %u\n", h->file_type);
    printf("header checksum:       0x%08x\n", h->checksum);
    printf("total entries (header): %" PRIu64 "\n", h->total_entries);
    printf("metadata blocks:       %" PRIu64 "\n", in->blocks);
    printf("entries:               %" PRIu64 "\n", in->entries);
    printf("first write:           %s\n", in->entries ? hrl_time_str(in->first_time, t, sizeof t) : "-");
    printf("last write:            %s\n", in->entries ? hrl_time_str(in->last_time, t, sizeof t) : "-");
    printf("bytes written:         %" PRIu64 "\n", in->data_bytes);
    printf("distinct bytes:        %" PRIu64 "\n", distinct);
    if (in->salvaged)
        printf("salvaged:              %" PRIu64 " blocks up to %" PRIu64 ", %" PRIu64
               " bytes lost\n", in->blocks, in->end, in->lost_bytes);
    if (in->problems)
        printf("verdict:               %" PRIu64 " problem%s\n", in->problems,
               in->problems == 1 ? "" : "s");
    else
        printf("verdict:               ok\n");
}

static void print_json(const char *path, const struct hrl_info *in, uint64_t distinct,
                       const struct hrl_plist *pl)
{
    const struct hrl_header *h = &in->hdr;
    char t[40], g[40];
    struct json j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_str(&j, "file", path);
    json_bool(&j, "gzip", in->gzip);
    json_obj_begin(&j, "header");
    json_strn(&j, "cookie", (const char *)h->cookie, strnlen((const char *)h->cookie, 8));
    json_u64(&j, "version_major", h->version >> 16);
    json_u64(&j, "version_minor", h->version & 0xFFFF);
    json_str(&j, "created", hrl_time_str(h->timestamp, t, sizeof t));
    json_u64(&j, "created_raw", h->timestamp);
    json_strn(&j, "creator_application", (const char *)h->creator_app,
              strnlen((const char *)h->creator_app, 4));
    json_u64(&j, "creator_version", h->creator_version);
    json_u64(&j, "original_size", h->original_size);
    json_u64(&j, "current_size", h->current_size);
    json_u64(&j, "checksum", h->checksum);
    json_u64(&j, "eol_location", h->eol);
    json_i64(&j, "error_code", h->error_code);
    json_u64(&j, "metadata_size", h->metadata_size);
    json_str(&j, "unique_id", hv_guid_format(&h->unique_id, 1, g));
    json_str(&j, "previous_unique_id", hv_guid_format(&h->previous_unique_id, 1, g));
    json_str(&j, "last_modified", hrl_time_str(h->last_modified, t, sizeof t));
    json_u64(&j, "last_modified_raw", h->last_modified);
    json_u64(&j, "total_metadata_entries", h->total_entries);
    json_u64(&j, "file_type", h->file_type);
    json_u64(&j, "flags", h->flags);
    json_str(&j, "vhd2_data_write_guid", hv_guid_format(&h->vhd2_guid, 1, g));
    json_obj_end(&j);
    json_u64(&j, "file_size", in->file_size);
    json_u64(&j, "metadata_blocks", in->blocks);
    json_u64(&j, "entries", in->entries);
    if (in->entries) {
        json_str(&j, "first_write", hrl_time_str(in->first_time, t, sizeof t));
        json_str(&j, "last_write", hrl_time_str(in->last_time, t, sizeof t));
    } else {
        json_null(&j, "first_write");
        json_null(&j, "last_write");
    }
    json_u64(&j, "bytes_written", in->data_bytes);
    json_u64(&j, "distinct_bytes", distinct);
    json_bool(&j, "salvaged", in->salvaged);
    if (in->salvaged) {
        json_u64(&j, "salvage_end", in->end);
        json_u64(&j, "lost_bytes", in->lost_bytes);
    }
    json_str(&j, "verdict", in->problems ? "problems" : "ok");
    hrl_plist_json(&j, "problems", pl);
    json_obj_end(&j);
    json_end(&j);
}

int cmd_info(int argc, char **argv)
{
    int json, st;
    unsigned flags;
    if (hrl_json_salvage_args(argc, argv, &spec_info, &json, &flags, &st) != 0)
        return st;
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    const char *path = argv[optind];
    struct hrl_plist pl;
    hrl_log *log;
    int rc = hrl_tool_open_file(path, flags, &pl, &log);
    if (rc)
        return rc;
    struct ivset iv;
    /* HVK_TEST_IVSET_CAP shrinks the buffer so tests reach the spill path. */
    const char *cap_env = getenv("HVK_TEST_IVSET_CAP");
    size_t cap = cap_env ? (size_t)strtoull(cap_env, NULL, 10) : (size_t)1 << 20;
    if (ivset_init(&iv, cap)) {
        hrl_close(log);
        hrl_plist_free(&pl);
        return cli_errorf("out of memory");
    }
    struct hrl_iter it;
    struct hrl_entry e;
    int ivfail = 0;
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    while (hrl_iter_next(&it, &e))
        ivfail |= ivset_add(&iv, e.disk_offset, e.disk_offset + e.length);
    uint64_t distinct = ivset_walk(&iv, NULL, NULL);
    ivset_free(&iv);
    struct hrl_info in;
    hrl_info(log, &in);
    if (ivfail)
        rc = cli_errorf("'%s': cannot keep the interval union (temporary file)", path);
    else if (json)
        print_json(path, &in, distinct, &pl);
    else
        print_text(path, &in, distinct);
    hrl_close(log);
    hrl_plist_free(&pl);
    return rc ? rc : in.problems ? EXIT_PROBLEMS : EXIT_OK;
}
