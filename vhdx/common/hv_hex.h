/* hv_hex.h (internal, not installed): the hex digit value that GUID and
 * digest parsing share. */
#ifndef HVK_HV_HEX_H
#define HVK_HV_HEX_H

/* @return 0..15 for [0-9a-fA-F], else -1. */
static inline int hv_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
