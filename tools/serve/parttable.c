/* parttable.c: MBR and GPT partition tables (parttable.h). Every field read
 * from the disk is checked against the disk size before it is used; a table
 * that does not fit is ignored rather than trusted. */
#include "parttable.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Adds [first_lba, first_lba + count) if it lies inside the disk. */
static void add(struct parttable *t, const struct sdisk *d, unsigned number, uint64_t first_lba, uint64_t count,
                uint32_t sector)
{
    if (count == 0)
        return;
    if (t->n == PT_MAX || first_lba > d->size / sector || count > d->size / sector - first_lba) {
        t->skipped++;
        return;
    }
    t->p[t->n++] = (struct part){ number, first_lba * sector, count * sector };
}

static int is_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

static void read_mbr(const uint8_t *s0, const struct sdisk *d, uint32_t sector, struct parttable *t)
{
    t->scheme = "mbr";
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *e = s0 + 446 + 16 * i;
        if (e[4] == 0)
            continue;
        if (is_extended(e[4])) { /* logical partitions are not followed */
            t->skipped++;
            continue;
        }
        add(t, d, i + 1, le32(e + 8), le32(e + 12), sector);
    }
}

/* GPT header at LBA 1, entries where it says. @return 0 (table or none), -1 read error. */
static int read_gpt(struct sdisk *d, uint32_t sector, struct parttable *t, struct hv_err *e)
{
    if (d->size < 2ull * sector)
        return 0;
    uint8_t *h = malloc(sector);
    if (!h)
        return hv_failx(e, HV_NOMEM, "GPT", "out of memory");
    int rc = sdisk_read(d, h, sector, sector, e);
    if (rc != 0 || memcmp(h, "EFI PART", 8) != 0) {
        free(h);
        return rc;
    }
    uint64_t lba = le64(h + 72);
    uint32_t count = le32(h + 80), esize = le32(h + 84);
    free(h);
    /* 128-byte entries or larger multiples of 8 ([UEFI] 5.3.2), at most 128 of them read. */
    if (esize < 128 || esize > 4096 || esize % 8 || count == 0)
        return 0;
    if (count > PT_MAX)
        count = PT_MAX;
    uint64_t bytes = (uint64_t)count * esize;
    if (lba > d->size / sector || bytes > d->size - lba * sector)
        return 0;
    uint8_t *ents = malloc((size_t)bytes);
    if (!ents)
        return hv_failx(e, HV_NOMEM, "GPT", "out of memory");
    if (sdisk_read(d, ents, (size_t)bytes, lba * sector, e) != 0) {
        free(ents);
        return -1;
    }
    static const uint8_t unused[16];
    t->scheme = "gpt";
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *x = ents + (size_t)i * esize;
        uint64_t first = le64(x + 32), last = le64(x + 40);
        if (memcmp(x, unused, 16) == 0)
            continue;
        if (last < first) {
            t->skipped++;
            continue;
        }
        add(t, d, i + 1, first, last - first + 1, sector);
    }
    free(ents);
    return 0;
}

int parttable_read(struct sdisk *d, uint32_t sector, struct parttable *t, struct hv_err *e)
{
    memset(t, 0, sizeof *t);
    if (sector < 512 || sector > 65536 || d->size < sector)
        return 0;
    uint8_t *s0 = malloc(sector);
    if (!s0)
        return hv_failx(e, HV_NOMEM, "MBR", "out of memory");
    if (sdisk_read(d, s0, sector, 0, e) != 0) {
        free(s0);
        return -1;
    }
    int rc = 0;
    if (s0[510] == 0x55 && s0[511] == 0xaa) {
        int protective = 0, boot_flags_ok = 1;
        for (unsigned i = 0; i < 4; i++) {
            protective |= s0[446 + 16 * i + 4] == 0xee;
            /* a volume boot record also ends in 55 AA; its bytes here are code */
            boot_flags_ok &= s0[446 + 16 * i] == 0x00 || s0[446 + 16 * i] == 0x80;
        }
        if (!boot_flags_ok)
            ;
        else if (protective)
            rc = read_gpt(d, sector, t, e);
        else
            read_mbr(s0, d, sector, t);
    }
    free(s0);
    return rc;
}
