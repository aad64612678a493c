/* vhdx_info.c: `vhdx info [--json] FILE`: one layer's headers, metadata, log
 * state, parent locator and BAT counts (the file is opened alone, no chain). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vhdx.h"
#include "cmds.h"
#include "chain_opts.h"

static const struct cli_opt opts[] = { CLI_OPT_JSON, CLI_OPT_END };
static const struct cli_example examples[] = {
    { "vhdx info disk.vhdx", "type, sizes, GUIDs, log state and BAT counts" },
    { "vhdx info --json snap.avhdx | jq .parent_locator", "where a differencing file expects its parent" },
    { 0, 0 },
};
const struct cli_spec spec_info = {
    "info", "[options] FILE", "show headers, metadata, log state and BAT counts of one file",
    "Shows type, sizes, header GUIDs, virtual disk ID, creator, log state (what a pending replay would "
    "change), parent locator entries and BAT state counts. The file is inspected alone: a differencing "
    "file's parent is not needed.",
    opts, examples,
};

static const char *type_name(enum vhdx_type t)
{
    return t == VHDX_TYPE_FIXED ? "fixed" : t == VHDX_TYPE_DYNAMIC ? "dynamic" : "differencing";
}

static void text(const vhdx *img, const struct vhdx_info *in)
{
    char g[40], h[32], ek[HV_ESCAPE_CAP(4096)], ev[HV_ESCAPE_CAP(4096)]; /* file text, escaped */
    printf("file:                 %s\n", hv_text_escape(vhdx_path(img), ev, sizeof ev));
    printf("type:                 %s\n", type_name(in->type));
    printf("virtual size:         %" PRIu64 " (%s)\n", in->virtual_size,
           cli_human(in->virtual_size, h, sizeof h));
    printf("block size:           %u (%s)\n", in->block_size, cli_human(in->block_size, h, sizeof h));
    printf("logical sector size:  %u\n", in->logical_sector_size);
    printf("physical sector size: %u\n", in->physical_sector_size);
    printf("chunk ratio:          %u\n", in->chunk_ratio);
    printf("file write guid:      %s\n", hv_guid_format(&in->file_write_guid, 1, g));
    printf("data write guid:      %s\n", hv_guid_format(&in->data_write_guid, 1, g));
    printf("log guid:             %s\n", hv_guid_format(&in->log_guid, 1, g));
    printf("virtual disk id:      %s\n", hv_guid_format(&in->virtual_disk_id, 1, g));
    printf("creator:              %s\n", hv_text_escape(in->creator, ev, sizeof ev));
    for (int i = 0; i < 2; i++) {
        if (in->header_valid[i])
            printf("header %d:             sequence %" PRIu64 "%s\n", i + 1, in->header_seq[i],
                   in->current_header == i ? " (current)" : "");
        else
            printf("header %d:             invalid\n", i + 1);
    }
    printf("region table:         copy %d\n", in->region_copy + 1);
    printf("file size:            %" PRIu64 "\n", in->file_size);
    const struct vhdx_log_info *l = &in->log;
    printf("log:                  %u bytes at 0x%" PRIx64 "\n", l->log_length, l->log_offset);
    if (l->pending) {
        printf("log state:            replay pending (replayed in memory; the file is not changed)\n");
        printf("  active sequence:    %u entries, sequence %" PRIu64 "..%" PRIu64
               ", %u stale entries ignored\n",
               l->entries, l->seq_first, l->seq_last, l->stale_entries);
        printf("  descriptors:        %u data, %u zero (%" PRIu64 " bytes)\n", l->data_descriptors,
               l->zero_descriptors, l->zero_bytes);
        printf("  would change:       %" PRIu64 " sectors, %" PRIu64 " BAT entries, file growth %" PRIu64
               " bytes\n",
               l->sectors_changed, l->bat_entries_changed, l->file_growth);
        printf("  flushed/last:       0x%" PRIx64 " / 0x%" PRIx64 "\n", l->flushed_file_offset,
               l->last_file_offset);
    } else if (l->no_valid_sequence) {
        printf("log state:            log GUID set but no valid sequence (treated as clean)\n");
    } else {
        printf("log state:            clean\n");
    }
    if (in->locator_entries) {
        printf("parent locator:\n");
        for (size_t i = 0; i < in->locator_entries; i++) {
            const char *k, *v;
            if (vhdx_locator_entry(img, i, &k, &v) == 0)
                printf("  %s = %s\n", hv_text_escape(k, ek, sizeof ek), hv_text_escape(v, ev, sizeof ev));
        }
    }
    printf("BAT:                  %" PRIu64 " entries (%" PRIu64 " payload, %" PRIu64 " bitmap chunks)\n",
           in->bat_entries, in->data_blocks, in->sb_blocks);
    for (int s = 0; s < 8; s++)
        if (in->payload_states[s])
            printf("  %-19s %" PRIu64 "\n", vhdx_block_state_name(s), in->payload_states[s]);
    if (in->sb_states[6])
        printf("  %-19s %" PRIu64 "\n", "SB_PRESENT", in->sb_states[6]);
    printf("allocated bytes:      %" PRIu64 "\n", in->allocated_bytes);
    printf("present sectors:      %" PRIu64 "\n", in->present_sectors);
}

static void json(const vhdx *img, const struct vhdx_info *in)
{
    struct json j;
    char g[40];
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_str(&j, "file", vhdx_path(img));
    json_str(&j, "type", type_name(in->type));
    json_u64(&j, "virtual_size", in->virtual_size);
    json_u64(&j, "block_size", in->block_size);
    json_u64(&j, "logical_sector_size", in->logical_sector_size);
    json_u64(&j, "physical_sector_size", in->physical_sector_size);
    json_u64(&j, "chunk_ratio", in->chunk_ratio);
    json_str(&j, "file_write_guid", hv_guid_format(&in->file_write_guid, 1, g));
    json_str(&j, "data_write_guid", hv_guid_format(&in->data_write_guid, 1, g));
    json_str(&j, "log_guid", hv_guid_format(&in->log_guid, 1, g));
    json_str(&j, "virtual_disk_id", hv_guid_format(&in->virtual_disk_id, 1, g));
    json_str(&j, "creator", in->creator);
    json_arr_begin(&j, "headers");
    for (int i = 0; i < 2; i++) {
        json_obj_begin(&j, NULL);
        json_bool(&j, "valid", in->header_valid[i]);
        json_u64(&j, "sequence", in->header_seq[i]);
        json_bool(&j, "current", in->current_header == i);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_u64(&j, "region_table_copy", (uint64_t)in->region_copy + 1);
    json_u64(&j, "file_size", in->file_size);
    const struct vhdx_log_info *l = &in->log;
    json_obj_begin(&j, "log");
    json_u64(&j, "offset", l->log_offset);
    json_u64(&j, "length", l->log_length);
    json_bool(&j, "pending", l->pending);
    json_bool(&j, "no_valid_sequence", l->no_valid_sequence);
    json_u64(&j, "entries", l->entries);
    json_u64(&j, "stale_entries", l->stale_entries);
    json_u64(&j, "sequence_first", l->seq_first);
    json_u64(&j, "sequence_last", l->seq_last);
    json_u64(&j, "data_descriptors", l->data_descriptors);
    json_u64(&j, "zero_descriptors", l->zero_descriptors);
    json_u64(&j, "zero_bytes", l->zero_bytes);
    json_u64(&j, "sectors_changed", l->sectors_changed);
    json_u64(&j, "bat_entries_changed", l->bat_entries_changed);
    json_u64(&j, "flushed_file_offset", l->flushed_file_offset);
    json_u64(&j, "last_file_offset", l->last_file_offset);
    json_u64(&j, "file_growth", l->file_growth);
    json_obj_end(&j);
    json_obj_begin(&j, "parent_locator");
    for (size_t i = 0; i < in->locator_entries; i++) {
        const char *k, *v;
        if (vhdx_locator_entry(img, i, &k, &v) == 0)
            json_str(&j, k, v);
    }
    json_obj_end(&j);
    json_obj_begin(&j, "bat");
    json_u64(&j, "entries", in->bat_entries);
    json_u64(&j, "data_blocks", in->data_blocks);
    json_u64(&j, "sector_bitmap_blocks", in->sb_blocks);
    json_obj_begin(&j, "payload_states");
    for (int s = 0; s < 8; s++)
        json_u64(&j, vhdx_block_state_name(s), in->payload_states[s]);
    json_obj_end(&j);
    json_u64(&j, "sb_present", in->sb_states[6]);
    json_u64(&j, "sb_not_present", in->sb_states[0]);
    json_obj_end(&j);
    json_u64(&j, "allocated_bytes", in->allocated_bytes);
    json_u64(&j, "present_sectors", in->present_sectors);
    json_obj_end(&j);
    json_end(&j);
}

int cmd_info(int argc, char **argv)
{
    struct cli_args a;
    int as_json = 0;
    cli_args_init(&a, &spec_info, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        if (c == CLI_STOP)
            return a.status;
        if (c == 'j')
            as_json = 1, cli_set_json(1);
    }
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    struct chain_opts co;
    chain_opts_init(&co);
    vhdx *img;
    int rc = open_image(argv[optind], &co, VHDX_OPEN_NO_PARENT, &img);
    if (rc)
        return rc;
    struct vhdx_info in;
    vhdx_get_info(img, &in);
    if (as_json)
        json(img, &in);
    else
        text(img, &in);
    vhdx_close(img);
    return EXIT_OK;
}
