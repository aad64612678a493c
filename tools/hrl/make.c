/* hrl_make.c: `hrl make`: write a log from the difference of two images (raw
 * or VHDX, compared by libhrl's hrl_diff) or from a list of writes. The log
 * is written under a temporary name beside OUT and renamed into place only
 * when complete. */
#include <errno.h>
#include <stdarg.h>
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
#include "vhdx_probe.h"

enum { O_FROM = 256, O_TO, O_WRITES, O_MS, O_NODC, O_EMPTY, O_UID, O_PREV, O_VHD2, O_TIME, O_MAXW };

static const struct cli_opt opts[] = {
    { "from", O_FROM, "OLD", "the image before: raw or VHDX (chain), told apart by content" },
    { "to", O_TO, "NEW", "the image after: log the 512-byte sectors where NEW differs from OLD, coalesced "
                         "into writes of at most --max-write bytes. Two raw images may differ in size (NEW "
                         "beyond OLD's end is compared against zeros); with a VHDX the sizes must be equal" },
    { "writes", O_WRITES, "LIST", "one write per line: 'OFFSET FILE' (the whole file) or 'OFFSET:LENGTH "
                                  "FILE' (its first LENGTH bytes); a line 'flush' ends the current "
                                  "metadata block; '#' starts a comment; '-' reads standard input" },
    { "output", 'o', "OUT", "the log to create (must not exist)" },
    { "max-write", O_MAXW, "N", "largest write with --from/--to, 512 to 1G (default 1M)" },
    { "metadata-size", O_MS, "N", "bytes per metadata block, a multiple of 32 from 64 to 16M (default 4096)" },
    { "no-data-checksum", O_NODC, NULL, "store DataChecksum 0, as Hyper-V does" },
    { "empty-first-block", O_EMPTY, NULL, "start with an empty metadata block, as Hyper-V does" },
    { "unique-id", O_UID, "GUID", "this log's UniqueId (default random); braced, dashed or 32 hex digits" },
    { "previous", O_PREV, "GUID", "PreviousUniqueId: the log this one follows" },
    { "vhd2-guid", O_VHD2, "GUID", "Vhd2DataWriteGuid: the VHDX DataWriteGuid the log applies to (default: "
                                   "OLD's DataWriteGuid when OLD is a VHDX, else zero)" },
    { "time", O_TIME, "TIME", "creation and write time (default now; makes output repeatable): ISO-8601 "
                              "with Z or an offset, or @UNIXSECONDS" },
    CLI_OPT_FORMAT,
    CLI_OPT_CHAIN,
    CLI_OPT_JSON,
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl make --from base.vhdx --to changed.vhdx -o HRL_0001.hrl", "a log that turns base into changed" },
    { "hrl make --writes list.txt --time 2026-11-27T10:00:00Z -o test.hrl",
      "a log of hand-picked writes, byte-identical on every run" },
    { 0, 0 },
};
const struct cli_spec spec_make = {
    "make", "(--from OLD --to NEW | --writes LIST) -o OUT [options]",
    "write a log from two images (raw or VHDX) or a list of writes",
    "Writes a new replica log OUT, under a temporary name beside it, renamed into place only when "
    "complete.",
    opts, examples,
};

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

/* An error about line `lineno` of the user's LIST file. */
static int list_err(struct hv_err *err, const char *list, unsigned lineno, const char *fmt, ...) HV_PRINTF(4, 5);
static int list_err(struct hv_err *err, const char *list, unsigned lineno, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char what[32];
    snprintf(what, sizeof what, "line %u", lineno);
    hv_failx(err, HV_USAGE, what, "%s", msg);
    snprintf(err->file, sizeof err->file, "%s", strcmp(list, "-") ? list : "standard input");
    return -1;
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
            rc = list_err(err, list, lineno, "'OFFSET[:LENGTH] FILE' expected, e.g. '1M payload.bin'");
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
            rc = list_err(err, list, lineno, "'%s' is not OFFSET or OFFSET:LENGTH (e.g. 0x100000:4096)", s);
            break;
        }
        struct hv_map pm;
        struct hv_err me;
        hv_err_clear(&me);
        if (hv_map_file(sp, &pm, &me)) {
            rc = list_err(err, list, lineno, "cannot read the payload '%s': %s", sp, me.msg);
            err->code = me.code;
            break;
        }
        if (len == UINT64_MAX)
            len = pm.len;
        if (len > pm.len)
            rc = list_err(err, list, lineno, "'%s' has %zu bytes, %" PRIu64 " wanted", sp, pm.len, len);
        else if (len > UINT64_MAX - off)
            rc = list_err(err, list, lineno, "disk range 0x%" PRIx64 " + %" PRIu64 " bytes wraps past 2^64",
                          off, len);
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
    return cli_parse_guid(s, g);
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

static int open_images(const char *from, const char *to, const struct chain_opts *c, int force_raw,
                       struct images *im)
{
    struct hv_err err;
    hv_err_clear(&err);
    struct vhdx_probe_result pr;
    unsigned accept = VHDX_ACCEPT_IMAGE;
    if (force_raw)
        accept |= (1u << VHDX_KIND_VHD) | (1u << VHDX_KIND_QCOW) | (1u << VHDX_KIND_VMDK) |
                  (1u << VHDX_KIND_VDI) | (1u << VHDX_KIND_ISO) | (1u << VHDX_KIND_GZIP) | (1u << VHDX_KIND_HRL);
    if (vhdx_probe_expect(from, accept, &pr, &err) || vhdx_probe_expect(to, accept, &pr, &err))
        return cli_error(&err);
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
/* An error naming the temporary file names OUT instead (the user's name). */
static int out_error(struct hv_err *err, const char *tmp, const char *out)
{
    if (!strcmp(err->file, tmp))
        snprintf(err->file, sizeof err->file, "%s", out);
    return cli_error(err);
}

static int write_log(const char *out, const struct hrl_writer_opts *wo, struct mk *m,
                     struct images *im, const char *writes, uint64_t max_write, int json)
{
    char tmp[4096];
    struct hv_err err;
    hv_err_clear(&err);
    cli_cleanup_on_signal(out);
    if (hv_tmp_sibling(out, tmp, sizeof tmp, &err) || hrl_writer_create(tmp, wo, &m->w, &err))
        return out_error(&err, tmp, out);
    struct hrl_diff_stats st = { 0 };
    int rc = writes ? from_list(m, writes, &err)
                    : hrl_diff(im->old, im->new, m->w, max_write, m->time, &st, &err);
    m->writes += st.writes;
    m->bytes += st.bytes;
    if (rc) {
        hrl_writer_abort(m->w);
        unlink(tmp);
        return out_error(&err, tmp, out);
    }
    struct hv_guid uid;
    if (hrl_writer_close(m->w, &uid, &err)) {
        unlink(tmp);
        return out_error(&err, tmp, out);
    }
    if (hv_publish_tmp(tmp, out, &err)) {
        unlink(tmp);
        return out_error(&err, tmp, out);
    }
    char g[40], a[40], b[40];
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "action", "make");
        json_str(&j, "file", out);
        json_u64(&j, "writes", m->writes);
        json_u64(&j, "bytes", m->bytes);
        json_str(&j, "unique_id", hv_guid_format(&uid, 1, g));
        json_obj_end(&j);
        json_end(&j);
        return EXIT_OK;
    }
    printf("%s: %s, %s, unique id %s\n", out, cli_plural(m->writes, "write", "writes", a, sizeof a),
           cli_plural(m->bytes, "byte", "bytes", b, sizeof b), hv_guid_format(&uid, 1, g));
    return EXIT_OK;
}

struct make_args {
    const char *from, *to, *writes, *out;
    struct hrl_writer_opts wo;
    uint64_t max_write;
    int64_t unix_time;
    int vhd2_given, json, force_raw;
    struct chain_opts chain;
};

/* parse_args result besides exit statuses. */
enum { OPT_HELP_SHOWN = -2 };

/* Parses one option into *a. @return 0 or an exit status. */
static int parse_opt(int c, const char *arg, struct make_args *a)
{
    uint64_t v;
    int r = chain_opt(&a->chain, c, arg);
    if (r)
        return r > 0 ? 0 : EXIT_ERROR;
    switch (c) {
    case O_FROM: a->from = arg; return 0;
    case O_TO: a->to = arg; return 0;
    case O_WRITES: a->writes = arg; return 0;
    case 'o': a->out = arg; return 0;
    case 'j': a->json = 1, cli_set_json(1); return 0;
    case OPT_FORMAT:
        if (strcmp(arg, "raw"))
            return cli_bad("--format: only 'raw' can be forced ('%s' given)", arg);
        a->force_raw = 1;
        return 0;
    case O_MS:
        if (cli_size_arg("metadata-size", arg, &v))
            return EXIT_ERROR;
        if (v < 64 || v % 32 || v > (16u << 20))
            return cli_bad("--metadata-size: %s is not a multiple of 32 from 64 to 16M (e.g. 4096)", arg);
        a->wo.metadata_size = (uint32_t)v;
        return 0;
    case O_NODC: a->wo.no_data_checksum = 1; return 0;
    case O_EMPTY: a->wo.empty_first_block = 1; return 0;
    case O_UID:
    case O_PREV:
    case O_VHD2: {
        struct hv_guid *g = c == O_UID ? &a->wo.unique_id : c == O_PREV ? &a->wo.previous_unique_id
                                                                         : &a->wo.vhd2_guid;
        if (parse_guid(arg, g))
            return cli_bad("--%s: '%s' is not a GUID; e.g. {3f2504e0-4f89-11d3-9a0c-0305e82c3301}, "
                           "without braces, or 32 hex digits",
                           c == O_UID ? "unique-id" : c == O_PREV ? "previous" : "vhd2-guid", arg);
        a->vhd2_given |= c == O_VHD2;
        return 0;
    }
    case O_TIME: {
        int64_t t;
        /* Bare digits stay Unix seconds, as earlier versions took them. */
        if (strspn(arg, "0123456789") == strlen(arg) && *arg && strlen(arg) < 12) {
            char at[16];
            snprintf(at, sizeof at, "@%s", arg);
            r = cli_parse_time(at, &t);
        } else {
            r = cli_parse_time(arg, &t);
        }
        if (r || t <= HRL_EPOCH_UNIX || t - HRL_EPOCH_UNIX > UINT32_MAX)
            return cli_bad("--time: '%s' is not a time after 2000; e.g. 2026-11-27T10:00:00Z, "
                           "2026-11-27T11:00:00+01:00 or @1795600800",
                           arg);
        a->unix_time = t;
        return 0;
    }
    case O_MAXW:
        if (cli_size_arg("max-write", arg, &v))
            return EXIT_ERROR;
        if (v < 512 || v > (1u << 30) || v % 512)
            return cli_bad("--max-write: %s is not a multiple of 512 from 512 to 1G (e.g. 1M)", arg);
        a->max_write = v;
        return 0;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct make_args *a)
{
    int rc;
    struct cli_args ar;
    cli_args_init(&ar, &spec_make, argc, argv);
    for (int c; (c = cli_next(&ar)) != CLI_END;) {
        if (c == CLI_STOP)
            return ar.status == EXIT_OK ? OPT_HELP_SHOWN : ar.status;
        if ((rc = parse_opt(c, ar.arg, a)) != 0)
            return rc;
    }
    if (optind != argc)
        return cli_bad("unexpected argument '%s' (the output is given with -o OUT)", argv[optind]);
    if (!a->out)
        return cli_bad("-o OUT, the log to create, is needed");
    if (!!a->writes == !!(a->from || a->to) || (!a->writes && !(a->from && a->to)))
        return cli_bad("give either --from OLD and --to NEW, or --writes LIST");
    if (a->writes && a->force_raw)
        return cli_bad("--format raw is for --from and --to");
    if (access(a->out, F_OK) == 0)
        return cli_bad("'%s' exists; give the name of a new file", a->out);
    return EXIT_OK;
}

int cmd_make(int argc, char **argv)
{
    struct make_args a = { .max_write = 1u << 20, .unix_time = -1 };
    chain_opts_init(&a.chain);
    struct images im = { 0 };
    int rc = parse_args(argc, argv, &a);
    if (rc == EXIT_OK && !a.writes && (rc = open_images(a.from, a.to, &a.chain, a.force_raw, &im)) == EXIT_OK &&
        !a.vhd2_given)
        default_vhd2_guid(im.old, &a.wo);
    if (rc == EXIT_OK) {
        struct mk m = { 0 };
        m.time = a.unix_time > 0 ? (uint32_t)(a.unix_time - HRL_EPOCH_UNIX) : hrl_time_now();
        a.wo.created = a.unix_time > 0 ? m.time : 0;
        rc = write_log(a.out, &a.wo, &m, &im, a.writes, a.max_write, a.json);
    }
    close_images(&im);
    chain_opts_free(&a.chain);
    return rc == OPT_HELP_SHOWN ? EXIT_OK : rc;
}
