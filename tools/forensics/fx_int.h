/* fx_int.h: what the files of the forensics library share (not installed). */
#ifndef HVK_FX_INT_H
#define HVK_FX_INT_H

#include <tsk/libtsk.h>

#include "fx.h"

/* A run of disk bytes owned by one owner (extents are disjoint once built). */
struct fx_ext {
    uint64_t off, len;
    size_t owner;
    uint64_t file_off;
    const char *attr; /* interned in the snapshot, or NULL */
};

/* Pseudo owners of one volume, by kind. */
struct fx_vol_int {
    struct fx_volume pub;
    TSK_FS_INFO *fs;          /* NULL when no file system was read */
    size_t pseudo_meta, pseudo_alloc, pseudo_unalloc, pseudo_nofs;
};

struct fx_snap {
    const struct fx_source *src;
    TSK_IMG_INFO *img;
    TSK_VS_INFO *vs;
    struct fx_vol_int *vols;
    size_t nvols;
    struct fx_owner *owners;
    size_t nowners, capowners;
    struct fx_ext *ext;
    size_t next, capext;
    struct fx_range *vsmeta;  /* partition-table sectors, bytes */
    size_t nvsmeta;
    size_t pseudo_table, pseudo_outside;
    char **attrs;             /* interned attribute labels */
    size_t nattrs;
};

TSK_IMG_INFO *fx_img_open(const struct fx_source *src);

/* fx_snap.c helpers used by fx_walk.c */
size_t fx_owner_add(fx_snap *s, const struct fx_owner *o); /* SIZE_MAX: no memory */
int fx_ext_add(fx_snap *s, uint64_t off, uint64_t len, size_t owner, uint64_t file_off,
               const char *attr);
const char *fx_attr_intern(fx_snap *s, const char *label);

/* fx_walk.c: every allocated file of volume v. @return 0 or -1 (no memory). */
int fx_walk_volume(fx_snap *s, size_t v);

/* A 64-bit set (inode numbers seen). */
struct fx_u64set {
    uint64_t *slot; /* key + 1; 0 = empty */
    size_t cap, n;
};
int fx_u64set_add(struct fx_u64set *h, uint64_t key); /* 1 added, 0 present, -1 no memory */
void fx_u64set_free(struct fx_u64set *h);

#endif
