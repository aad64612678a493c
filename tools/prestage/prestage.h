/* prestage.h: plan the pre-staging of differencing-chain parents on a target
 * host before a migration.
 *
 * For each input disk the source chain is resolved (through the source maps);
 * for each parent we compute where its child will look on the target (the
 * locator's relative_path, volume_path, absolute_win32_path in that order
 * [MS-VHDX] 7.3, mapped through the target maps; the relative path is taken
 * from where the child sits on the target) and what is there now:
 *   ok        a file whose DataWriteGuid is the child's parent_linkage (or
 *             parent_linkage2) and whose virtual size and logical sector size
 *             match the child
 *   missing   nothing there: copy it
 *   stale     something else is there (another identity, not a VHDX, a link)
 *   conflict  two children need different identities at the same path
 *   unmapped  no target map covers any path the child would try, or the path
 *             climbs above its root through ".."
 * A parent shared by several chains appears once (keyed by target path).
 *
 * Disk access goes through struct ps_disk_ops, so the verdict logic is
 * testable without files; prestage_vhdx.c implements it with libvhdx.
 */
#ifndef HVK_PRESTAGE_H
#define HVK_PRESTAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hv_err.h"
#include "hv_guid.h"
#include "hv_walk.h"
#include "prestage_path.h"

/* What the planner needs to know about one VHDX layer. */
struct ps_disk {
    char path[PS_PATH_MAX];          /* local path it was opened from */
    struct hv_guid data_write_guid;
    uint64_t virtual_size;
    uint32_t logical_sector_size;
    uint64_t allocated;              /* bytes on disk (st_blocks * 512) */
    int header_valid[2];             /* signature + CRC-32C of header 1 and 2 verify */
    int has_parent;
    struct hv_guid linkage, linkage2; /* linkage2 zero when absent */
    char relative_path[PS_PATH_MAX];  /* locator values (UTF-8), "" when absent */
    char volume_path[PS_PATH_MAX];
    char absolute_path[PS_PATH_MAX];
};

/* What is at a target path, as seen without following symbolic links. */
enum ps_probe {
    PS_PROBE_DISK = 0,    /* a readable VHDX layer: *out filled */
    PS_PROBE_ABSENT,      /* nothing there */
    PS_PROBE_OTHER,       /* something else: a link, not a VHDX, unreadable (note says) */
    PS_PROBE_UNSAFE,      /* a directory on the way is a symbolic link or not a directory */
};

struct ps_disk_ops {
    /* Opens `path` and its whole chain on the source; fills a malloc'ed array
     * top (index 0) to base. @return 0, or -1 with e. */
    int (*chain)(void *ctx, const char *path, struct ps_disk **layers, size_t *n, struct hv_err *e);
    /* Inspects map `map`'s root + `rel` on the target without following links. */
    enum ps_probe (*probe)(void *ctx, const struct ps_map *map, const char *rel, struct ps_disk *out,
                           char *note, size_t notelen);
    /* Identity of the directory of map root + `rel` and of the entry there
     * (zero when absent), not following links: copy and relink re-check it
     * on their descriptors. May be NULL. @return 0, or -1 (no directory). */
    int (*place_id)(void *ctx, const struct ps_map *map, const char *rel, struct hv_dirid *dir,
                    struct hv_dirid *leaf);
    void *ctx;
};

enum ps_verdict { PS_OK = 0, PS_MISSING, PS_STALE, PS_CONFLICT, PS_UNMAPPED, PS_VERDICT_COUNT };
const char *ps_verdict_name(enum ps_verdict v);

enum ps_cand_state {
    PS_CAND_UNMAPPED = 0, /* not covered by a target map / escapes its root */
    PS_CAND_OK,           /* right identity there */
    PS_CAND_ABSENT,
    PS_CAND_WRONG,        /* another file there */
    PS_CAND_UNSAFE,       /* a symbolic link on the way */
    PS_CAND_NOT_TRIED,    /* key absent from the locator */
};
const char *ps_cand_state_name(enum ps_cand_state s);

/* One place a child will look for its parent on the target. */
struct ps_candidate {
    const char *key;              /* "relative_path", "volume_path", "absolute_win32_path", "relink" */
    char value[PS_PATH_MAX];      /* the locator value ("" when absent) */
    char win[PS_PATH_MAX];        /* normalised Windows path it stands for ("" if none) */
    struct ps_mapped target;      /* target.map < 0: unmapped */
    enum ps_cand_state state;
    char note[256];
};

#define PS_NCAND 4

/* One parent to have on the target. */
struct ps_item {
    struct ps_disk src;           /* the parent as found on the source */
    enum ps_verdict verdict;
    struct ps_candidate cand[PS_NCAND];
    int dest;                     /* candidate that decides: the ok one, else the first mapped; -1 */
    struct hv_guid need;          /* identity the child requires (its linkage) */
    struct hv_guid found;         /* identity found at dest (stale) */
    char note[256];
    struct hv_dirid dir, leaf;    /* at dest when planned (zero: absent); after a copy, the copy */
    /* filled by ps_copy_run() */
    int action;                   /* enum ps_action */
    char action_note[600];
    char kept[PS_PATH_MAX];       /* where a replaced stale file was kept */
    uint64_t resumed_from;        /* an interrupted copy was resumed at this offset (0: fresh) */
    uint64_t copied_bytes;        /* data bytes this run copied */
};

/* One child→parent edge on the target. */
struct ps_link {
    char child[PS_PATH_MAX];      /* the child's local path as opened (source or target) */
    char child_win[PS_PATH_MAX];  /* where the child sits on the target, Windows form ("" unknown) */
    char child_target[PS_PATH_MAX]; /* local target path of the child ("" unknown) */
    int child_item;               /* item index of the child, -1 for an input */
    int child_map;                /* an input on the target: its map and path below the root */
    char child_rel[PS_PATH_MAX];
    struct hv_dirid child_dir, child_leaf; /* its directory and file when planned */
    int parent_item;
    int child_on_target;          /* the child file itself is on the target (may be relinked) */
    int relink;                   /* locator does not name dest as relative + absolute path */
    char want_rel[PS_PATH_MAX];   /* relative_path that names dest from the child */
    char want_win[PS_PATH_MAX];   /* Windows path of dest (absolute or volume form) */
    int action;                   /* enum ps_action, by ps_copy_run() */
    char action_note[600];
};

enum ps_action {
    PS_ACT_NONE = 0,   /* nothing to do (ok, or not asked) */
    PS_ACT_DONE,       /* copied / relinked */
    PS_ACT_WOULD,      /* --dry-run: would copy / relink */
    PS_ACT_SKIPPED,    /* a problem verdict, or not allowed (note says why) */
    PS_ACT_FAILED,     /* tried and failed (note says why) */
};
const char *ps_action_name(int a);

struct ps_input {
    char path[PS_PATH_MAX];
    char win[PS_PATH_MAX];        /* its Windows path on the target ("" unknown) */
    char target[PS_PATH_MAX];     /* its local path on the target ("" unknown) */
    int map;                      /* target map of `target` (-1 unknown) */
    char rel[PS_PATH_MAX];        /* `target` below that map's root */
    int on_target;
    size_t depth;                 /* layers in its chain, itself included */
    int error;                    /* chain could not be resolved on the source */
    char msg[600];
};

struct ps_opts {
    const struct ps_map *src_maps;
    size_t n_src;
    const struct ps_map *dst_maps;
    size_t n_dst;
    int relink;                   /* plan a relink where the locator does not name the destination */
    int replace_stale;            /* stale files count as copies */
};

struct ps_plan {
    struct ps_input *inputs;
    size_t n_inputs;
    struct ps_item *items;
    size_t n_items;
    struct ps_link *links;
    size_t n_links;
    size_t count[PS_VERDICT_COUNT];
    size_t copy_files;
    uint64_t copy_bytes;          /* allocated bytes of the files to copy */
    size_t relinks;
    size_t input_errors;
};

/* Builds the plan. Per-input resolution failures are recorded in the input
 * (and counted), not returned. @return 0, or -1 with e (NOMEM). */
int ps_plan_build(const struct ps_opts *o, const struct ps_disk_ops *ops, const char *const *inputs,
                  size_t n, struct ps_plan *plan, struct hv_err *e);
void ps_plan_free(struct ps_plan *plan);

/* 0 everything ok or copyable, 1 the plan has problems (stale, conflict,
 * unmapped), 2 an input could not be resolved. */
int ps_plan_exit(const struct ps_plan *plan, int replace_stale);

/* Does a layer with identity `d` satisfy `child`'s link? */
int ps_identity_ok(const struct ps_disk *child, const struct ps_disk *d);

#endif
