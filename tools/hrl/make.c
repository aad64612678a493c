/* hrl_make.c: `hrl make`: write a log from the difference of two images (raw
 * or VHDX, compared by libhrl's hrl_diff) or from a list of writes. The log
 * is written under a temporary name beside OUT and renamed into place only
 * when complete. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "hrl_diff.h"
#include "util.h"
#include "hv_io.h"
#include "hv_publish.h"
#include "chain_opts.h"

#define SYNOPSIS HRL_SYN_make
#define DETAILS                                                                               \
    "--from OLD --to NEW   log the 512-byte sectors where image NEW differs from OLD,\n"       \
    "                      coalesced into writes of at most --max-write bytes (default 1M).\n" \
    "                      Each is a raw image or a VHDX (chain), told apart by content.\n"  \
    "                      Two raw images may differ in size (NEW beyond OLD's end is\n"     \
    "                      compared against zeros); with a VHDX the sizes must be equal\n"    \
    "--writes LIST         one write per line: 'OFFSET FILE' (the whole file) or\n"          \
    "                      'OFFSET:LENGTH FILE' (its first LENGTH bytes); a line 'flush'\n"  \
    "                      ends the current metadata block; '#' starts a comment\n"          \
    "-o OUT                the log to create (must not exist)\n"                            \
    "--metadata-size N     bytes per metadata block (default 4096, multiple of 32)\n"       \
    "--no-data-checksum    store DataChecksum 0, as Hyper-V does\n"                         \
    "--empty-first-block   start with an empty metadata block, as Hyper-V does\n"           \
    "--unique-id GUID      this log's UniqueId (default random)\n"                          \
    "--previous GUID       PreviousUniqueId: the log this one follows\n"                    \
    "--vhd2-guid GUID      Vhd2DataWriteGuid: the VHDX DataWriteGuid the log applies to\n"  \
    "                      (default: OLD's DataWriteGuid when OLD is a VHDX, else zero)\n"  \
    "--time UNIXSECONDS    creation and write time (default now; makes output repeatable)\n" \
    CHAIN_HELP                                                                                \
    "                      (both apply to OLD's and NEW's parents)\n"

enum { O_FROM = 256, O_TO, O_WRITES, O_MS, O_NODC, O_EMPTY, O_UID, O_PREV, O_VHD2, O_TIME, O_MAXW };

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
        else if (len > UINT64_MAX - off)
            rc = hv_failx(err, HV_USAGE, "list", "%s line %u: disk range 0x%" PRIx64 " + %" PRIu64
                          " bytes wraps past 2^64", list, lineno, off, len);
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

/* The two images of --from/--to, opened before the writer so that OLD's
 * identity can go into the log header. */
struct images {
    hrl_image *old, *new;
};

static void close_images(struct images *im)
{
    hrl_image_close(im->old);
    hrl_image_close(im->new);
}

static int open_images(const char *from, const char *to, const struct chain_opts *c,
                       struct images *im)
{
    struct hv_err err;
    hv_err_clear(&err);
    if (hrl_image_open(from, &c->o, &im->old, &err) || hrl_image_open(to, &c->o, &im->new, &err))
        return cli_error(&err);
    if (hrl_diff_check(im->old, im->new, &err))
        return cli_error(&err);
    if (!hrl_image_vhdx(im->old) && !hrl_image_vhdx(im->new) &&
        hrl_image_size(im->new) < hrl_image_size(im->old))
        fprintf(stderr, "%s: '%s' is shorter than '%s'; a log cannot shrink a disk, the "
                "tail is ignored\n", cli_prog(), to, from);
    return EXIT_OK;
}

/* A log describes changes to one VHDX state, so when OLD is that VHDX and no
 * --vhd2-guid was given, its DataWriteGuid is the one `hrl restore` expects. */
static void default_vhd2_guid(const hrl_image *old, struct hrl_writer_opts *wo)
{
    struct vhdx_info info;
    const vhdx *v = hrl_image_vhdx(old);
    if (v && vhdx_get_info(v, &info) == 0)
        wo->vhd2_guid = info.data_write_guid;
}

/* Writes the log under a temporary name beside OUT, renamed in when complete. */
static int write_log(const char *out, const struct hrl_writer_opts *wo, struct mk *m,
                     struct images *im, const char *writes, uint64_t max_write)
{
    char tmp[4096];
    struct hv_err err;
    hv_err_clear(&err);
    if (hv_tmp_sibling(out, tmp, sizeof tmp, &err) || hrl_writer_create(tmp, wo, &m->w, &err))
        return cli_error(&err);
    struct hrl_diff_stats st = { 0 };
    int rc = writes ? from_list(m, writes, &err)
                    : hrl_diff(im->old, im->new, m->w, max_write, m->time, &st, &err);
    m->writes += st.writes;
    m->bytes += st.bytes;
    if (rc) {
        hrl_writer_abort(m->w);
        unlink(tmp);
        if (!strncmp(err.file, tmp, sizeof err.file)) /* the user never saw that name */
            snprintf(err.file, sizeof err.file, "%s", out);
        return cli_error(&err);
    }
    struct hv_guid uid;
    if (hrl_writer_close(m->w, &uid, &err)) {
        unlink(tmp);
        return cli_error(&err);
    }
    if (hv_publish_tmp(tmp, out, &err)) {
        unlink(tmp);
        return cli_error(&err);
    }
    char g[40];
    printf("%s: %" PRIu64 " writes, %" PRIu64 " bytes, unique id %s\n", out, m->writes, m->bytes,
           hv_guid_format(&uid, 1, g));
    return EXIT_OK;
}

struct make_args {
    const char *from, *to, *writes, *out;
    struct hrl_writer_opts wo;
    uint64_t max_write;
    int64_t unix_time;
    int vhd2_given;
    struct chain_opts chain;
};

/* parse_opt/parse_args results besides exit statuses. */
enum { OPT_TAKEN = -1, OPT_HELP_SHOWN = -2 };

/* Parses one option into *a: OPT_TAKEN, OPT_HELP_SHOWN or an exit status. */
static int parse_opt(int c, const char *arg, struct make_args *a)
{
    uint64_t v;
    int r = chain_opt(&a->chain, c, arg);
    if (r)
        return r > 0 ? OPT_TAKEN : cli_usage("make", SYNOPSIS, "bad --map or --search-path value");
    switch (c) {
    case O_FROM: a->from = arg; return OPT_TAKEN;
    case O_TO: a->to = arg; return OPT_TAKEN;
    case O_WRITES: a->writes = arg; return OPT_TAKEN;
    case 'o': a->out = arg; return OPT_TAKEN;
    case O_MS:
        if (hrl_parse_u64(arg, &v) || v < 64 || v % 32 || v > (16u << 20))
            return cli_usage("make", SYNOPSIS, "--metadata-size: a multiple of 32 from 64 to 16M");
        a->wo.metadata_size = (uint32_t)v;
        return OPT_TAKEN;
    case O_NODC: a->wo.no_data_checksum = 1; return OPT_TAKEN;
    case O_EMPTY: a->wo.empty_first_block = 1; return OPT_TAKEN;
    case O_UID:
        if (parse_guid(arg, &a->wo.unique_id))
            return cli_usage("make", SYNOPSIS, "--unique-id: bad GUID '%s'", arg);
        return OPT_TAKEN;
    case O_PREV:
        if (parse_guid(arg, &a->wo.previous_unique_id))
            return cli_usage("make", SYNOPSIS, "--previous: bad GUID '%s'", arg);
        return OPT_TAKEN;
    case O_VHD2:
        if (parse_guid(arg, &a->wo.vhd2_guid))
            return cli_usage("make", SYNOPSIS, "--vhd2-guid: bad GUID '%s'", arg);
        a->vhd2_given = 1;
        return OPT_TAKEN;
    case O_TIME:
        if (hrl_parse_u64(arg, &v) || v <= HRL_EPOCH_UNIX || v - HRL_EPOCH_UNIX > UINT32_MAX)
            return cli_usage("make", SYNOPSIS, "--time: Unix seconds after 2000 expected");
        a->unix_time = (int64_t)v;
        return OPT_TAKEN;
    case O_MAXW:
        if (hrl_parse_u64(arg, &v) || v < 512 || v > (1u << 30))
            return cli_usage("make", SYNOPSIS, "--max-write: 512 to 1G");
        a->max_write = v;
        return OPT_TAKEN;
    case 'h': cli_help(SYNOPSIS, DETAILS); return OPT_HELP_SHOWN;
    default: return cli_usage("make", SYNOPSIS, "unknown option");
    }
}

static int parse_args(int argc, char **argv, struct make_args *a)
{
    static const struct option opts[] = {
        { "from", required_argument, 0, O_FROM }, { "to", required_argument, 0, O_TO },
        { "writes", required_argument, 0, O_WRITES }, { "output", required_argument, 0, 'o' },
        { "metadata-size", required_argument, 0, O_MS },
        { "no-data-checksum", no_argument, 0, O_NODC },
        { "empty-first-block", no_argument, 0, O_EMPTY },
        { "unique-id", required_argument, 0, O_UID }, { "previous", required_argument, 0, O_PREV },
        { "vhd2-guid", required_argument, 0, O_VHD2 }, { "time", required_argument, 0, O_TIME },
        { "max-write", required_argument, 0, O_MAXW }, CHAIN_LONGOPTS,
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int c, rc;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1)
        if ((rc = parse_opt(c, optarg, a)) != OPT_TAKEN)
            return rc;
    if (optind != argc)
        return cli_usage("make", SYNOPSIS, "unexpected argument '%s'", argv[optind]);
    if (!a->out)
        return cli_usage("make", SYNOPSIS, "-o OUT is required");
    if (!!a->writes == !!(a->from || a->to) || (!a->writes && !(a->from && a->to)))
        return cli_usage("make", SYNOPSIS, "give either --from and --to, or --writes");
    if (access(a->out, F_OK) == 0)
        return cli_errorf("'%s': file exists", a->out);
    return EXIT_OK;
}

int cmd_make(int argc, char **argv)
{
    struct make_args a = { .max_write = 1u << 20, .unix_time = -1 };
    chain_opts_init(&a.chain);
    struct images im = { 0 };
    int rc = parse_args(argc, argv, &a);
    if (rc == EXIT_OK && !a.writes && (rc = open_images(a.from, a.to, &a.chain, &im)) == EXIT_OK &&
        !a.vhd2_given)
        default_vhd2_guid(im.old, &a.wo);
    if (rc == EXIT_OK) {
        struct mk m = { 0 };
        m.time = a.unix_time > 0 ? (uint32_t)(a.unix_time - HRL_EPOCH_UNIX) : hrl_time_now();
        a.wo.created = a.unix_time > 0 ? m.time : 0;
        rc = write_log(a.out, &a.wo, &m, &im, a.writes, a.max_write);
    }
    close_images(&im);
    chain_opts_free(&a.chain);
    return rc == OPT_HELP_SHOWN ? EXIT_OK : rc;
}
