/* hrl_extract.c: `hrl extract`: one entry's payload, or the final content of
 * a disk range after replaying the log over zeros (last write wins), with the
 * map of which bytes of the range the log covered. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "util.h"

static const struct cli_opt opts[] = {
    { "entry", 'e', "N", "the payload of entry N (0-based, log order, as 'hrl dump' shows)" },
    { "range", 'r', "OFFSET:LENGTH", "the disk bytes [OFFSET, OFFSET+LENGTH) after replaying every write "
                                     "over zeros; the covered parts are listed on standard error" },
    { "output", 'o', "OUT", "write the bytes to the new file OUT instead of standard output" },
    { "force", 'f', NULL, "overwrite OUT if it exists" },
    CLI_OPT_JSON,
    { "salvage", 's', NULL, "recover an unclosed or torn log by scanning for blocks" },
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl extract HRL_0001.hrl --entry 3 -o e3.bin", "the payload of the fourth entry" },
    { "hrl extract HRL_0001.hrl --range 1M:64K --json -o part.bin",
      "64 KiB at disk offset 1 MiB as the log leaves them, with the coverage map as JSON" },
    { 0, 0 },
};
const struct cli_spec spec_extract = {
    "extract", "[options] FILE (--entry N | --range OFFSET:LENGTH)",
    "write an entry's payload or a replayed disk range",
    "Writes the payload of one entry, or a range of the disk as the log's writes leave it (over zeros), "
    "to OUT or to standard output (never to a terminal). OUT must not exist unless --force.",
    opts, examples,
};

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int copy_to_stdout(int fd, uint64_t len)
{
    uint8_t buf[1 << 14];
    uint64_t off = 0;
    while (off < len) {
        size_t n = len - off < sizeof buf ? (size_t)(len - off) : sizeof buf;
        ssize_t r = pread(fd, buf, n, (off_t)off);
        if (r <= 0)
            return -1;
        if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r)
            return -1;
        off += (uint64_t)r;
    }
    return 0;
}

/* Checks one payload's DataChecksum (when present); prints a problem line. */
static int payload_ok(const char *path, const struct hrl_entry *e)
{
    if (!e->data_checksum)
        return 1;
    uint32_t c = hrl_checksum(e->payload, e->length, HRL_NO_SKIP);
    if (c == e->data_checksum)
        return 1;
    fprintf(stderr, "%s: '%s': payload of metadata entry %u of block at 0x%" PRIx64
            ": data checksum 0x%08x, computed 0x%08x [%s at 0x%" PRIx64 "]\n", cli_prog(), path,
            e->slot, e->block_offset, e->data_checksum, c, hrl_kind_name(HRL_P_DATA_CHECKSUM),
            e->payload_offset);
    return 0;
}

struct cov {
    struct json *j;
    int text;
};

static void cov_cb(void *ctx, uint64_t a, uint64_t b)
{
    struct cov *c = ctx;
    if (c->j) {
        json_obj_begin(c->j, NULL);
        json_u64(c->j, "offset", a);
        json_u64(c->j, "length", b - a);
        json_obj_end(c->j);
    } else {
        fprintf(stderr, "covered: %" PRIu64 ":%" PRIu64 "\n", a, b - a);
    }
}

int cmd_extract(int argc, char **argv)
{
    int json = 0, have_entry = 0, have_range = 0, force = 0;
    unsigned flags = 0;
    uint64_t entry = 0, roff = 0, rlen = 0;
    const char *out = NULL;
    struct cli_args a;
    cli_args_init(&a, &spec_extract, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        switch (c) {
        case CLI_STOP: return a.status;
        case 'j': json = 1, cli_set_json(1); break;
        case 's': flags |= HRL_OPEN_SALVAGE; break;
        case 'f': force = 1; break;
        case 'e':
            if (cli_u64_arg("entry", a.arg, UINT32_MAX, &entry))
                return EXIT_ERROR;
            have_entry = 1;
            break;
        case 'r': {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", a.arg);
            char *colon = strchr(buf, ':');
            if (colon)
                *colon = 0;
            if (!colon || hrl_parse_u64(buf, &roff) || hrl_parse_u64(colon + 1, &rlen) || rlen == 0 ||
                roff + rlen < roff)
                return cli_bad("--range: '%s' is not OFFSET:LENGTH with LENGTH > 0, e.g. --range 1M:64K", a.arg);
            have_range = 1;
            break;
        }
        case 'o': out = a.arg; break;
        }
    }
    if (optind + 1 != argc)
        return optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
    if (have_entry == have_range)
        return cli_bad("give one of --entry N and --range OFFSET:LENGTH");
    if (json && !out)
        return cli_bad("--json prints the coverage map on standard output: give -o OUT for the bytes");
    if (!out && isatty(STDOUT_FILENO))
        return cli_bad("standard output is a terminal: give -o OUT or redirect it");
    if (out && !force && access(out, F_OK) == 0)
        return cli_bad("'%s' exists; remove it or give --force to overwrite it", out);
    const char *path = argv[optind];
    struct hrl_plist pl;
    hrl_log *log;
    int rc = hrl_tool_open_file(path, flags, &pl, &log);
    if (rc)
        return rc;
    int fd = out ? open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    FILE *tf = NULL;
    if (!out) {
        tf = tmpfile();
        fd = tf ? fileno(tf) : -1;
    }
    if (fd < 0) {
        rc = cli_errorf("'%s': cannot create: %s", out ? out : "temporary file", strerror(errno));
        goto done;
    }
    struct hrl_iter it;
    struct hrl_entry e;
    /* Only the payloads extracted are checked: extracting the last entry of a
     * big log must not checksum all the others. */
    uint64_t bad_payloads = 0;
    hrl_iter_init(log, 0, &it);
    if (have_entry) {
        int found = 0;
        while (hrl_iter_next(&it, &e))
            if (e.index == entry) {
                found = 1;
                break;
            }
        if (!found) {
            struct hrl_info in;
            hrl_info(log, &in);
            rc = cli_errorf("'%s': no entry %" PRIu64 " (the log has %" PRIu64 ")", path, entry,
                            in.entries);
            if (in.problems) /* the entry may be in the damaged part */
                rc = EXIT_PROBLEMS;
            goto done;
        }
        bad_payloads += !payload_ok(path, &e);
        if (write_all(fd, e.payload, e.length, 0) || (!out && copy_to_stdout(fd, e.length))) {
            rc = cli_errorf("cannot write the payload: %s", strerror(errno));
            goto done;
        }
        if (json) {
            struct json j;
            json_init(&j, stdout);
            json_obj_begin(&j, NULL);
            json_u64(&j, "index", e.index);
            json_u64(&j, "disk_offset", e.disk_offset);
            json_u64(&j, "length", e.length);
            json_u64(&j, "payload_offset", e.payload_offset);
            json_obj_end(&j);
            json_end(&j);
        }
    } else {
        struct ivset iv;
        if (ivset_init(&iv, 1u << 16) || ftruncate(fd, (off_t)rlen) != 0) {
            rc = cli_errorf("cannot prepare the output: %s", strerror(errno));
            goto done;
        }
        uint64_t rend = roff + rlen;
        while (hrl_iter_next(&it, &e)) {
            uint64_t a = e.disk_offset, b = e.disk_offset + e.length;
            if (b <= roff || a >= rend)
                continue;
            uint64_t ca = a > roff ? a : roff, cb = b < rend ? b : rend;
            bad_payloads += !payload_ok(path, &e);
            if (write_all(fd, e.payload + (ca - a), (size_t)(cb - ca), ca - roff) ||
                ivset_add(&iv, ca, cb)) {
                rc = cli_errorf("cannot write the range: %s", strerror(errno));
                ivset_free(&iv);
                goto done;
            }
        }
        if (!out && copy_to_stdout(fd, rlen)) {
            rc = cli_errorf("cannot write standard output");
            ivset_free(&iv);
            goto done;
        }
        struct json j;
        struct cov cv = { json ? &j : NULL, 1 };
        if (json) {
            json_init(&j, stdout);
            json_obj_begin(&j, NULL);
            json_u64(&j, "offset", roff);
            json_u64(&j, "length", rlen);
            json_arr_begin(&j, "covered");
        }
        uint64_t total = ivset_walk(&iv, cov_cb, &cv);
        if (json) {
            json_arr_end(&j);
            json_u64(&j, "covered_bytes", total);
            json_obj_end(&j);
            json_end(&j);
        } else {
            fprintf(stderr, "covered %" PRIu64 " of %" PRIu64 " bytes\n", total, rlen);
        }
        ivset_free(&iv);
    }
    struct hrl_info in;
    hrl_info(log, &in);
    rc = in.problems || bad_payloads ? EXIT_PROBLEMS : EXIT_OK;
done:
    if (tf)
        fclose(tf);
    else if (fd >= 0)
        close(fd);
    hrl_close(log);
    hrl_plist_free(&pl);
    return rc;
}
