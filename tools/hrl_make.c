/* hrl_make.c: `hrl make`: write a log from the difference of two raw images
 * or from a list of writes. The log is written under a temporary name beside
 * OUT and renamed into place only when complete. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrl_cmds.h"
#include "hrl_util.h"
#include "hv_bytes.h"
#include "hv_io.h"

#define SYNOPSIS HRL_SYN_make
#define DETAILS                                                                               \
    "--from OLD --to NEW   log the 512-byte sectors where raw image NEW differs from OLD\n"  \
    "                      (NEW beyond OLD's end is compared against zeros), coalesced\n"    \
    "                      into writes of at most --max-write bytes (default 1M)\n"          \
    "--writes LIST         one write per line: 'OFFSET FILE' (the whole file) or\n"          \
    "                      'OFFSET:LENGTH FILE' (its first LENGTH bytes); a line 'flush'\n"  \
    "                      ends the current metadata block; '#' starts a comment\n"          \
    "-o OUT                the log to create (must not exist)\n"                            \
    "--metadata-size N     bytes per metadata block (default 4096, multiple of 32)\n"       \
    "--no-data-checksum    store DataChecksum 0, as Hyper-V does\n"                         \
    "--empty-first-block   start with an empty metadata block, as Hyper-V does\n"           \
    "--unique-id GUID      this log's UniqueId (default random)\n"                          \
    "--previous GUID       PreviousUniqueId: the log this one follows\n"                    \
    "--vhd2-guid GUID      Vhd2DataWriteGuid: the VHDX DataWriteGuid\n"                     \
    "--time UNIXSECONDS    creation and write time (default now; makes output repeatable)\n" \
    "VHDX inputs are not supported yet: convert them to raw images first.\n"

struct mk {
    hrl_writer *w;
    uint32_t time;
    uint64_t writes, bytes;
};

static int add(struct mk *m, uint64_t off, const void *p, uint64_t len, struct hv_err *err)
{
    if (len > UINT32_MAX)
        return hv_failx(err, HV_USAGE, "write", "a write of %" PRIu64 " bytes exceeds 4 GiB", len);
    m->writes++;
    m->bytes += len;
    return hrl_writer_add(m->w, off, p, (uint32_t)len, m->time, err);
}

static int refuse_vhdx(const struct hv_map *m, const char *path)
{
    if (m->len >= 8 && !memcmp(m->p, "vhdxfile", 8))
        return cli_errorf("'%s': a VHDX image; hrl make takes raw images for now "
                          "(convert with 'vhdx convert' or qemu-img)", path);
    return 0;
}

static int from_to(struct mk *m, const char *oldp, const char *newp, uint64_t max_write,
                   struct hv_err *err)
{
    struct hv_map a, b;
    if (hv_map_file(oldp, &a, err))
        return -1;
    if (hv_map_file(newp, &b, err)) {
        hv_unmap(&a);
        return -1;
    }
    int rc = 0;
    if (refuse_vhdx(&a, oldp) || refuse_vhdx(&b, newp)) {
        rc = -2;
        goto out;
    }
    if (b.len < a.len)
        fprintf(stderr, "%s: '%s' is shorter than '%s'; a log cannot shrink a disk, the "
                "tail is ignored\n", cli_prog(), newp, oldp);
    static const uint8_t zero[512];
    uint64_t run = 0, run_len = 0;
    int in_run = 0;
    for (uint64_t off = 0; off < b.len; off += 512) {
        size_t n = b.len - off < 512 ? (size_t)(b.len - off) : 512;
        const uint8_t *o = off < a.len ? a.p + off : zero;
        size_t on = off < a.len ? (a.len - off < n ? (size_t)(a.len - off) : n) : 0;
        int differs = memcmp(b.p + off, o, on) != 0 ||
                      (on < n && !hv_all_zero(b.p + off + on, n - on));
        if (differs && in_run && run_len + n <= max_write) {
            run_len += n;
            continue;
        }
        if (in_run && (rc = add(m, run, b.p + run, run_len, err)))
            goto out;
        in_run = differs;
        run = off;
        run_len = n;
    }
    if (in_run)
        rc = add(m, run, b.p + run, run_len, err);
out:
    hv_unmap(&a);
    hv_unmap(&b);
    return rc;
}

static int from_list(struct mk *m, const char *list, struct hv_err *err)
{
    FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!f)
        return hv_fail_errno(err, errno, "open", "list '%s'", list);
    char line[8192];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        s[strcspn(s, "#\r\n")] = 0;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
            s[--l] = 0;
        if (!*s)
            continue;
        if (!strcmp(s, "flush")) {
            rc = hrl_writer_flush(m->w, err);
            continue;
        }
        char *sp = strpbrk(s, " \t");
        if (!sp) {
            rc = hv_failx(err, HV_USAGE, "list", "%s line %u: 'OFFSET[:LENGTH] FILE' expected",
                          list, lineno);
            break;
        }
        *sp++ = 0;
        while (*sp == ' ' || *sp == '\t')
            sp++;
        char *colon = strchr(s, ':');
        uint64_t off, len = UINT64_MAX;
        if (colon)
            *colon = 0;
        if (hrl_parse_u64(s, &off) || (colon && hrl_parse_u64(colon + 1, &len))) {
            rc = hv_failx(err, HV_USAGE, "list", "%s line %u: bad offset or length", list, lineno);
            break;
        }
        struct hv_map pm;
        if (hv_map_file(sp, &pm, err)) {
            rc = -1;
            break;
        }
        if (len == UINT64_MAX)
            len = pm.len;
        if (len > pm.len)
            rc = hv_failx(err, HV_USAGE, "list", "%s line %u: '%s' has %zu bytes, %" PRIu64
                          " wanted", list, lineno, sp, pm.len, len);
        else
            rc = add(m, off, pm.p, len, err);
        hv_unmap(&pm);
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

static int parse_guid(const char *s, struct hv_guid *g)
{
    return hv_guid_parse(s, strlen(s), g);
}

int cmd_make(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_WRITES, O_MS, O_NODC, O_EMPTY, O_UID, O_PREV, O_VHD2, O_TIME, O_MAXW };
    static const struct option opts[] = {
        { "from", required_argument, 0, O_FROM }, { "to", required_argument, 0, O_TO },
        { "writes", required_argument, 0, O_WRITES }, { "output", required_argument, 0, 'o' },
        { "metadata-size", required_argument, 0, O_MS },
        { "no-data-checksum", no_argument, 0, O_NODC },
        { "empty-first-block", no_argument, 0, O_EMPTY },
        { "unique-id", required_argument, 0, O_UID }, { "previous", required_argument, 0, O_PREV },
        { "vhd2-guid", required_argument, 0, O_VHD2 }, { "time", required_argument, 0, O_TIME },
        { "max-write", required_argument, 0, O_MAXW },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *from = NULL, *to = NULL, *writes = NULL, *out = NULL;
    struct hrl_writer_opts wo = { 0 };
    uint64_t v, max_write = 1u << 20;
    int64_t unix_time = -1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_FROM: from = optarg; break;
        case O_TO: to = optarg; break;
        case O_WRITES: writes = optarg; break;
        case 'o': out = optarg; break;
        case O_MS:
            if (hrl_parse_u64(optarg, &v) || v < 64 || v % 32 || v > (16u << 20))
                return cli_usage("make", SYNOPSIS, "--metadata-size: a multiple of 32 from 64 to 16M");
            wo.metadata_size = (uint32_t)v;
            break;
        case O_NODC: wo.no_data_checksum = 1; break;
        case O_EMPTY: wo.empty_first_block = 1; break;
        case O_UID:
            if (parse_guid(optarg, &wo.unique_id))
                return cli_usage("make", SYNOPSIS, "--unique-id: bad GUID '%s'", optarg);
            break;
        case O_PREV:
            if (parse_guid(optarg, &wo.previous_unique_id))
                return cli_usage("make", SYNOPSIS, "--previous: bad GUID '%s'", optarg);
            break;
        case O_VHD2:
            if (parse_guid(optarg, &wo.vhd2_guid))
                return cli_usage("make", SYNOPSIS, "--vhd2-guid: bad GUID '%s'", optarg);
            break;
        case O_TIME:
            if (hrl_parse_u64(optarg, &v) || v <= HRL_EPOCH_UNIX || v - HRL_EPOCH_UNIX > UINT32_MAX)
                return cli_usage("make", SYNOPSIS, "--time: Unix seconds after 2000 expected");
            unix_time = (int64_t)v;
            break;
        case O_MAXW:
            if (hrl_parse_u64(optarg, &v) || v < 512 || v > (1u << 30))
                return cli_usage("make", SYNOPSIS, "--max-write: 512 to 1G");
            max_write = v;
            break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("make", SYNOPSIS, "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage("make", SYNOPSIS, "unexpected argument '%s'", argv[optind]);
    if (!out)
        return cli_usage("make", SYNOPSIS, "-o OUT is required");
    if (!!writes == !!(from || to) || (!writes && !(from && to)))
        return cli_usage("make", SYNOPSIS, "give either --from and --to, or --writes");
    if (access(out, F_OK) == 0)
        return cli_errorf("'%s': file exists", out);
    struct mk m = { 0 };
    m.time = unix_time > 0 ? (uint32_t)(unix_time - HRL_EPOCH_UNIX) : hrl_time_now();
    wo.created = unix_time > 0 ? m.time : 0;

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    struct hv_err err;
    hv_err_clear(&err);
    if (hrl_writer_create(tmp, &wo, &m.w, &err))
        return cli_error(&err);
    int rc = writes ? from_list(&m, writes, &err) : from_to(&m, from, to, max_write, &err);
    if (rc) {
        hrl_writer_abort(m.w);
        unlink(tmp);
        return rc == -2 ? EXIT_ERROR : cli_error(&err);
    }
    struct hv_guid uid;
    if (hrl_writer_close(m.w, &uid, &err)) {
        unlink(tmp);
        return cli_error(&err);
    }
    if (rename(tmp, out) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_errorf("'%s': cannot rename into place: %s", out, strerror(e));
    }
    char g[40];
    printf("%s: %" PRIu64 " writes, %" PRIu64 " bytes, unique id %s\n", out, m.writes, m.bytes,
           hv_guid_format(&uid, 1, g));
    return EXIT_OK;
}
