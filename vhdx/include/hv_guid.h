/* hv_guid.h: GUIDs in the Windows binary layout used by VHDX and HRL
 * (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 8 raw bytes). */
#ifndef HV_GUID_H
#define HV_GUID_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"

struct hv_guid {
    uint8_t b[16]; /* exactly as stored on disk */
};

#define HV_GUID_STR_LEN 38 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */

/* Writes lowercase text; with braces when `braces` is non-zero. buf >= 39 bytes. */
HVK_API char *hv_guid_format(const struct hv_guid *g, int braces, char *buf);
/* Parses text with or without braces, any case. Returns 0, or -1 if malformed. */
HVK_API int hv_guid_parse(const char *s, size_t len, struct hv_guid *out);
/* A new random (RFC 4122 v4) GUID. */
HVK_API void hv_guid_random(struct hv_guid *out);
HVK_API int hv_guid_is_zero(const struct hv_guid *g);
HVK_API int hv_guid_eq(const struct hv_guid *a, const struct hv_guid *b);

#endif
