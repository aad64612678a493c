/* layout.h: [MS-VHDX] 2.1-2.6 on-disk structures as named offsets, plus the
 * pure parsers and encoders of each structure (one .c file per structure).
 *
 *   0        64K       128K      192K       256K       320K ........ 1M
 *   +---------+---------+---------+----------+----------+------------+
 *   | file id | header1 | header2 | region 1 | region 2 |  reserved  |
 *   +---------+---------+---------+----------+----------+------------+
 *   then, 1 MiB aligned and in any order: log, BAT, metadata region,
 *   payload blocks and sector-bitmap blocks.
 *
 * Nothing here does I/O: parsers take a struct hv_span (the one bounds gate)
 * and fill plain structs; encoders write into caller buffers. Offsets are
 * decoded byte by byte, never by casting mapped memory.
 */
#ifndef HVK_VHDX_LAYOUT_H
#define HVK_VHDX_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "hv_bytes.h"
#include "hv_err.h"
#include "hv_guid.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/* ---- file type identifier (section 3) ---- */
#define FTI_OFFSET 0
#define FTI_SIZE (64 * 1024)
#define FTI_OFF_SIGNATURE 0
#define FTI_OFF_CREATOR 8
#define FTI_CREATOR_LEN 512
#define FTI_OFF_RESERVED 520
#define FTI_RESERVED_LEN 65016
_Static_assert(FTI_OFF_RESERVED + FTI_RESERVED_LEN == FTI_SIZE, "file identifier size");

struct vhdx_fti {
    char creator[800]; /* UTF-8 */
};
int vhdx_fti_parse(struct hv_span s, struct vhdx_fti *out, struct hv_err *e);
void vhdx_fti_encode(const struct vhdx_fti *in, uint8_t *buf /* FTI_SIZE */);

/* ---- header (section 4) ---- */
#define HDR1_OFFSET (64 * 1024)
#define HDR2_OFFSET (128 * 1024)
#define HDR_SIZE 4096
#define HDR_OFF_SIGNATURE 0
#define HDR_OFF_CHECKSUM 4
#define HDR_OFF_SEQ 8
#define HDR_OFF_FILE_WRITE_GUID 16
#define HDR_OFF_DATA_WRITE_GUID 32
#define HDR_OFF_LOG_GUID 48
#define HDR_OFF_LOG_VERSION 64
#define HDR_OFF_VERSION 66
#define HDR_OFF_LOG_LENGTH 68
#define HDR_OFF_LOG_OFFSET 72
#define HDR_OFF_RESERVED 80
#define HDR_RESERVED_LEN 4016
_Static_assert(HDR_OFF_RESERVED + HDR_RESERVED_LEN == HDR_SIZE, "header size");

struct vhdx_header {
    uint32_t checksum;
    uint64_t seq;
    struct hv_guid file_write_guid, data_write_guid, log_guid;
    uint16_t log_version, version;
    uint32_t log_length;
    uint64_t log_offset;
};
/* Valid = signature, CRC, Version 1, LogVersion 0 (unless LogGuid is zero). */
int vhdx_header_parse(struct hv_span s, struct vhdx_header *out, struct hv_err *e);
void vhdx_header_encode(const struct vhdx_header *in, uint8_t *buf /* HDR_SIZE */);
/* [MS-VHDX] 4.2: index of the current header (0/1) from validity and sequence
 * numbers; -1 when neither is valid. *tie is set when both are valid with equal
 * sequence numbers (Disk2vhd writes that; header 1 is preferred). */
int vhdx_header_select(const struct vhdx_header h[2], const int valid[2], int *tie);

/* ---- region table (section 5) ---- */
#define RT1_OFFSET (192 * 1024)
#define RT2_OFFSET (256 * 1024)
#define RT_SIZE (64 * 1024)
#define RT_HEADER_SIZE 16
#define RT_OFF_SIGNATURE 0
#define RT_OFF_CHECKSUM 4
#define RT_OFF_ENTRY_COUNT 8
#define RT_OFF_RESERVED 12
_Static_assert(RT_OFF_RESERVED + 4 == RT_HEADER_SIZE, "region table header size");
#define RTE_SIZE 32
#define RTE_OFF_GUID 0
#define RTE_OFF_FILE_OFFSET 16
#define RTE_OFF_LENGTH 24
#define RTE_OFF_REQUIRED 28
_Static_assert(RTE_OFF_REQUIRED + 4 == RTE_SIZE, "region table entry size");
#define RT_MAX_ENTRIES 2047
_Static_assert(RT_HEADER_SIZE + RT_MAX_ENTRIES * RTE_SIZE <= RT_SIZE, "region table capacity");

struct vhdx_region {
    struct hv_guid guid;
    uint64_t file_offset;
    uint32_t length;
    uint32_t required;
};
struct vhdx_region_table {
    uint32_t count;
    struct vhdx_region e[RT_MAX_ENTRIES];
};
extern const struct hv_guid VHDX_REGION_BAT, VHDX_REGION_METADATA;
/* Checks signature, CRC, count, alignment, duplicates and overlaps between entries. */
int vhdx_region_parse(struct hv_span s, struct vhdx_region_table *out, struct hv_err *e);
void vhdx_region_encode(const struct vhdx_region_table *in, uint8_t *buf /* RT_SIZE */);

/* ---- metadata region (section 6) ---- */
#define MT_SIZE (64 * 1024)
#define MT_HEADER_SIZE 32
#define MT_OFF_SIGNATURE 0
#define MT_OFF_RESERVED 8
#define MT_OFF_ENTRY_COUNT 10
#define MT_OFF_RESERVED2 12
_Static_assert(MT_OFF_RESERVED2 + 20 == MT_HEADER_SIZE, "metadata table header size");
#define MTE_SIZE 32
#define MTE_OFF_ITEM_ID 0
#define MTE_OFF_OFFSET 16
#define MTE_OFF_LENGTH 20
#define MTE_OFF_FLAGS 24
#define MTE_OFF_RESERVED2 28
_Static_assert(MTE_OFF_RESERVED2 + 4 == MTE_SIZE, "metadata table entry size");
#define MT_MAX_ENTRIES 2047
#define MT_MAX_USER_ENTRIES 1024
#define MT_ITEM_MAX_LEN (1024 * 1024)
#define MT_FLAG_IS_USER 0x1
#define MT_FLAG_IS_VIRTUAL_DISK 0x2
#define MT_FLAG_IS_REQUIRED 0x4

struct vhdx_meta_entry {
    struct hv_guid id;
    uint32_t offset, length, flags;
};
struct vhdx_meta_table {
    uint16_t count;
    struct vhdx_meta_entry e[MT_MAX_ENTRIES];
};

#define FP_LEAVE_BLOCK_ALLOCATED 0x1
#define FP_HAS_PARENT 0x2

/* The values of the known items, decoded. */
struct vhdx_meta_values {
    uint32_t block_size;
    uint32_t fp_flags;
    uint64_t virtual_size;
    struct hv_guid virtual_disk_id;
    uint32_t logical_sector_size, physical_sector_size;
    int has_locator;
    uint32_t locator_offset, locator_length; /* within the region */
    uint64_t virtual_size_at, file_parameters_at; /* file offsets, for messages */
};

extern const struct hv_guid VHDX_META_FILE_PARAMETERS, VHDX_META_VIRTUAL_DISK_SIZE,
    VHDX_META_VIRTUAL_DISK_ID, VHDX_META_LOGICAL_SECTOR_SIZE, VHDX_META_PHYSICAL_SECTOR_SIZE,
    VHDX_META_PARENT_LOCATOR;

/* s = the whole metadata region (its first 64 KiB are the table). Checks the
 * table (count, item bounds inside the region, overlaps, duplicates). */
int vhdx_metadata_table_parse(struct hv_span s, struct vhdx_meta_table *out, struct hv_err *e);
void vhdx_metadata_table_encode(const struct vhdx_meta_table *in, uint8_t *buf /* MT_SIZE */);
/* Decodes every known item and enforces [MS-VHDX] 2.6.2 ranges; unknown item
 * with IsRequired -> HV_UNSUPPORTED. */
int vhdx_metadata_values_parse(struct hv_span s, const struct vhdx_meta_table *t,
                          struct vhdx_meta_values *out, struct hv_err *e);
/* Item encoders (8/8/16/4/4 bytes). */
void vhdx_meta_file_parameters_encode(uint32_t block_size, uint32_t flags, uint8_t *buf);
void vhdx_meta_u64_encode(uint64_t v, uint8_t *buf);
void vhdx_meta_u32_encode(uint32_t v, uint8_t *buf);

/* ---- parent locator (section 7) ---- */
#define PL_HEADER_SIZE 20
#define PL_OFF_TYPE 0
#define PL_OFF_RESERVED 16
#define PL_OFF_COUNT 18
_Static_assert(PL_OFF_COUNT + 2 == PL_HEADER_SIZE, "parent locator header size");
#define PLE_SIZE 12
#define PLE_OFF_KEY_OFFSET 0
#define PLE_OFF_VALUE_OFFSET 4
#define PLE_OFF_KEY_LENGTH 8
#define PLE_OFF_VALUE_LENGTH 10
_Static_assert(PLE_OFF_VALUE_LENGTH + 2 == PLE_SIZE, "parent locator entry size");
#define PL_MAX_ENTRIES 256

extern const struct hv_guid VHDX_LOCATOR_TYPE_VHDX;

struct vhdx_locator_kv {
    char *key, *value; /* UTF-8, NUL-terminated, heap */
    uint64_t value_at;  /* file offset of the value, for messages */
};
struct vhdx_locator {
    struct hv_guid type;
    size_t n;
    struct vhdx_locator_kv *kv;
};
int vhdx_locator_parse(struct hv_span s, struct vhdx_locator *out, struct hv_err *e);
void vhdx_locator_free(struct vhdx_locator *l);
/* Returns the encoded size (packed: header, entries, strings); writes only when
 * it fits in cap; 0 on invalid UTF-8. */
size_t vhdx_locator_encode(const struct vhdx_locator *in, uint8_t *buf, size_t cap);
const char *vhdx_locator_get(const struct vhdx_locator *l, const char *key);
uint64_t vhdx_locator_value_at(const struct vhdx_locator *l, const char *key);
/* UTF-16LE -> UTF-8 (surrogate pairs joined). Returns -1 on odd length, NUL,
 * unpaired surrogate or when out is too small. */
int vhdx_utf16le_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap, int allow_nul_end);

/* ---- BAT (section 8) ---- */
#define BAT_STATE_MASK 0x7u
#define BAT_OFFSET_MASK UINT64_C(0xFFFFFFFFFFF00000)
#define BAT_RESERVED_MASK UINT64_C(0x00000000000FFFF8)
#define SB_BLOCK_SIZE (1024 * 1024)
#define SB_NOT_PRESENT 0
#define SB_PRESENT 6

struct vhdx_geom {
    uint64_t virtual_size;
    uint32_t block_size, lss;
    uint32_t chunk_ratio;
    uint64_t data_blocks, sb_blocks, total_entries;
    int differencing;
};
/* Validates sizes (block 1-256 MiB power of 2, sector 512/4096, virtual size
 * multiple of lss, <= 64 TiB) and computes the [MS-VHDX] 2.5 counts. */
int vhdx_bat_geometry(uint64_t virtual_size, uint32_t block_size, uint32_t lss, int differencing,
                 struct vhdx_geom *g, struct hv_err *e);
static inline uint64_t bat_payload_index(const struct vhdx_geom *g, uint64_t b)
{
    return b + b / g->chunk_ratio;
}
static inline uint64_t bat_sb_index(const struct vhdx_geom *g, uint64_t c)
{
    return c * ((uint64_t)g->chunk_ratio + 1) + g->chunk_ratio;
}
/* Bit of block b's first sector inside its chunk's sector bitmap ([MS-VHDX] 2.5.1.2). */
static inline uint64_t bat_sb_first_bit(const struct vhdx_geom *g, uint64_t b)
{
    return (b % g->chunk_ratio) * (g->block_size / g->lss);
}
static inline unsigned bat_state(uint64_t v)
{
    return (unsigned)(v & BAT_STATE_MASK);
}
static inline uint64_t bat_file_offset(uint64_t v)
{
    return v & BAT_OFFSET_MASK;
}
static inline uint64_t bat_entry_make(unsigned state, uint64_t file_offset)
{
    return (file_offset & BAT_OFFSET_MASK) | (state & BAT_STATE_MASK);
}
/* One entry from a BAT span, with its bounds check. */
int vhdx_bat_entry_parse(struct hv_span bat, uint64_t index, uint64_t *out, struct hv_err *e);
void vhdx_bat_entry_encode(uint64_t v, uint8_t *buf);
/* How many entries from `index` (below `end`) are all-zero (NOT_PRESENT
 * with no offset): one vectorised zero check over a sparse stretch instead of
 * a loop per entry, so opening a large empty disk costs little. */
uint64_t vhdx_bat_zero_run(struct hv_span bat, uint64_t index, uint64_t end);

/* ---- sector bitmap (section 9) ---- */
/* Length of the run of equal bits starting at bit `start`, at most `limit` bits;
 * *bit receives the value of the run. LSB-first within each byte. */
uint64_t vhdx_bitmap_run(const uint8_t *bits, uint64_t start, uint64_t limit, int *bit);
uint64_t vhdx_bitmap_count(const uint8_t *bits, uint64_t start, uint64_t n);

/* ---- hvkit limits on sizes read from a file (docs/limits.md) ----
 * Memory and file growth must never follow a forged field: each size the
 * spec leaves open is capped far above what Hyper-V, qemu and hvkit write
 * (1 MiB logs, 1 MiB metadata regions). */
#define VHDX_LOG_MAX_LEN (256 * MiB)        /* LogLength: the overlay holds its data */
#define VHDX_META_REGION_MAX (32 * MiB)     /* metadata region length: read whole */
#define VHDX_SB_COPIES_MAX (256 * MiB)      /* sector bitmap blocks the log rewrites */

/* ---- log (section 10) ---- */
#define LOG_SECTOR 4096
#define LE_HEADER_SIZE 64
#define LE_OFF_SIGNATURE 0
#define LE_OFF_CHECKSUM 4
#define LE_OFF_ENTRY_LENGTH 8
#define LE_OFF_TAIL 12
#define LE_OFF_SEQ 16
#define LE_OFF_DESC_COUNT 24
#define LE_OFF_RESERVED 28
#define LE_OFF_LOG_GUID 32
#define LE_OFF_FLUSHED 48
#define LE_OFF_LAST 56
_Static_assert(LE_OFF_LAST + 8 == LE_HEADER_SIZE, "log entry header size");
#define LD_SIZE 32
#define LD_OFF_SIGNATURE 0
#define LD_OFF_TRAILING 4   /* data: trailing 4 bytes; zero: reserved */
#define LD_OFF_LEADING 8    /* data: leading 8 bytes; zero: ZeroLength */
#define LD_OFF_FILE_OFFSET 16
#define LD_OFF_SEQ 24
_Static_assert(LD_OFF_SEQ + 8 == LD_SIZE, "log descriptor size");
#define LDS_OFF_SIGNATURE 0
#define LDS_OFF_SEQ_HIGH 4
#define LDS_OFF_DATA 8
#define LDS_DATA_LEN 4084
#define LDS_OFF_SEQ_LOW 4092
_Static_assert(LDS_OFF_SEQ_LOW + 4 == LOG_SECTOR, "log data sector size");

struct vhdx_log_entry {
    uint32_t checksum, entry_length, tail;
    uint64_t seq;
    uint32_t desc_count;
    struct hv_guid log_guid;
    uint64_t flushed_file_offset, last_file_offset;
};
struct vhdx_log_desc {
    int is_data;
    uint8_t trailing[4], leading[8];
    uint64_t zero_length;
    uint64_t file_offset;
    uint64_t seq;
};
int vhdx_log_entry_header_parse(struct hv_span s, struct vhdx_log_entry *out, struct hv_err *e);
void vhdx_log_entry_header_encode(const struct vhdx_log_entry *in, uint8_t *buf /* 64 */);
int vhdx_log_desc_parse(struct hv_span s, struct vhdx_log_desc *out, struct hv_err *e);
void vhdx_log_desc_encode(const struct vhdx_log_desc *in, uint8_t *buf /* 32 */);
/* Splits a 4 KiB sector into descriptor fields + data sector. */
void vhdx_log_data_encode(const uint8_t *sector, uint64_t seq, struct vhdx_log_desc *d,
                     uint8_t *data_sector);
/* Whole-entry validation over a contiguous copy of EntryLength bytes
 * ([MS-VHDX] 10.3): descriptors, data sectors, CRC. */
int vhdx_log_entry_parse(struct hv_span s, const struct hv_guid *log_guid, struct vhdx_log_entry *out,
                    struct hv_err *e);
/* Computes and stores the checksum of a complete entry. */
void vhdx_log_entry_seal(uint8_t *entry, size_t len);

/* In-memory replay. The log's operations (4 KiB data pages and zero ranges,
 * in application order) are kept for counting and flattened once into `seg`:
 * sorted, disjoint intervals holding the final replayed content, so lookups
 * cost O(log n) whatever the descriptors overlap (sweep with a heap, O(n log n)). */
struct ov_op {
    uint64_t off, len; /* len = 4096 for data, any multiple of 4096 for zero */
    uint8_t *data;     /* NULL for zero ranges */
    size_t order;
};
struct ov_seg {
    uint64_t off, len;
    const uint8_t *data; /* the page holding byte `off` (at data + off % 4096); NULL = zeros */
};
struct vhdx_overlay {
    struct ov_op *ops; /* data ops in log order */
    size_t n, cap;
    struct ov_op *zeros; /* zero ranges in log order */
    size_t nz, capz;
    size_t next_order;
    struct ov_seg *seg; /* final content, sorted, disjoint (vhdx_log_replay builds it) */
    size_t nseg;
    uint64_t data_end;  /* end of the last data segment (0: none) */
};
void vhdx_ov_free(struct vhdx_overlay *ov);
int vhdx_ov_empty(const struct vhdx_overlay *ov);
int vhdx_ov_intersects(const struct vhdx_overlay *ov, uint64_t off, uint64_t len);
/* Builds ov->seg from the ops (called by vhdx_log_replay). Returns 0 or -1 (NOMEM). */
int vhdx_ov_finish(struct vhdx_overlay *ov, struct hv_err *e);
/* Copies file bytes [off, off+len) as replayed: overlay over `file` (the real
 * bytes; beyond them zeros). */
void vhdx_ov_read(const struct vhdx_overlay *ov, struct hv_span file, uint64_t off, uint64_t len,
             uint8_t *buf);

struct vhdx_log_scan {
    int found;
    uint64_t tail_pos, head_pos; /* ring offsets */
    uint32_t entries, stale;
    uint64_t seq_first, seq_last;
    struct vhdx_log_entry head;
    uint32_t data_desc, zero_desc;
    uint64_t zero_bytes;
    struct hv_err why; /* when !found: why the first entry-looking sector failed */
    int have_why;
};
/* [MS-VHDX] 10.4: finds the active sequence in the ring `log`. */
int vhdx_log_find_active(struct hv_span log, const struct hv_guid *log_guid, struct vhdx_log_scan *out,
                    struct hv_err *e);
/* Replays the active sequence into ov (from head.Tail to head). */
int vhdx_log_replay(struct hv_span log, const struct hv_guid *log_guid, const struct vhdx_log_scan *scan,
               struct vhdx_overlay *ov, struct hv_err *e);

#endif
