/* hrl_dump.c: `hrl dump`: one row per entry in log order. The CSV path is the
 * fast one (a million entries well under 2 s): rows are formatted by hand
 * into a 1 MiB buffer and written with fwrite, timestamps formatted once per
 * distinct second. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "util.h"

static const struct cli_opt opts[] = {
    CLI_OPT_JSON,
    { "csv", 'c', NULL, "comma-separated values with a header line" },
    { "salvage", 's', NULL, "recover an unclosed or torn log by scanning for blocks" },
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl dump HRL_0001.hrl | head", "the first entries: where each write went and its checksums" },
    { "hrl dump --csv HRL_0001.hrl > entries.csv", "a table for a spreadsheet" },
    { 0, 0 },
};
const struct cli_spec spec_dump = {
    "dump", "[options] FILE", "list every entry in log order",
    "One row per entry: index, metadata block offset, slot, disk offset, length, timestamp, payload file "
    "offset, entry checksum and data checksum verdicts (data: none when DataChecksum is 0). Exit 1 when "
    "the log has problems.",
    opts, examples,
};

static const char *const data_names[] = { "none", "unchecked", "ok", "bad" };

struct out {
    char buf[1 << 20];
    size_t n;
};

static void out_flush(struct out *o)
{
    fwrite(o->buf, 1, o->n, stdout);
    o->n = 0;
}

static inline void put_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        o->buf[o->n++] = tmp[--i];
}

static inline void put_str(struct out *o, const char *s, size_t len)
{
    memcpy(o->buf + o->n, s, len);
    o->n += len;
}

static inline void put_c(struct out *o, char c)
{
    o->buf[o->n++] = c;
}

static int dump_csv(hrl_log *log)
{
    struct out *o = malloc(sizeof *o); /* 1 MiB: too big for the stack */
    if (!o)
        return cli_errorf("out of memory");
    struct hrl_iter it;
    struct hrl_entry e;
    char ts[40];
    size_t tslen = 0;
    uint32_t last_t = 0;
    int have_t = 0;
    o->n = 0;
    static const char head[] = "index,block_offset,slot,disk_offset,length,timestamp,"
                               "payload_offset,entry_checksum,data_checksum\n";
    put_str(o, head, sizeof head - 1);
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    while (hrl_iter_next(&it, &e)) {
        if (o->n > sizeof o->buf - 512) /* a row is < 250 bytes */
            out_flush(o);
        if (!have_t || e.timestamp != last_t) {
            hrl_time_str(e.timestamp, ts, sizeof ts);
            tslen = strlen(ts);
            last_t = e.timestamp;
            have_t = 1;
        }
        put_u64(o, e.index); put_c(o, ',');
        put_u64(o, e.block_offset); put_c(o, ',');
        put_u64(o, e.slot); put_c(o, ',');
        put_u64(o, e.disk_offset); put_c(o, ',');
        put_u64(o, e.length); put_c(o, ',');
        put_str(o, ts, tslen); put_c(o, ',');
        put_u64(o, e.payload_offset); put_c(o, ',');
        put_str(o, e.entry_ok ? "ok," : "bad,", e.entry_ok ? 3 : 4);
        const char *d = data_names[e.data];
        put_str(o, d, strlen(d));
        put_c(o, '\n');
    }
    out_flush(o);
    free(o);
    return 0;
}

static void dump_json(hrl_log *log, const struct hrl_plist *pl)
{
    struct json j;
    struct hrl_iter it;
    struct hrl_entry e;
    char ts[40];
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_arr_begin(&j, "entries");
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    while (hrl_iter_next(&it, &e)) {
        json_obj_begin(&j, NULL);
        json_u64(&j, "index", e.index);
        json_u64(&j, "block_offset", e.block_offset);
        json_u64(&j, "slot", e.slot);
        json_u64(&j, "disk_offset", e.disk_offset);
        json_u64(&j, "length", e.length);
        json_str(&j, "timestamp", hrl_time_str(e.timestamp, ts, sizeof ts));
        json_u64(&j, "payload_offset", e.payload_offset);
        json_str(&j, "entry_checksum", e.entry_ok ? "ok" : "bad");
        json_str(&j, "data_checksum", data_names[e.data]);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    hrl_plist_json(&j, "problems", pl);
    json_obj_end(&j);
    json_end(&j);
}

static void dump_text(hrl_log *log)
{
    struct hrl_iter it;
    struct hrl_entry e;
    char ts[40];
    printf("%8s %12s %5s %16s %9s %-20s %12s %5s %s\n", "index", "block", "slot", "disk offset",
           "length", "timestamp", "payload", "entry", "data");
    hrl_iter_init(log, HRL_ITER_DATA, &it);
    while (hrl_iter_next(&it, &e))
        printf("%8" PRIu64 " %#12" PRIx64 " %5u %#16" PRIx64 " %9u %-20s %#12" PRIx64 " %5s %s\n",
               e.index, e.block_offset, e.slot, e.disk_offset, e.length,
               hrl_time_str(e.timestamp, ts, sizeof ts), e.payload_offset,
               e.entry_ok ? "ok" : "bad", data_names[e.data]);
}

int cmd_dump(int argc, char **argv)
{
    int json = 0, csv = 0;
    unsigned flags = 0;
    struct cli_args a;
    cli_args_init(&a, &spec_dump, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        switch (c) {
        case CLI_STOP: return a.status;
        case 'j': json = 1, cli_set_json(1); break;
        case 'c': csv = 1; break;
        case 's': flags |= HRL_OPEN_SALVAGE; break;
        }
    }
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    if (json && csv)
        return cli_bad("--json and --csv exclude each other");
    const char *path = argv[optind];
    struct hrl_plist pl;
    hrl_log *log;
    int rc = hrl_tool_open_file(path, flags, &pl, &log);
    if (rc)
        return rc;
    if (csv && dump_csv(log)) {
        hrl_close(log);
        hrl_plist_free(&pl);
        return EXIT_ERROR;
    }
    if (json)
        dump_json(log, &pl);
    else if (!csv)
        dump_text(log);
    struct hrl_info in;
    hrl_info(log, &in);
    hrl_close(log);
    hrl_plist_free(&pl);
    return in.problems ? EXIT_PROBLEMS : EXIT_OK;
}
