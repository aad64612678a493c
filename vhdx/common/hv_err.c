/* hv_err.c: filling and formatting the one error type. */
#include "hv_err.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>

#define HV_NAME_(name) #name,
static const char *const code_names[] = { HV_ERRORS(HV_NAME_) };
#undef HV_NAME_

const char *hv_code_name(enum hv_code code)
{
    if ((unsigned)code >= HV_CODE_COUNT)
        return "UNKNOWN";
    return code_names[code];
}

char *hv_text_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 0;
    if (cap == 0)
        return out;
    for (; *p; p++) {
        char esc[8];
        size_t k = 0, used = 1;
        if (*p < 0x20 || *p == 0x7f) {
            esc[k++] = '\\';
            esc[k++] = 'x';
            esc[k++] = hex[*p >> 4];
            esc[k++] = hex[*p & 15];
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* C1 controls (U+0080-U+009F, e.g. CSI): terminals obey them too */
            memcpy(esc, "\\u00", 4);
            k = 4;
            esc[k++] = hex[p[1] >> 4];
            esc[k++] = hex[p[1] & 15];
            used = 2;
        } else {
            esc[k++] = (char)*p;
        }
        if (n + k >= cap)
            break; /* truncated, never inside an escape */
        memcpy(out + n, esc, k);
        n += k;
        p += used - 1;
    }
    out[n] = 0;
    return out;
}

static void fill(struct hv_err *e, enum hv_code code, const char *what,
                 uint64_t off, int has_off, const char *fmt, va_list ap)
{
    char raw[sizeof e->msg];
    e->code = code;
    snprintf(e->what, sizeof e->what, "%s", what ? what : "");
    e->offset = off;
    e->has_offset = has_off;
    vsnprintf(raw, sizeof raw, fmt, ap);
    hv_text_escape(raw, e->msg, sizeof e->msg); /* messages quote file contents */
}

int hv_fail(struct hv_err *e, enum hv_code code, const char *what, uint64_t off,
            const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        fill(e, code, what, off, 1, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int hv_failx(struct hv_err *e, enum hv_code code, const char *what, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        fill(e, code, what, 0, 0, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int hv_fail_errno(struct hv_err *e, int errno_value, const char *what, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        fill(e, HV_IO, what, 0, 0, fmt, ap);
        va_end(ap);
        size_t n = strlen(e->msg);
        snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errno_value));
        if (errno_value == ENOMEM)
            e->code = HV_NOMEM;
    }
    return -1;
}

void hv_err_file(struct hv_err *e, const char *path)
{
    if (e && path && !e->file[0])
        hv_text_escape(path, e->file, sizeof e->file); /* paths may come from locators */
}

void hv_err_clear(struct hv_err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

const char *hv_err_format(const struct hv_err *e, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    if (e->file[0])
        n += (size_t)snprintf(buf + n, len - n, "'%s': ", e->file);
    if (n < len && e->what[0]) {
        if (e->has_offset)
            n += (size_t)snprintf(buf + n, len - n, "%s at 0x%llx: ", e->what,
                                  (unsigned long long)e->offset);
        else
            n += (size_t)snprintf(buf + n, len - n, "%s: ", e->what);
    }
    if (n < len)
        snprintf(buf + n, len - n, "%s", e->msg);
    return buf;
}

const char *hvk_version(void)
{
    return HVK_VERSION_STRING;
}
