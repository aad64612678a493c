/* cli.c: command dispatch, errors, exit codes, JSON and progress for the tools. */
#include "cli.h"
#include "hv_guid.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *prog_name = "hvkit"; /* set once in cli_main, before any command runs */

const char *cli_prog(void)
{
    return prog_name;
}

/* ---- temporary files removed on a signal ----
 * The handler only uses async-signal-safe calls: the directory is opened and
 * the name prefix built beforehand, and entries are read with getdents64. */
static int cleanup_dirfd = -1;
static char cleanup_prefix[600];
static size_t cleanup_len;

static void on_signal(int sig)
{
    char buf[4096];
    long n;
    lseek(cleanup_dirfd, 0, SEEK_SET);
    while ((n = syscall(SYS_getdents64, cleanup_dirfd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64_ {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (!strncmp(d->name, cleanup_prefix, cleanup_len))
                unlinkat(cleanup_dirfd, d->name, 0);
            off += d->reclen;
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_cleanup_on_signal(const char *out)
{
    const char *slash = strrchr(out, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) + (slash == out) : 1, slash ? out : ".");
    int n = snprintf(cleanup_prefix, sizeof cleanup_prefix, ".%s.tmp-%ld-", slash ? slash + 1 : out, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof cleanup_prefix)
        return;
    cleanup_len = (size_t)n;
    cleanup_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cleanup_dirfd < 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int json_on;      /* --json was given */
static int json_started; /* a JSON document was begun on stdout */

void cli_set_json(int on)
{
    json_on = on;
}

int cli_exit_for(enum hv_code c)
{
    switch (c) {
    case HV_OK: return EXIT_OK;
    case HV_CORRUPT: return EXIT_PROBLEMS;
    default: return EXIT_ERROR;
    }
}

int cli_error(const struct hv_err *e)
{
    char buf[1400];
    fprintf(stderr, "%s: %s\n", prog_name, hv_err_format(e, buf, sizeof buf));
    if (json_on && !json_started) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_obj_begin(&j, "error");
        json_str(&j, "code", hv_code_name(e->code));
        json_str(&j, "file", e->file[0] ? e->file : NULL);
        json_str(&j, "structure", e->what[0] ? e->what : NULL);
        if (e->has_offset)
            json_u64(&j, "offset", e->offset);
        else
            json_null(&j, "offset");
        json_str(&j, "message", e->msg);
        json_obj_end(&j);
        json_i64(&j, "exit_status", cli_exit_for(e->code));
        json_obj_end(&j);
        json_end(&j);
    }
    return cli_exit_for(e->code);
}

static void json_plain_error(const char *code, const char *msg, int status)
{
    if (!json_on || json_started)
        return;
    struct json j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_obj_begin(&j, "error");
    json_str(&j, "code", code);
    json_null(&j, "file");
    json_null(&j, "structure");
    json_null(&j, "offset");
    json_str(&j, "message", msg);
    json_obj_end(&j);
    json_i64(&j, "exit_status", status);
    json_obj_end(&j);
    json_end(&j);
}

int cli_errorf(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", prog_name, msg);
    json_plain_error("IO", msg, EXIT_ERROR);
    return EXIT_ERROR;
}

int cli_bad(const char *fmt, ...)
{
    const struct cli_spec *s = cli_current();
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s) {
        fprintf(stderr, "%s %s: %s\n", prog_name, s->name, msg);
        const char *bar = strstr(s->synopsis, " | ");
        fprintf(stderr, "usage: %s %s %.*s\n", prog_name, s->name,
                bar ? (int)(bar - s->synopsis) : (int)strlen(s->synopsis), s->synopsis);
        fprintf(stderr, "Try '%s %s --help' for the options and examples.\n", prog_name, s->name);
    } else {
        fprintf(stderr, "%s: %s\n", prog_name, msg);
    }
    json_plain_error("USAGE", msg, EXIT_ERROR);
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

const char *cli_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRIu64 " %s", n, n == 1 ? one : many);
    return buf;
}

static void list_commands(FILE *f, const struct cli_cmd *cmds, const char *what)
{
    fprintf(f, "usage: %s COMMAND [OPTIONS] [ARGS]\n\n%s\n\ncommands:\n", prog_name, what);
    for (const struct cli_cmd *c = cmds; c->spec; c++)
        fprintf(f, "  %-10s %s\n", c->spec->name, c->spec->summary);
    fprintf(f, "\n'%s help COMMAND' or '%s COMMAND --help' describes a command; '%s --version'\n"
               "prints the version.\n"
               "exit status: 0 success; 1 the input was read and has problems; 2 usage error,\n"
               "or an input that is not of the expected format or cannot be read.\n",
            prog_name, prog_name, prog_name);
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

static const struct cli_cmd *find(const struct cli_cmd *cmds, const char *name)
{
    for (const struct cli_cmd *c = cmds; c->spec; c++)
        if (!strcmp(c->spec->name, name))
            return c;
    return NULL;
}

static const struct cli_spec **spec_list(const struct cli_cmd *cmds)
{
    size_t n = 0;
    while (cmds[n].spec)
        n++;
    const struct cli_spec **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = cmds[i].spec;
    return v;
}

static int write_doc(const char *dir, const char *name, const struct cli_spec *s,
                     const struct cli_cmd *cmds, const char *what, const char *shell)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return cli_errorf("cannot write '%s': %s", path, strerror(errno));
    const struct cli_spec **v = s ? NULL : spec_list(cmds);
    if (s)
        cli_print_man(f, s);
    else if (shell)
        cli_print_completion(f, shell, v);
    else
        cli_print_prog_man(f, v, what);
    free(v);
    if (fclose(f) != 0)
        return cli_errorf("cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* --gen-docs DIR: DIR/PROG.1, DIR/PROG-CMD.1, DIR/PROG.bash, DIR/_PROG (build time). */
static int gen_docs(const char *dir, const struct cli_cmd *cmds, const char *what)
{
    char name[256];
    snprintf(name, sizeof name, "%s.1", prog_name);
    if (write_doc(dir, name, NULL, cmds, what, NULL))
        return EXIT_ERROR;
    for (const struct cli_cmd *c = cmds; c->spec; c++) {
        snprintf(name, sizeof name, "%s-%s.1", prog_name, c->spec->name);
        if (write_doc(dir, name, c->spec, cmds, what, NULL))
            return EXIT_ERROR;
    }
    snprintf(name, sizeof name, "%s.bash", prog_name);
    if (write_doc(dir, name, NULL, cmds, what, "bash"))
        return EXIT_ERROR;
    snprintf(name, sizeof name, "_%s", prog_name);
    return write_doc(dir, name, NULL, cmds, what, "zsh") ? EXIT_ERROR : EXIT_OK;
}

static int hidden(const char *what, const struct cli_cmd *cmds, int argc, char **argv, int *rc)
{
    const char *name = argv[1];
    if (!strcmp(name, "--man")) {
        const struct cli_cmd *c = argc > 2 ? find(cmds, argv[2]) : NULL;
        if (argc > 2 && !c)
            return *rc = cli_errorf("'%s' is not a command", argv[2]), 1;
        const struct cli_spec **v = spec_list(cmds);
        if (c)
            cli_print_man(stdout, c->spec);
        else
            cli_print_prog_man(stdout, v, what);
        free(v);
        return *rc = EXIT_OK, 1;
    }
    if (!strcmp(name, "--completion")) {
        const char *sh = argc > 2 ? argv[2] : "";
        if (strcmp(sh, "bash") && strcmp(sh, "zsh"))
            return *rc = cli_errorf("--completion needs bash or zsh"), 1;
        const struct cli_spec **v = spec_list(cmds);
        cli_print_completion(stdout, sh, v);
        free(v);
        return *rc = EXIT_OK, 1;
    }
    if (!strcmp(name, "--gen-docs")) {
        if (argc != 3)
            return *rc = cli_errorf("--gen-docs needs DIR"), 1;
        return *rc = gen_docs(argv[2], cmds, what), 1;
    }
    return 0;
}

int cli_main(const char *prog, const char *what, const struct cli_cmd *cmds, int argc, char **argv)
{
    prog_name = prog;
    if (argc < 2) {
        list_commands(stderr, cmds, what);
        return EXIT_ERROR;
    }
    const char *name = argv[1];
    int rc;
    if (hidden(what, cmds, argc, argv, &rc))
        return finish_stdout(rc);
    if (!strcmp(name, "help") && argc > 2) {
        const struct cli_cmd *c = find(cmds, argv[2]);
        if (!c) {
            fprintf(stderr, "%s: '%s' is not a command\n", prog_name, argv[2]);
            list_commands(stderr, cmds, what);
            return EXIT_ERROR;
        }
        if (!c->spec->opts) { /* its own help */
            char *args[] = { argv[2], (char *)"--help", NULL };
            optind = 0;
            return finish_stdout(c->fn(2, args));
        }
        cli_print_help(stdout, c->spec);
        return finish_stdout(EXIT_OK);
    }
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        list_commands(stdout, cmds, what);
        return finish_stdout(EXIT_OK);
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("%s (hvkit) %s\n", prog_name, hvk_version());
        return finish_stdout(EXIT_OK);
    }
    const struct cli_cmd *c = find(cmds, name);
    if (c) {
        optind = 0; /* each command parses its own options (opt.h) */
        return finish_stdout(c->fn(argc - 1, argv + 1));
    }
    fprintf(stderr, "%s: '%s' is not a command\n", prog_name, name);
    list_commands(stderr, cmds, what);
    return EXIT_ERROR;
}

/* Parses "1.5" as 15 tenths: *num = 15, *den = 10. */
static int parse_decimal(const char *s, const char **end, uint64_t *num, uint64_t *den)
{
    uint64_t n = 0, d = 1;
    int digits = 0, frac = 0;
    const char *p = s;
    for (; *p; p++) {
        if (*p == '.' && !frac) {
            frac = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        if (n > (UINT64_MAX - 9) / 10 || (frac && d > UINT64_MAX / 10))
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
        if (frac)
            d *= 10;
        digits++;
    }
    if (!digits || p[-1] == '.')
        return -1;
    *end = p;
    *num = n;
    *den = d;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t num, den;
    if (!s || !isdigit((unsigned char)*s) || parse_decimal(s, &end, &num, &den) != 0)
        return -1;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    case 'P': shift = 50; break;
    case 'E': shift = 60; break;
    case 'B': break;
    default: return -1;
    }
    if (*end) {
        end++;
        if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
            end += strlen(end);
        if (*end)
            return -1;
    }
    /* num / den * 2^shift must be a whole number that fits */
    while (shift && den > 1 && den % 2 == 0) {
        den /= 2;
        shift--;
    }
    if (shift && num > (UINT64_MAX >> shift))
        return -1;
    uint64_t v = num << shift;
    if (v % den)
        return -1;
    *out = v / den;
    return 0;
}

int cli_size_arg(const char *name, const char *v, uint64_t *out)
{
    if (cli_parse_size(v, out) == 0)
        return 0;
    if (v && v[0] == '-')
        return cli_bad("--%s: '%s' is negative; a size is a whole number of bytes, e.g. 64M or 10G", name, v);
    if (v && strchr(v, '.'))
        return cli_bad("--%s: '%s' is not a whole number of bytes; e.g. 1.5G is fine, 1.1K is not", name, v);
    return cli_bad("--%s: '%s' is not a size; give bytes or a number with K, M, G, T (powers of 1024), e.g. 64M",
                   name, v ? v : "");
}

int cli_u64_arg(const char *name, const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    int hex = v && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
    const char *d = hex ? v + 2 : v;
    errno = 0;
    unsigned long long n = d && isxdigit((unsigned char)*d) ? strtoull(d, &end, hex ? 16 : 10) : 0;
    if (!d || !(hex ? isxdigit((unsigned char)*d) : isdigit((unsigned char)*d)) || *end || errno || n > max)
        return cli_bad("--%s: '%s' is not a number from 0 to %" PRIu64, name, v ? v : "", max);
    *out = n;
    return 0;
}

int cli_parse_guid(const char *s, struct hv_guid *g)
{
    size_t n = strlen(s);
    if (n == 32 && strspn(s, "0123456789abcdefABCDEF") == 32) {
        char d[37];
        snprintf(d, sizeof d, "%.8s-%.4s-%.4s-%.4s-%.12s", s, s + 8, s + 12, s + 16, s + 20);
        return hv_guid_parse(d, 36, g);
    }
    return hv_guid_parse(s, n, g);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cli_parse_time(const char *s, int64_t *unix_time)
{
    if (!s || !*s)
        return -1;
    if (s[0] == '@') {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)s[1]))
            return -1;
        long long v = strtoll(s + 1, &end, 10);
        if (errno || *end)
            return -1;
        *unix_time = v;
        return 0;
    }
    const char *p = s;
    int Y, M, D, h = 0, mi = 0, sec = 0;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
        }
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (*p && digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else if (*p || s[10] != ' ') {
        /* No zone: accepted only in the "YYYY-MM-DD hh:mm:ss" form, read as UTC. */
        if (*p)
            return -1;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    *unix_time = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec - off;
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

/* Every JSON document starts with its schema version (docs/json/). */
#define JSON_VERSION 1

static void open_(struct json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth < 63)
        j->depth++;
    j->need_comma[j->depth] = false;
    if (j->depth == 1 && c == '{') {
        json_started = 1;
        j->versioned = false;
        json_u64(j, "version", JSON_VERSION);
        j->versioned = true;
    }
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
    if (j->versioned && j->depth == 1 && key && !strcmp(key, "version"))
        return; /* commands that write it themselves */
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

void json_problem(struct json *j, const char *severity, const char *code, const char *structure,
                  const char *file, int has_offset, uint64_t offset, const char *message)
{
    json_obj_begin(j, NULL);
    json_str(j, "severity", severity);
    json_str(j, "code", code);
    json_str(j, "structure", structure);
    json_str(j, "file", file);
    if (has_offset)
        json_u64(j, "offset", offset);
    else
        json_null(j, "offset");
    json_str(j, "message", message);
    json_obj_end(j);
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
    p->start = now_s();
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
    char a[32], b[32], r[32], eta[32] = "";
    double el = t - p->start;
    double rate = el > 0.05 ? (double)done / el : 0;
    cli_human((uint64_t)rate, r, sizeof r);
    if (p->total && rate > 0 && done <= p->total) {
        uint64_t left = (uint64_t)((double)(p->total - done) / rate);
        snprintf(eta, sizeof eta, ", %" PRIu64 ":%02" PRIu64 " left", left / 60, left % 60);
    }
    if (p->total)
        fprintf(stderr, "\r%s: %s / %s (%3.0f%%), %s/s%s   ", p->label, cli_human(done, a, sizeof a),
                cli_human(p->total, b, sizeof b), 100.0 * (double)done / (double)p->total, r, eta);
    else
        fprintf(stderr, "\r%s: %s, %s/s   ", p->label, cli_human(done, a, sizeof a), r);
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
