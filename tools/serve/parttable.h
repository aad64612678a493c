/* parttable.h: the partitions of a served disk, from an MBR (the four primary
 * slots) or a GPT (UEFI specification, chapter 5), read through the disk. */
#ifndef HVK_SERVE_PARTTABLE_H
#define HVK_SERVE_PARTTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "disk.h"

#define PT_MAX 128

struct part {
    unsigned number; /* 1-based slot number, as Linux names sdX1, sdX2 */
    uint64_t off, len;
};

struct parttable {
    const char *scheme; /* "gpt", "mbr" or NULL (none found) */
    size_t n;
    struct part p[PT_MAX];
    size_t skipped; /* entries not exposed: beyond the disk, or logical (extended) */
};

/* Reads the table with sectors of `sector` bytes (the disk's logical sector
 * size). A disk without a table, or with one that is damaged, gives n = 0:
 * the whole disk is still served. @return 0, or -1 with `e` on a read error. */
int parttable_read(struct sdisk *d, uint32_t sector, struct parttable *t, struct hv_err *e);

#endif
