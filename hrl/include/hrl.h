/* hrl.h: libhrl, the Hyper-V Replica log (.hrl) reader, verifier, salvager,
 * writer and chain checker ([MS-HRL]; docs/hrl-format.md).
 *
 *   file:  [header 4096][payloads][metadata block][payloads][metadata block]...EOL
 *   block: [metadata header 32][entry 32] x (MetadataSize-32)/32
 *
 * Reading maps the file read-only; the only allocation is the index of
 * metadata-block offsets, so memory stays bounded whatever the log size.
 * Every problem found is reported through a callback with its kind and file
 * offset; opening fails only when nothing can be read at all.
 *
 * Replaying a log (the restore engine's loop), verifying before writing:
 *
 *     hrl_log *log;  struct hv_err err;  struct hrl_info in;
 *     if (hrl_open(path, NULL, &log, &err)) return -1;        // .hrl or .hrl.gz
 *     hrl_verify_data(log);                                    // pass 1: payloads
 *     hrl_info(log, &in);
 *     if (in.problems) { hrl_close(log); return -1; }          // refuse damaged logs
 *     struct hrl_iter it;  struct hrl_entry e;
 *     hrl_iter_init(log, 0, &it);
 *     while (hrl_iter_next(&it, &e))                           // pass 2: log order
 *         disk_write(e.payload, e.length, e.disk_offset);      // straight from the map
 *     hrl_close(log);
 *
 * Payload pointers stay valid until hrl_close(). Nothing is allocated per entry.
 */
#ifndef HRL_H
#define HRL_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_guid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HRL_HEADER_SIZE 4096u
#define HRL_ENTRY_SIZE 32u
#define HRL_EPOCH_UNIX 946684800 /* 2000-01-01T00:00:00Z: HRL times count from here */

/* ---- problems: every kind, listed once (name used in messages and JSON) ---- */
#define HRL_PROBLEMS(X)                                                          \
    X(TRUNCATED, "truncated")             /* file ends inside a structure */     \
    X(COOKIE, "cookie")                   /* not "msctlog" */                    \
    X(VERSION, "version")                 /* LogFormatVersion major not 1/2 */   \
    X(HEADER_CHECKSUM, "header-checksum")                                        \
    X(HEADER_FIELD, "header-field")       /* MetadataSize, FileType, sizes */    \
    X(HEADER_RESERVED, "header-reserved") /* Flags or Reserved non-zero */       \
    X(UNCLOSED, "unclosed")               /* EOLLocation 0 */                    \
    X(EOL_RANGE, "eol-range")             /* EOLLocation outside the file */     \
    X(CHAIN_POINTER, "chain-pointer")     /* PreviousMetadataLocation bad */     \
    X(BLOCK_CHECKSUM, "block-checksum")                                          \
    X(BLOCK_RESERVED, "block-reserved")                                          \
    X(BLOCK_CAPACITY, "block-capacity")   /* ValidMetadataEntries > capacity */  \
    X(PAYLOAD_GAP, "payload-gap")         /* lengths do not fill the gap */      \
    X(ENTRY_CHECKSUM, "entry-checksum")                                          \
    X(ENTRY_OPERATION, "entry-operation") /* MetaOperation != 1 */               \
    X(ENTRY_RESERVED, "entry-reserved")   /* Location or Reserved non-zero */    \
    X(DATA_CHECKSUM, "data-checksum")                                            \
    X(ENTRY_COUNT, "entry-count")         /* TotalMetadataEntries mismatch */    \
    X(LOST_DATA, "lost-data")             /* salvage: bytes not recovered */     \
    X(CHAIN_GAP, "chain-gap")                                                    \
    X(CHAIN_FORK, "chain-fork")                                                  \
    X(CHAIN_DUPLICATE, "chain-duplicate")                                        \
    X(CHAIN_FOREIGN, "chain-foreign")                                            \
    X(ENTRY_RANGE, "entry-range")         /* ByteOffset + DataLength wraps */

#define HRL_KIND_(name, str) HRL_P_##name,
enum hrl_kind { HRL_PROBLEMS(HRL_KIND_) HRL_P_COUNT };
#undef HRL_KIND_

struct hrl_problem {
    enum hrl_kind kind;
    uint64_t offset; /* file offset of the bad field (for chain kinds: file index) */
    char what[80];   /* "header", "metadata block at 0x1000", "metadata entry 3 of block at 0x50200" */
    char msg[200];   /* "checksum 0xfffffd50, computed 0xfffffd4f" */
};

typedef void (*hrl_problem_fn)(void *ctx, const struct hrl_problem *p);

/*! hrl_kind_name() : @return "entry-checksum" etc., "unknown" if out of range. */
HVK_API const char *hrl_kind_name(enum hrl_kind kind);

/* ---- the decoded header ---- */
struct hrl_header {
    uint8_t cookie[8];
    uint32_t version;         /* 0x00020000 = 2.0 */
    uint32_t timestamp;       /* creation, seconds since 2000 */
    uint8_t creator_app[4];
    uint32_t creator_version;
    uint64_t original_size;
    uint64_t current_size;
    uint32_t checksum;
    uint64_t eol;             /* 0 = never closed */
    int32_t error_code;
    uint32_t metadata_size;
    struct hv_guid unique_id;
    struct hv_guid previous_unique_id;
    uint32_t last_modified;   /* seconds since 2000 */
    uint64_t total_entries;
    uint32_t file_type;
    uint16_t flags;
    struct hv_guid vhd2_guid; /* zero for version 1 */
};

/*! hrl_checksum() :
 *  The one HRL checksum: one's complement of the 32-bit sum of the bytes of
 *  p[0..n), skipping the 4 bytes at `skip` (HRL_NO_SKIP skips nothing).
 *  Vectorised; ~memory bandwidth.
 *  @return the checksum. */
#define HRL_NO_SKIP ((size_t)-1)
HVK_API uint32_t hrl_checksum(const void *p, size_t n, size_t skip);

/*! hrl_probe() : @return 100 if `p` starts like an HRL header, 0 otherwise. */
HVK_API int hrl_probe(const void *p, size_t len);

/* ---- reading ---- */
typedef struct hrl_log hrl_log;

enum {
    HRL_OPEN_SALVAGE = 1,  /* find blocks by a forward scan (unclosed / torn logs) */
    HRL_OPEN_STRICT = 2,   /* fail at the first problem */
};

struct hrl_open_opts {
    unsigned flags;
    hrl_problem_fn on_problem; /* NULL: problems are only counted */
    void *ctx;
};

struct hrl_info {
    struct hrl_header hdr;
    uint64_t file_size;     /* bytes mapped (decompressed size for .gz) */
    uint64_t blocks;        /* metadata blocks indexed */
    uint64_t entries;       /* entries iterable (in usable blocks) */
    uint64_t data_bytes;    /* sum of their DataLength */
    uint32_t first_time;    /* min / max entry timestamp; 0 when no entries */
    uint32_t last_time;
    uint64_t problems;      /* problems reported so far (open + iteration) */
    int gzip;               /* the file was gzip-compressed */
    int salvaged;           /* opened with HRL_OPEN_SALVAGE */
    uint64_t end;           /* end of the last indexed block (EOL when intact) */
    uint64_t lost_bytes;    /* salvage: bytes after `end` that were not recovered */
};

/*! hrl_open() :
 *  Maps `path` (a .hrl, or gzip-compressed .hrl.gz: decompressed into an
 *  unlinked temporary file), checks the header, walks the metadata chain
 *  backwards from EOLLocation (or scans forwards with HRL_OPEN_SALVAGE) and
 *  validates every block and entry checksum and structural rule. Payload
 *  checksums are checked while iterating (hrl_verify_data / HRL_ITER_DATA).
 *  `opts` may be NULL.
 *  @return 0 and *out (problems, if any, were reported and counted), or -1 with
 *          `err` (FORMAT: not an HRL; CORRUPT/UNSUPPORTED: header unusable, or
 *          the first problem with HRL_OPEN_STRICT; IO/NOMEM). */
HVK_API int hrl_open(const char *path, const struct hrl_open_opts *opts, hrl_log **out,
                     struct hv_err *err);

/*! hrl_open_mem() :
 *  Same over bytes in memory; `p` must outlive the handle (not copied).
 *  @return as hrl_open(). */
HVK_API int hrl_open_mem(const void *p, size_t len, const struct hrl_open_opts *opts,
                         hrl_log **out, struct hv_err *err);

/*! hrl_close() : unmaps and frees; accepts NULL. */
HVK_API void hrl_close(hrl_log *log);

/*! hrl_info() : fills *info. @return 0. */
HVK_API int hrl_info(const hrl_log *log, struct hrl_info *info);

struct hrl_block_info {
    uint64_t offset;     /* file offset of the metadata block */
    uint64_t data_start; /* file offset of its first payload (valid when usable) */
    uint32_t entries;    /* ValidMetadataEntries */
    int usable;          /* payload layout known: its entries are iterated */
};

/*! hrl_block_count() : @return the number of metadata blocks indexed (oldest first). */
HVK_API size_t hrl_block_count(const hrl_log *log);

/*! hrl_block_get() : fills *b for block i. @return 0, or -1 if i is out of range. */
HVK_API int hrl_block_get(const hrl_log *log, size_t i, struct hrl_block_info *b);

/*! hrl_bytes() : @return the mapped file bytes and their length (for tools that
 *  need the raw view, e.g. to copy a payload by offset). */
HVK_API const uint8_t *hrl_bytes(const hrl_log *log, size_t *len);

enum hrl_data_state {
    HRL_DATA_ABSENT = 0, /* DataChecksum is 0: nothing to check */
    HRL_DATA_UNCHECKED,  /* present, not checked (no HRL_ITER_DATA) */
    HRL_DATA_OK,
    HRL_DATA_BAD,
};

struct hrl_entry {
    uint64_t index;          /* 0-based, in log order over the whole file */
    uint64_t block_offset;   /* file offset of its metadata block */
    uint32_t slot;           /* 0-based slot inside the block */
    uint64_t disk_offset;    /* ByteOffset on the virtual disk */
    uint32_t length;         /* DataLength */
    uint32_t timestamp;      /* seconds since 2000 */
    uint32_t checksum;       /* stored entry checksum */
    uint32_t data_checksum;  /* stored DataChecksum (0 = absent) */
    const uint8_t *payload;  /* into the mapping: `length` bytes */
    uint64_t payload_offset; /* file offset of the payload */
    int entry_ok;            /* entry checksum, MetaOperation, reserved all good */
    enum hrl_data_state data;
};

enum {
    HRL_ITER_DATA = 1, /* compute DataChecksums; mismatches are reported as problems */
};

/* A cursor over the entries in log order (block order, then slot order). Plain
 * struct so a restore loop needs no allocation: init, then next until 0. */
struct hrl_iter {
    const hrl_log *log;
    unsigned flags;
    size_t block;      /* index into the block index */
    uint32_t slot;
    uint64_t index;
    uint64_t data_pos; /* file offset of the next payload */
};

/*! hrl_iter_init() : positions `it` before the first entry. */
HVK_API void hrl_iter_init(const hrl_log *log, unsigned flags, struct hrl_iter *it);

/*! hrl_iter_next() :
 *  Fills *e with the next entry. Blocks whose payload layout is unknown
 *  (capacity overflow, gap mismatch) are skipped: their problems were already
 *  reported by hrl_open().
 *  @return 1 with *e, or 0 at the end. */
HVK_API int hrl_iter_next(struct hrl_iter *it, struct hrl_entry *e);

typedef int (*hrl_entry_fn)(void *ctx, const struct hrl_entry *e);

/*! hrl_foreach_entry() :
 *  Calls cb for every entry in log order; stops when cb returns non-zero.
 *  @return 0, or cb's non-zero value. */
HVK_API int hrl_foreach_entry(const hrl_log *log, unsigned flags, hrl_entry_fn cb, void *ctx);

/*! hrl_verify_data() :
 *  Checks every present DataChecksum (reporting mismatches).
 *  @return the number of bad payloads. */
HVK_API uint64_t hrl_verify_data(const hrl_log *log);

/* ---- writing ---- */
typedef struct hrl_writer hrl_writer;

struct hrl_writer_opts {
    uint32_t metadata_size;     /* 0 = 4096; multiple of 32, >= 64 */
    int empty_first_block;      /* write an empty block at 4096, as Hyper-V does */
    int no_data_checksum;       /* store DataChecksum 0 (Hyper-V's own output) */
    struct hv_guid unique_id;   /* zero = random */
    struct hv_guid previous_unique_id;
    struct hv_guid vhd2_guid;
    uint32_t created;           /* header TimeStamp (2000 epoch); 0 = now. When set, the
                                   output is deterministic: LastModifiedTimeStamp = max of
                                   created and the last entry time instead of now. */
    uint32_t creator_version;   /* 0 = 0x000A0000 */
};

/*! hrl_writer_create() :
 *  Creates `path` (must not exist) and writes an open header (EOLLocation 0).
 *  The caller writes to a temporary name and publishes it (hv_publish.h) after
 *  hrl_writer_close().
 *  @return 0 and *out, or -1 with err. */
HVK_API int hrl_writer_create(const char *path, const struct hrl_writer_opts *opts,
                              hrl_writer **out, struct hv_err *err);

/*! hrl_writer_open_io() : same over an hv_io the writer takes ownership of. */
struct hv_io;
HVK_API int hrl_writer_open_io(struct hv_io *io, const struct hrl_writer_opts *opts,
                               hrl_writer **out, struct hv_err *err);

/*! hrl_writer_add() :
 *  Appends one write (payload now, its entry in the pending batch; a full
 *  batch becomes a metadata block). `time` is seconds since 2000.
 *  @return 0, or -1 with err. */
HVK_API int hrl_writer_add(hrl_writer *w, uint64_t disk_offset, const void *data,
                           uint32_t len, uint32_t time, struct hv_err *err);

/*! hrl_writer_flush() : writes the pending batch as a metadata block (no-op if
 *  empty). @return 0, or -1 with err. */
HVK_API int hrl_writer_flush(hrl_writer *w, struct hv_err *err);

/*! hrl_writer_close() :
 *  Flushes, writes the closed header (EOLLocation, CurrentSize,
 *  TotalMetadataEntries, LastModifiedTimeStamp), syncs and frees `w` — also on
 *  failure. *unique_id (if non-NULL) receives the log's UniqueId.
 *  @return 0, or -1 with err. */
HVK_API int hrl_writer_close(hrl_writer *w, struct hv_guid *unique_id, struct hv_err *err);

/*! hrl_writer_abort() : frees without finishing; accepts NULL. */
HVK_API void hrl_writer_abort(hrl_writer *w);

/* ---- chains ---- */

/*! hrl_chain_order() :
 *  Orders n logs (their headers) by UniqueId/PreviousUniqueId into order[]
 *  (indices, first log first) and reports gaps, forks, duplicates and logs of
 *  another chain (different Vhd2DataWriteGuid or not connected); a problem's
 *  offset is the index of the log concerned.
 *  @return the number of problems (0: one clean chain). */
HVK_API size_t hrl_chain_order(const struct hrl_header *const *hdrs, size_t n, size_t *order,
                               hrl_problem_fn on_problem, void *ctx);

/* ---- time ---- */

/*! hrl_time_now() : @return the current time in seconds since 2000. */
HVK_API uint32_t hrl_time_now(void);

#ifdef __cplusplus
}
#endif
#endif
