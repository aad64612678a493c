/* problem.c: reporting problems (kind + file offset + structure + message)
 * through the caller's callback, and the names of the kinds. The reader keeps
 * going after a problem unless the caller asked for strictness. */
#include <stdio.h>
#include <time.h>

#include "hrl_impl.h"

#define HRL_NAME_(name, str) str,
static const char *const kind_names[] = { HRL_PROBLEMS(HRL_NAME_) };
#undef HRL_NAME_

const char *hrl_kind_name(enum hrl_kind kind)
{
    if ((unsigned)kind >= HRL_P_COUNT)
        return "unknown";
    return kind_names[kind];
}

void hrl_report(struct hrl_report *r, enum hrl_kind kind, uint64_t off, const char *what,
                const char *fmt, ...)
{
    struct hrl_problem p;
    p.kind = kind;
    p.offset = off;
    snprintf(p.what, sizeof p.what, "%s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.msg, sizeof p.msg, fmt, ap);
    va_end(ap);
    if (r->count == 0)
        r->first = p;
    r->count++;
    if (r->fn)
        r->fn(r->ctx, &p);
}

uint32_t hrl_time_now(void)
{
    time_t t = time(NULL);
    return t > HRL_EPOCH_UNIX ? (uint32_t)(t - HRL_EPOCH_UNIX) : 0;
}
