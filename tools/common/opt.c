/* opt.c: the option-table parser and the help, man page and completion
 * writers that share its tables (see opt.h). */
#include "opt.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_spec *current;

const struct cli_spec *cli_current(void)
{
    return current;
}

void cli_args_init(struct cli_args *a, const struct cli_spec *spec, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->spec = spec;
    a->argc = argc;
    a->argv = argv;
    current = spec;
    size_t n = 0, s = 0;
    a->so[s++] = ':'; /* report a missing value ourselves */
    for (const struct cli_opt *o = spec->opts; o && o->name && n < 60; o++) {
        a->lo[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument, 0, o->key };
        if (o->key > 0 && o->key < 0x80 && s + 3 < sizeof a->so) {
            a->so[s++] = (char)o->key;
            if (o->arg)
                a->so[s++] = ':';
        }
    }
    a->lo[n++] = (struct option){ "help", no_argument, 0, 'h' };
    a->lo[n++] = (struct option){ "man", no_argument, 0, 0x7fff };
    a->lo[n] = (struct option){ 0, 0, 0, 0 };
    a->so[s++] = 'h';
    a->so[s] = 0;
    optind = 0; /* full reinitialisation of glibc's getopt */
    opterr = 0;
}

static const struct cli_opt *by_key(const struct cli_spec *s, int key)
{
    for (const struct cli_opt *o = s->opts; o && o->name; o++)
        if (o->key == key)
            return o;
    return NULL;
}

int cli_next(struct cli_args *a)
{
    int idx = -1;
    int c = getopt_long(a->argc, a->argv, a->so, a->lo, &idx);
    a->arg = optarg;
    if (c == -1)
        return CLI_END;
    if (c == 'h') {
        cli_print_help(stdout, a->spec);
        a->status = EXIT_OK;
        return CLI_STOP;
    }
    if (c == 0x7fff) {
        cli_print_man(stdout, a->spec);
        a->status = EXIT_OK;
        return CLI_STOP;
    }
    const char *bad = optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "?";
    if (c == '?') {
        if (optopt && optopt < 0x80 && !by_key(a->spec, optopt))
            a->status = cli_bad("unknown option '-%c'", optopt);
        else
            a->status = cli_bad("unknown option '%s'", bad);
        return CLI_STOP;
    }
    if (c == ':') {
        const struct cli_opt *o = by_key(a->spec, optopt);
        a->status = o ? cli_bad("--%s needs a value (%s)", o->name, o->arg)
                      : cli_bad("option '%s' needs a value", bad);
        return CLI_STOP;
    }
    const struct cli_opt *o = by_key(a->spec, c);
    a->name = o ? o->name : "?";
    return c;
}

/* ---------------- help ---------------- */

static void wrap(FILE *f, const char *text, int indent, int first_col, int width)
{
    int col = first_col;
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            fputc('\n', f);
            p++;
            if (*p == '\n')
                continue;
            fprintf(f, "%*s", indent, "");
            col = indent;
            continue;
        }
        size_t w = strcspn(p, " \n");
        if (col > indent && col + 1 + (int)w > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, w, f);
        col += (int)w;
        p += w;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

static void print_synopsis(FILE *f, const struct cli_spec *s, const char *lead)
{
    const char *p = s->synopsis;
    int first = 1;
    while (p) {
        const char *bar = strstr(p, " | ");
        int n = bar ? (int)(bar - p) : (int)strlen(p);
        fprintf(f, "%s%s %s %.*s\n", first ? lead : "       ", cli_prog(), s->name, n, p);
        first = 0;
        p = bar ? bar + 3 : NULL;
    }
}

void cli_print_help(FILE *f, const struct cli_spec *s)
{
    print_synopsis(f, s, "usage: ");
    fprintf(f, "\n");
    wrap(f, s->summary, 0, 0, 78);
    if (s->description && *s->description) {
        fputc('\n', f);
        wrap(f, s->description, 0, 0, 78);
    }
    if (s->opts && s->opts->name) {
        fprintf(f, "\noptions:\n");
        for (const struct cli_opt *o = s->opts; o->name; o++) {
            char head[64];
            int n = snprintf(head, sizeof head, "  %s%c%s--%s%s%s", o->key < 0x80 ? "-" : "",
                             o->key < 0x80 ? o->key : ' ', o->key < 0x80 ? ", " : "   ", o->name,
                             o->arg ? " " : "", o->arg ? o->arg : "");
            if (o->key >= 0x80)
                n = snprintf(head, sizeof head, "      --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            fputs(head, f);
            if (n >= 28) {
                fprintf(f, "\n%*s", 28, "");
                n = 28;
            } else {
                fprintf(f, "%*s", 28 - n, "");
                n = 28;
            }
            wrap(f, o->help, 28, 28, 78);
        }
    }
    fprintf(f, "%s  -h, --help                show this help\n", s->opts && s->opts->name ? "" : "\noptions:\n");
    if (s->examples && s->examples->cmdline) {
        fprintf(f, "\nexamples:\n");
        for (const struct cli_example *e = s->examples; e->cmdline; e++) {
            fprintf(f, "  %s\n      ", e->cmdline);
            wrap(f, e->what, 6, 6, 78);
        }
    }
    fprintf(f, "\nexit status: 0 success; 1 the input was read and has problems; 2 usage error,\n"
               "or an input that is not of the expected format or cannot be read.\n");
}

/* ---------------- man pages ---------------- */

/* roff-escapes one line of text: backslashes, hyphens, leading dots. */
static void roff(FILE *f, const char *s, size_t n)
{
    int bol = 1;
    for (size_t i = 0; i < n && s[i]; i++) {
        char c = s[i];
        if (bol && (c == '.' || c == '\''))
            fputs("\\&", f);
        bol = c == '\n';
        if (c == '\\')
            fputs("\\e", f);
        else if (c == '-')
            fputs("\\-", f);
        else
            fputc(c, f);
    }
}

static void roff_s(FILE *f, const char *s)
{
    roff(f, s, strlen(s));
}

static void roff_para(FILE *f, const char *text)
{
    /* Paragraphs are separated by blank lines; single newlines are kept as breaks. */
    const char *p = text;
    fputs(".PP\n", f);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == 0) {
            fputs(".PP\n", f);
        } else {
            roff(f, p, n);
            fputs("\n.br\n", f);
        }
        p += n;
        if (*p)
            p++;
    }
}

static void upper(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s >= 'a' && *s <= 'z' ? *s - 32 : *s, f);
}

static void man_head(FILE *f, const char *name, const char *cmd)
{
    fputs(".TH ", f);
    upper(f, name);
    if (cmd) {
        fputs("\\-", f);
        upper(f, cmd);
    }
    fprintf(f, " 1 \"\" \"hvkit %s\" \"hvkit manual\"\n", hvk_version());
}

static const char exit_table[] =
    ".SH EXIT STATUS\n"
    ".TP\n.B 0\nsuccess\n"
    ".TP\n.B 1\nthe input was read and has problems (a damaged structure, a checksum that does not\n"
    "match, files that do not belong together)\n"
    ".TP\n.B 2\na usage error, or an input that is not of the expected format (a raw file, a VHD,\n"
    "qcow2, a directory) or cannot be read (missing, permission, I/O error)\n";

void cli_print_man(FILE *f, const struct cli_spec *s)
{
    man_head(f, cli_prog(), s->name);
    fprintf(f, ".SH NAME\n%s\\-%s \\- ", cli_prog(), s->name);
    roff_s(f, s->summary);
    fputs("\n.SH SYNOPSIS\n", f);
    const char *p = s->synopsis;
    while (p) {
        const char *bar = strstr(p, " | ");
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        fprintf(f, ".B %s %s\n", cli_prog(), s->name);
        roff(f, p, n);
        fputs("\n.br\n", f);
        p = bar ? bar + 3 : NULL;
    }
    if (s->description && *s->description) {
        fputs(".SH DESCRIPTION\n", f);
        roff_para(f, s->description);
    }
    fputs(".SH OPTIONS\n", f);
    if (!s->opts)
        fprintf(f, "See\n.B %s %s \\-\\-help\n", cli_prog(), s->name);
    for (const struct cli_opt *o = s->opts; o && o->name; o++) {
        fputs(".TP\n", f);
        if (o->key < 0x80)
            fprintf(f, "\\fB\\-%c\\fR, ", o->key);
        fputs("\\fB\\-\\-", f);
        roff_s(f, o->name);
        fputs("\\fR", f);
        if (o->arg) {
            fputs(" \\fI", f);
            roff_s(f, o->arg);
            fputs("\\fR", f);
        }
        fputs("\n", f);
        roff_s(f, o->help);
        fputs("\n", f);
    }
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow the options and examples\n", f);
    if (s->examples && s->examples->cmdline) {
        fputs(".SH EXAMPLES\n", f);
        for (const struct cli_example *e = s->examples; e->cmdline; e++) {
            fputs(".TP\n.B ", f);
            roff_s(f, e->cmdline);
            fputs("\n", f);
            roff_s(f, e->what);
            fputs("\n", f);
        }
    }
    fputs(exit_table, f);
    fprintf(f, ".SH SEE ALSO\n.BR %s (1)\n", cli_prog());
}

void cli_print_prog_man(FILE *f, const struct cli_spec *const *cmds, const char *what)
{
    man_head(f, cli_prog(), NULL);
    fprintf(f, ".SH NAME\n%s \\- ", cli_prog());
    roff_s(f, what);
    fprintf(f, "\n.SH SYNOPSIS\n.B %s\n.I COMMAND\n[\n.I OPTIONS\n]\n.br\n.B %s help\n.I COMMAND\n.br\n"
               ".B %s \\-\\-version\n",
            cli_prog(), cli_prog(), cli_prog());
    fputs(".SH COMMANDS\n", f);
    for (; *cmds; cmds++) {
        fprintf(f, ".TP\n.BR %s\\-%s (1)\n", cli_prog(), (*cmds)->name);
        roff_s(f, (*cmds)->summary);
        fputs("\n", f);
    }
    fputs(exit_table, f);
    fputs(".SH SEE ALSO\n", f);
    fprintf(f, ".BR %s (1)\n", strcmp(cli_prog(), "vhdx") ? "vhdx" : "hrl");
}

/* ---------------- completion ---------------- */

static void opt_words(FILE *f, const struct cli_spec *s)
{
    for (const struct cli_opt *o = s->opts; o && o->name; o++)
        fprintf(f, " --%s", o->name);
    fputs(" --help", f);
}

void cli_print_completion(FILE *f, const char *shell, const struct cli_spec *const *cmds)
{
    const char *p = cli_prog();
    if (!strcmp(shell, "zsh")) {
        fprintf(f, "#compdef %s\n# zsh completion for %s (generated from its option tables)\n", p, p);
        fprintf(f, "_%s() {\n  local -a cmds\n  cmds=(\n", p);
        for (const struct cli_spec *const *c = cmds; *c; c++) {
            fprintf(f, "    '%s:", (*c)->name);
            for (const char *q = (*c)->summary; *q; q++)
                fputs(*q == '\'' ? "'\\''" : (char[]){ *q, 0 }, f);
            fputs("'\n", f);
        }
        fputs("  )\n  if (( CURRENT == 2 )); then\n    _describe command cmds\n    return\n  fi\n"
              "  local -a opts\n  case $words[2] in\n",
              f);
        for (const struct cli_spec *const *c = cmds; *c; c++) {
            fprintf(f, "    %s) opts=(", (*c)->name);
            opt_words(f, *c);
            fputs(" ) ;;\n", f);
        }
        fputs("  esac\n  if [[ $PREFIX == -* ]]; then\n    compadd -- $opts\n  else\n    _files\n  fi\n}\n", f);
        fprintf(f, "_%s \"$@\"\n", p);
        return;
    }
    fprintf(f, "# bash completion for %s (generated from its option tables)\n", p);
    fprintf(f, "_%s() {\n  local cur=${COMP_WORDS[COMP_CWORD]}\n  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "    COMPREPLY=($(compgen -W \"help",
            p);
    for (const struct cli_spec *const *c = cmds; *c; c++)
        fprintf(f, " %s", (*c)->name);
    fputs("\" -- \"$cur\"))\n    return\n  fi\n  local opts=\n  case ${COMP_WORDS[1]} in\n", f);
    for (const struct cli_spec *const *c = cmds; *c; c++) {
        fprintf(f, "    %s) opts=\"", (*c)->name);
        opt_words(f, *c);
        fputs("\" ;;\n", f);
    }
    fputs("  esac\n  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n  else\n"
          "    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n",
          f);
    fprintf(f, "complete -o filenames -F _%s %s\n", p, p);
}
