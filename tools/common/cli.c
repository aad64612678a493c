/* cli.c: command dispatch, errors, exit codes, JSON and progress for the tools. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog_name = "hvkit"; /* set once in cli_main, before any command runs */

const char *cli_prog(void)
{
    return prog_name;
}

int cli_error(const struct hv_err *e)
{
    char buf[1400];
    fprintf(stderr, "%s: %s\n", prog_name, hv_err_format(e, buf, sizeof buf));
    return EXIT_ERROR;
}

int cli_errorf(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_ERROR;
}

int cli_usage(const char *cmd, const char *synopsis, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s %s: ", prog_name, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s %s\n", prog_name, synopsis);
    return EXIT_ERROR;
}

int cli_help(const char *synopsis, const char *details)
{
    printf("usage: %s %s\n", prog_name, synopsis);
    if (details && *details)
        printf("\n%s", details);
    return EXIT_OK;
}

static void list_commands(FILE *f, const struct cli_cmd *cmds)
{
    fprintf(f, "usage: %s COMMAND [ARGS]\n\ncommands:\n", prog_name);
    for (const struct cli_cmd *c = cmds; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n'%s COMMAND --help' describes a command; '%s --version' prints the version.\n"
               "exit status: 0 success, 1 the input has problems, 2 usage or I/O error\n",
            prog_name, prog_name);
}

static int finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE) {
            fprintf(stderr, "%s: cannot write standard output: %s\n", prog_name, strerror(errno));
            return EXIT_ERROR;
        }
    }
    return rc;
}

int cli_main(const char *prog, const struct cli_cmd *cmds, int argc, char **argv)
{
    prog_name = prog;
    if (argc < 2) {
        list_commands(stderr, cmds);
        return EXIT_ERROR;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        list_commands(stdout, cmds);
        return finish_stdout(EXIT_OK);
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("%s (hvkit) %s\n", prog_name, hvk_version());
        return finish_stdout(EXIT_OK);
    }
    for (const struct cli_cmd *c = cmds; c->name; c++) {
        if (!strcmp(c->name, name)) {
            optind = 1; /* each command parses its own options with getopt_long */
            int rc = c->fn(argc - 1, argv + 1);
            return finish_stdout(rc);
        }
    }
    fprintf(stderr, "%s: '%s' is not a command\n", prog_name, name);
    list_commands(stderr, cmds);
    return EXIT_ERROR;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    case 'P': shift = 50; break;
    default: return -1;
    }
    if (*end) {
        end++;
        if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
            end += strlen(end);
        if (*end)
            return -1;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

/* ---------------- JSON ---------------- */

void json_init(struct json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = true;
}

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1). @return its length, with
 * *cp the code point, or 1 with *cp = CLI_BAD_UTF8 for a byte that does not
 * start a well-formed sequence (overlong, surrogate, above U+10FFFF, cut). */
#define CLI_BAD_UTF8 0xFFFFFFFFu
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                                  : (c & 0xF8) == 0xF0 ? 4 : 0;
    *cp = CLI_BAD_UTF8;
    if (len == 0 || len > n)
        return 1;
    uint32_t v = len == 1 ? c : c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min_cp[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *cp = v;
    return len;
}

/* C0 and C1 controls and DEL: what a terminal may act on. */
static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* File-derived text is never trusted: controls become \uXXXX, bytes that are
 * not UTF-8 become U+FFFD, so the document is always valid UTF-8 JSON. */
void json_write_escaped(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_next(u + i, n - i, &cp);
        if (cp == CLI_BAD_UTF8)
            fputs("\\ufffd", f);
        else if (cp == '"' || cp == '\\')
            fprintf(f, "\\%c", (char)cp);
        else if (cp == '\n')
            fputs("\\n", f);
        else if (cp == '\r')
            fputs("\\r", f);
        else if (cp == '\t')
            fputs("\\t", f);
        else if (is_control(cp))
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fwrite(u + i, 1, len, f);
        i += len;
    }
    fputc('"', f);
}

const char *cli_text(const char *s, size_t n, char *buf, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    if (!len)
        return buf;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_next(u + i, n - i, &cp);
        char esc[16];
        const char *piece = esc;
        size_t plen;
        if (cp == '\\' || cp == '"') {
            piece = cp == '"' ? "\\\"" : "\\\\";
            plen = 2;
        } else if (cp == CLI_BAD_UTF8 || is_control(cp)) {
            /* The bytes as they are in the file: \xHH each (one for a bad byte). */
            plen = 0;
            for (size_t k = 0; k < l; k++)
                plen += (size_t)snprintf(esc + plen, sizeof esc - plen, "\\x%02x", u[i + k]);
        } else {
            piece = s + i;
            plen = l;
        }
        if (o + plen >= len)
            break;
        memcpy(buf + o, piece, plen);
        o += plen;
        i += l;
    }
    buf[o] = 0;
    return buf;
}

static void indent(struct json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

static void member(struct json *j, const char *key)
{
    if (j->depth > 0) {
        if (j->need_comma[j->depth])
            fputc(',', j->f);
        j->need_comma[j->depth] = true;
        indent(j);
    }
    if (key) {
        json_write_escaped(j->f, key, strlen(key));
        fputs(j->pretty ? ": " : ":", j->f);
    }
}

static void open_(struct json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth < 63)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
    bool had = j->need_comma[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (had)
        indent(j);
    fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key) { open_(j, key, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { open_(j, key, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_str(struct json *j, const char *key, const char *val)
{
    if (!val) {
        json_null(j, key);
        return;
    }
    json_strn(j, key, val, strlen(val));
}

void json_strn(struct json *j, const char *key, const char *val, size_t n)
{
    member(j, key);
    json_write_escaped(j->f, val, n);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
    member(j, key);
    fprintf(j->f, "%" PRIu64, val);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
    member(j, key);
    fprintf(j->f, "%" PRId64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
    member(j, key);
    fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
    member(j, key);
    fputs("null", j->f);
}

void json_double(struct json *j, const char *key, double val)
{
    member(j, key);
    if (isfinite(val))
        fprintf(j->f, "%.6g", val);
    else
        fputs("null", j->f);
}

void json_end(struct json *j)
{
    fputc('\n', j->f);
}

/* ---------------- progress ---------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, const char *label, uint64_t total, int force)
{
    memset(p, 0, sizeof *p);
    p->on = force < 0 ? isatty(2) : force > 0;
    p->label = label;
    p->total = total;
}

void progress_update(struct progress *p, uint64_t done)
{
    p->done = done;
    if (!p->on)
        return;
    double t = now_s();
    if (t - p->last < 0.2 && done < p->total)
        return;
    p->last = t;
    char a[32], b[32];
    if (p->total)
        fprintf(stderr, "\r%s: %s / %s (%3.0f%%)   ", p->label, cli_human(done, a, sizeof a),
                cli_human(p->total, b, sizeof b), 100.0 * (double)done / (double)p->total);
    else
        fprintf(stderr, "\r%s: %s   ", p->label, cli_human(done, a, sizeof a));
}

void progress_stop(struct progress *p)
{
    if (p->on && p->last > 0)
        fputs("\r\033[K", stderr);
    p->on = false;
}

const char *cli_human(uint64_t bytes, char *buf, size_t len)
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 " B", bytes);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

const char *cli_iso8601(int64_t unix_time, char *buf, size_t len)
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int progress_opt(int opt, int *force)
{
    if (opt != OPT_PROGRESS && opt != OPT_NO_PROGRESS)
        return 0;
    *force = opt == OPT_PROGRESS;
    return 1;
}
