/* hv_guid.c: GUID text <-> Windows binary layout, and random GUIDs (libuuid). */
#include "hv_guid.h"

#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "hv_hex.h"

/* Text order of the 16 bytes: Data1 and Data2/Data3 are little-endian on disk. */
static const int text_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

char *hv_guid_format(const struct hv_guid *g, int braces, char *buf)
{
    char *p = buf;
    if (braces)
        *p++ = '{';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        p += sprintf(p, "%02x", g->b[text_order[i]]);
    }
    if (braces)
        *p++ = '}';
    *p = 0;
    return buf;
}

int hv_guid_parse(const char *s, size_t len, struct hv_guid *out)
{
    if (len == 38) {
        if (s[0] != '{' || s[37] != '}')
            return -1;
        s++;
        len = 36;
    }
    if (len != 36)
        return -1;
    struct hv_guid g;
    size_t pos = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (s[pos] != '-')
                return -1;
            pos++;
        }
        int hi = hv_hex_digit(s[pos]), lo = hv_hex_digit(s[pos + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        g.b[text_order[i]] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    *out = g;
    return 0;
}

void hv_guid_random(struct hv_guid *out)
{
    uuid_t u;
    uuid_generate_random(u);
    /* Store so that the text form is the RFC 4122 text of u. */
    for (int i = 0; i < 16; i++)
        out->b[text_order[i]] = u[i];
}

int hv_guid_is_zero(const struct hv_guid *g)
{
    static const struct hv_guid zero;
    return memcmp(g, &zero, sizeof zero) == 0;
}

int hv_guid_eq(const struct hv_guid *a, const struct hv_guid *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}
