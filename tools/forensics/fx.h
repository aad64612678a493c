/* fx.h: file-level attribution of disk ranges, through The Sleuth Kit.
 *
 *   fx_source (bytes of one disk state: a VHDX chain, or a base plus logs)
 *      --> fx_snap_open()  volume system (MBR, GPT), file systems, every
 *                          allocated file's extents, sorted by disk offset
 *      --> fx_attribute()  which owner holds each piece of a byte range:
 *                          a file's data, file-system metadata, unallocated
 *                          space, a partition table, or no partition at all
 *      --> fx_diff()       two states + the ranges written between them:
 *                          created, deleted, renamed, modified, metadata-only
 *
 * Not VHDX or HRL format logic: the disk is read only through a callback, so
 * a recovery point is examined without being written out. State lives in the
 * handles; nothing is global.
 */
#ifndef HVK_FX_H
#define HVK_FX_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of one disk state. read() fills buf with [off, off+len), len > 0,
 * off+len <= size; @return 0 or -1. */
struct fx_source {
    uint64_t size;
    uint32_t sector;
    int (*read)(void *ctx, void *buf, size_t len, uint64_t off);
    void *ctx;
};

/* What an owner is. */
enum fx_kind {
    FX_FILE = 0,      /* a regular file (or other non-directory entry) */
    FX_DIR,           /* a directory's own blocks */
    FX_FSMETA_FILE,   /* a named file-system metadata file: $MFT, $LogFile, $FAT1, journal */
    FX_FSMETA,        /* file-system metadata without a file: superblock, inode tables, bitmaps */
    FX_FS_ALLOC,      /* allocated in the file system, no file found for it */
    FX_UNALLOC,       /* unallocated space of a file system */
    FX_NO_FS,         /* inside a partition without a readable file system */
    FX_PART_TABLE,    /* a partition table (MBR, GPT header and entries) */
    FX_UNPARTITIONED, /* outside every partition */
};
const char *fx_kind_name(enum fx_kind k); /* "file", "dir", "fs-metadata", ... */

/* One owner: a file (found by the directory walk) or a pseudo owner. */
struct fx_owner {
    enum fx_kind kind;
    int vol;             /* volume index; -1 for partition table / unpartitioned */
    uint64_t inum;       /* inode number / MFT entry (0 for pseudo owners) */
    uint32_t seq;        /* NTFS sequence number, else 0 */
    char *path;          /* "/dir/name" inside its volume; pseudo owners: a label */
    uint64_t size;
    int64_t mtime, atime, ctime, crtime; /* Unix seconds, 0 unknown */
    uint32_t mode;       /* permission bits as TSK reports them */
    uint64_t meta_hash;  /* hash of resident data (NTFS), 0 without */
    uint64_t first_data; /* disk offset of the first data extent, UINT64_MAX none */
};

/* One volume (partition, or the whole disk when there is no partition table). */
struct fx_volume {
    uint64_t off, len;   /* bytes on the disk */
    char desc[64];       /* partition description from the table */
    char fs[16];         /* "ntfs", "fat32", "ext4", ... or "" */
    char error[200];     /* why no (or not all of the) file system was read; "" when it was */
    int empty;           /* no file system and the partition starts with zeros: not damage */
    uint32_t block;      /* file-system block size (0 without) */
};

/* A piece of a range with one owner. */
struct fx_piece {
    uint64_t off, len;   /* disk bytes */
    size_t owner;        /* index into the snapshot's owners */
    uint64_t file_off;   /* offset inside the file's attribute (files only) */
    const char *attr;    /* "$DATA", "$DATA:ads", "$INDEX_ALLOCATION", ... or NULL */
};

typedef struct fx_snap fx_snap;

/*! fx_snap_open() :
 *  Reads the volume system and every file system through `src` (which must
 *  outlive the snapshot). A file system that cannot be read is kept as a
 *  volume with `error` set, its bytes owned by FX_NO_FS: never fatal.
 *  @return 0 and *out, or -1 with a message in err (no memory, unreadable). */
int fx_snap_open(const struct fx_source *src, fx_snap **out, char *err, size_t errlen);
void fx_snap_close(fx_snap *s); /* accepts NULL */

size_t fx_snap_volumes(const fx_snap *s);
const struct fx_volume *fx_snap_volume(const fx_snap *s, size_t i);
size_t fx_snap_owners(const fx_snap *s);
const struct fx_owner *fx_snap_owner(const fx_snap *s, size_t i);
/* An owner's allocated bytes (sum of its extents). */
uint64_t fx_owner_bytes(const fx_snap *s, size_t owner);

/* Calls cb for consecutive pieces covering [off, off+len) (clipped to the
 * disk), in disk order. Non-zero from cb stops the walk and is returned. */
typedef int (*fx_piece_fn)(void *ctx, const struct fx_piece *p);
int fx_attribute(const fx_snap *s, uint64_t off, uint64_t len, fx_piece_fn cb, void *ctx);

/* ---- differences between two states ---- */

/* A set of disjoint written ranges, sorted (built by the caller). */
struct fx_range {
    uint64_t off, len;
};

enum fx_change {
    FX_CREATED = 0,
    FX_DELETED,
    FX_RENAMED,
    FX_MODIFIED,  /* data bytes written, or resident data (NTFS) changed */
    FX_METADATA,  /* only its metadata changed (times, size, permissions) */
    FX_WRITTEN,   /* a pseudo owner (fs metadata, unallocated, ...) was written */
};
const char *fx_change_name(enum fx_change c);

struct fx_diff_row {
    enum fx_change change;
    const fx_snap *snap;  /* the snapshot `owner` indexes (the after state, or
                             the before state for deleted files) */
    size_t owner;
    size_t old_owner;     /* renamed: the owner in the before state; else SIZE_MAX */
    uint64_t bytes;       /* written bytes inside the owner's extents */
    uint64_t first_off;   /* first written disk byte attributed to it (UINT64_MAX none) */
};

/*! fx_diff() :
 *  Compares `a` (before) and `b` (after) given the ranges written between
 *  them: rows sorted by volume, then path. Files are matched by (volume,
 *  inode, sequence); a FAT rename moves the directory entry and so the inode
 *  number, and is matched by first cluster and size instead.
 *  @return 0 and the rows in *rows, *n (free them), or -1 (no memory). */
int fx_diff(const fx_snap *a, const fx_snap *b, const struct fx_range *w, size_t nw,
            struct fx_diff_row **rows, size_t *n);

/* Sorted, merged copy of ranges (in place). @return the new count. */
size_t fx_ranges_normalize(struct fx_range *r, size_t n);

#endif
