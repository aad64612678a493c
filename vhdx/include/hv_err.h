/* hv_err.h: the one error type of hvkit, shared by libvhdx, libhrl and the tools.
 *
 * An error is filled by value into a caller-owned struct (never global), so
 * every library call is re-entrant. A failing check is one statement:
 *     return hv_fail(e, HV_CORRUPT, "region table", off, "entry count %u above %u", n, max);
 * Messages follow git's style: lowercase, no full stop, subject first.
 */
#ifndef HV_ERR_H
#define HV_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HVK_API __attribute__((visibility("default")))
#define HV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HVK_API
#define HV_PRINTF(a, b)
#endif

#define HVK_VERSION_MAJOR 0
#define HVK_VERSION_MINOR 1
#define HVK_VERSION_PATCH 0
#define HVK_VERSION_STRING "0.1.0"

/* Every error kind, listed once; expanded into the enum and the name table.
 *   USAGE       the caller asked for something impossible (bad argument)
 *   IO          the operating system refused (open, read, write, flush)
 *   NOMEM       an allocation failed
 *   NOTFOUND    a file that was looked for is not there (e.g. a parent)
 *   FORMAT      the bytes are not this format at all (bad signature)
 *   CORRUPT     the format is right but a structure is damaged
 *   UNSUPPORTED valid, but beyond what hvkit implements
 *   MISMATCH    two valid files do not belong together (identity, sizes)
 *   EXISTS      refusing to overwrite an existing file
 */
#define HV_ERRORS(X) \
    X(OK) X(USAGE) X(IO) X(NOMEM) X(NOTFOUND) X(FORMAT) X(CORRUPT) \
    X(UNSUPPORTED) X(MISMATCH) X(EXISTS)

#define HV_ENUM_(name) HV_##name,
enum hv_code { HV_ERRORS(HV_ENUM_) HV_CODE_COUNT };
#undef HV_ENUM_

struct hv_err {
    enum hv_code code;
    char file[512];   /* the file concerned; empty when none */
    char what[64];    /* the structure: "region table", "log entry 3", ... */
    uint64_t offset;  /* file offset of the bad field */
    int has_offset;   /* 0 when the error is not about a place in a file */
    char msg[512];
};

/* Fills *e (if non-NULL, keeping a file name already set) and returns -1. */
HVK_API int hv_fail(struct hv_err *e, enum hv_code code, const char *what,
                    uint64_t off, const char *fmt, ...) HV_PRINTF(5, 6);
/* Like hv_fail but for errors that have no file offset (I/O, usage). */
HVK_API int hv_failx(struct hv_err *e, enum hv_code code, const char *what,
                     const char *fmt, ...) HV_PRINTF(4, 5);
/* hv_fail for a failed system call: appends strerror(errno_value). */
HVK_API int hv_fail_errno(struct hv_err *e, int errno_value, const char *what,
                          const char *fmt, ...) HV_PRINTF(4, 5);
/* Sets the file name if none is set yet; libraries call it at their API boundary. */
HVK_API void hv_err_file(struct hv_err *e, const char *path);
HVK_API void hv_err_clear(struct hv_err *e);
/* "CORRUPT" etc. */
HVK_API const char *hv_code_name(enum hv_code code);
/* One line: "'FILE': WHAT at 0xOFF: MSG" (parts omitted when absent). */
HVK_API const char *hv_err_format(const struct hv_err *e, char *buf, size_t len);
/*! hv_text_escape() :
 *  Makes text that came from a file safe to print on a terminal: control
 *  bytes (0x00-0x1f, 0x7f) become \xNN and UTF-8 C1 controls (U+0080-U+009F)
 *  become \u00NN; everything else, backslashes included, is copied as is (a
 *  display form, not a reversible encoding; JSON output escapes on its own).
 *  Truncates to fit `cap` (never inside an escape); HV_ESCAPE_CAP(n) bytes
 *  always hold the escape of n bytes. hv_fail* and hv_err_file apply it, so
 *  error messages are already escaped. @return out. */
#define HV_ESCAPE_CAP(n) (4 * (n) + 1)
HVK_API char *hv_text_escape(const char *s, char *out, size_t cap);
HVK_API const char *hvk_version(void);

#endif
