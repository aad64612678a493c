/* hrl_impl.h: what the files of libhrl share and nobody else sees: the handle,
 * the block index, the pure parsers and the problem reporter. */
#ifndef HRL_IMPL_H
#define HRL_IMPL_H

#include <stdarg.h>

#include "hrl.h"
#include "hv_bytes.h"
#include "hv_io.h"

/* ---- problem reporting (reader, salvage, chain) ---- */
struct hrl_report {
    hrl_problem_fn fn;
    void *ctx;
    uint64_t count;
    int strict;            /* stop at the first problem */
    struct hrl_problem first;
};

void hrl_report(struct hrl_report *r, enum hrl_kind kind, uint64_t off, const char *what,
                const char *fmt, ...) HV_PRINTF(5, 6);

/* ---- checksum.c ---- */
uint32_t hrl_sum_scalar(const uint8_t *p, size_t n); /* reference byte sum */
uint32_t hrl_sum_swar(const uint8_t *p, size_t n);   /* portable 64-bit SWAR */
uint32_t hrl_sum(const uint8_t *p, size_t n);        /* fastest available */

/* ---- header.c ---- */
/* Decodes the 4096-byte header at s.p (s.len >= 4096) into *h; reports every
 * problem of the header alone (cookie, version, checksum, fields, reserved).
 * @return 0, or -1 when the header cannot be used at all (err filled). */
int hrl_header_parse(struct hv_span s, struct hrl_header *h, struct hrl_report *r,
                     struct hv_err *err);
/* Encodes *h into buf[4096] with a fresh checksum (h->checksum ignored). */
void hrl_header_encode(const struct hrl_header *h, uint8_t *buf);

/* ---- metadata.c ---- */
#define HRL_MB_HEADER_SIZE 32u

struct hrl_mb {                 /* a decoded metadata header */
    uint64_t prev;              /* PreviousMetadataLocation (relative) */
    uint32_t valid;             /* ValidMetadataEntries */
    uint32_t checksum;
    uint32_t computed;
    int reserved_zero;
};

struct hrl_me {                 /* a decoded metadata entry */
    uint64_t disk_offset;
    uint32_t checksum, computed;
    uint32_t length;
    uint32_t timestamp;
    uint8_t operation;
    uint32_t data_checksum;
    uint8_t location;
    int reserved_zero;
};

void hrl_mb_decode(const uint8_t *p, struct hrl_mb *mb);          /* p: 32 bytes */
void hrl_me_decode(const uint8_t *p, struct hrl_me *me);          /* p: 32 bytes */
/* Whether the disk range [ByteOffset, ByteOffset + DataLength) is
 * addressable: its end must not pass 2^64. The disk size is the check of
 * whoever knows the disk (points.c: "entry-range" against the base). */
static inline int hrl_me_range_ok(const struct hrl_me *me)
{
    return me->length <= UINT64_MAX - me->disk_offset;
}
static inline int hrl_me_ok(const struct hrl_me *me)
{
    return me->checksum == me->computed && me->operation == 1 && me->location == 0 &&
           me->reserved_zero && hrl_me_range_ok(me);
}
void hrl_mb_encode(uint8_t *p, uint64_t prev, uint32_t valid);   /* with checksum */
void hrl_me_encode(uint8_t *p, uint64_t disk_offset, uint32_t len, uint32_t time,
                   uint32_t data_checksum);                       /* with checksum */
/* Validates a whole block at file offset `off` (entries too); reports problems.
 * *sum_len receives the sum of valid entry lengths (valid clamped to capacity).
 * @return 0 when the block is structurally usable, -1 otherwise. */
int hrl_block_check(struct hv_span file, uint64_t off, uint32_t metadata_size,
                    struct hrl_report *r, uint32_t *valid, uint64_t *sum_len);

/* ---- the handle (reader.c) ---- */
enum { HRL_BLOCK_USABLE = 1 }; /* payload layout known: entries iterable */

struct hrl_block {
    uint64_t off;        /* file offset of the metadata block */
    uint64_t data_start; /* file offset of its first payload */
    uint32_t valid;      /* ValidMetadataEntries (clamped to capacity) */
    uint32_t flags;
};

struct hrl_log {
    struct hv_map map;   /* owned mapping, or p/len zero for hrl_open_mem */
    struct hv_span file;
    struct hrl_header hdr;
    int header_ok;
    struct hrl_block *blocks; /* the only allocation: one row per block */
    size_t nblocks, cap;
    struct hrl_report rep;    /* mutable through const handles: counts iteration problems */
    struct hrl_info info;
};

int hrl_index_push(struct hrl_log *log, uint64_t off, uint64_t data_start, uint32_t valid,
                   uint32_t flags, struct hv_err *err);

/* salvage.c: forward scan from 4096 up to `limit`; fills the index. */
int hrl_salvage_scan(struct hrl_log *log, uint64_t limit, struct hv_err *err);

/* gzip.c: decompresses `path` into an unlinked temporary file and maps it. */
int hrl_gunzip_map(const char *path, struct hv_map *m, struct hv_err *err);

/* apply.c: hrl_restore without its publication step: builds the point into
 * `inner` (empty, owned by the caller) with at most `writers` threads writing,
 * and finishes (flushes) it. hrl_restore() wraps it with a temporary sibling
 * and hv_publish_tmp(); the crash sweep (tests/crash) calls it over a
 * power-cut recorder. */
struct hrl_progress;
struct hrl_restore_stats;
typedef struct hrl_set hrl_set;
typedef struct vhdx vhdx;
int hrl_restore_into(struct hv_io *inner, int writers, vhdx *base, const char *out,
                     const hrl_set *set, size_t point, unsigned flags,
                     const struct hrl_progress *pr, struct hrl_restore_stats *stp, struct hv_err *e);

/* reader.c: "metadata block at 0x1000" etc. */
#define HRL_WHAT_BLOCK(buf, off) (snprintf((buf), sizeof(buf), "metadata block at 0x%llx", \
                                           (unsigned long long)(off)), (buf))

#endif
