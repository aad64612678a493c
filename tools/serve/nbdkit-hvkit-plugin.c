/* nbdkit-hvkit-plugin.c: serve a VHDX chain or a Hyper-V Replica recovery
 * point over NBD, read-only, without writing or restoring anything.
 *
 *   nbdkit hvkit file=CHILD.avhdx [map=WIN=LOCAL ...] [search-path=DIR ...]
 *   nbdkit hvkit base=BASE.vhdx logs=DIR|LOG,LOG... [point=K | until=TIME] [ignore-guid=true]
 *   nbdkit hvkit file=IMAGE writable=OVERLAY.avhdx     writes go to a new child
 *
 * Everything that can fail is checked in config_complete, before the export
 * opens: the chain opens, every log is verified as `hrl restore` verifies
 * it (docs/serve.md). Each connection then opens its own handles (libvhdx
 * handles are one thread at a time); the map and the log set are shared
 * read-only. The plugin keeps its configuration in file-scope variables, as
 * every nbdkit plugin does; the libraries hold none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "disk.h"
#include "plugin_args.h"
#include "plugin_overlay.h"
#include "plugin_point.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS

static struct pargs args;
static struct ppoint pt;    /* base= mode: the verified set and the point */
static struct poverlay ov;  /* writable= mode: the new child taking the writes */
static struct sruns runs;   /* data/zero map, shared by every connection */
static uint64_t runs_gen;   /* ov.gen when `runs` was computed */
static char description[512];

static void report(const struct hv_err *e, const char *path)
{
    struct hv_err c = *e;
    char buf[1200];
    if (path)
        hv_err_file(&c, path);
    nbdkit_error("%s", hv_err_format(&c, buf, sizeof buf));
}

static int hvkit_config(const char *key, const char *value)
{
    return pargs_set(&args, key, value);
}

/* Opens a new handle on the disk served (per connection, and once to probe). */
static int disk_open(struct sdisk *d)
{
    struct hv_err e;
    hv_err_clear(&e);
    const char *path = ov.w ? ov.path : args.file ? args.file : args.base;
    vhdx *img;
    if (vhdx_open(path, &args.o, &img, &e) != 0) {
        report(&e, path);
        return -1;
    }
    if (args.file) {
        sdisk_from_vhdx(d, img, 1);
        return 0;
    }
    if (sdisk_from_point(d, img, 1, pt.set, pt.point, &e) != 0) {
        vhdx_close(img);
        report(&e, NULL);
        return -1;
    }
    return 0;
}

static void describe(const struct sdisk *d)
{
    int n = snprintf(description, sizeof description,
                     "{\"virtual_size\": %" PRIu64 ", \"logical_sector_size\": %" PRIu32
                     ", \"physical_sector_size\": %" PRIu32 ", \"block_size\": %" PRIu32,
                     d->size, vhdx_logical_sector_size(d->img), vhdx_physical_sector_size(d->img),
                     vhdx_block_size(d->img));
    if (n > 0 && (size_t)n < sizeof description && args.base)
        n += snprintf(description + n, sizeof description - (size_t)n,
                      ", \"point\": %zu, \"points\": %zu, \"log_bytes\": %" PRIu64, pt.point,
                      hrl_set_count(pt.set), hrl_view_log_bytes(d->view));
    if (n > 0 && (size_t)n < sizeof description)
        snprintf(description + n, sizeof description - (size_t)n, "}");
}

static int hvkit_config_complete(void)
{
    if (pargs_check(&args) != 0)
        return -1;
    if (args.base && ppoint_open(&pt, &args) != 0)
        return -1;
    if (args.writable && poverlay_create(&ov, args.writable, args.file, &args.o) != 0)
        return -1;
    struct sdisk d;
    if (disk_open(&d) != 0)
        return -1;
    struct hv_err e;
    hv_err_clear(&e);
    int r = sdisk_runs(&d, &runs, &e);
    if (r != 0)
        report(&e, args.file ? args.file : args.base);
    else
        describe(&d);
    sdisk_close(&d);
    return r;
}

static void hvkit_unload(void)
{
    poverlay_close(&ov);
    sruns_free(&runs);
    ppoint_close(&pt);
    pargs_free(&args);
}

/* A connection: its own handles, and the overlay generation they saw. */
struct conn {
    struct sdisk d;
    uint64_t gen;
};

static void *hvkit_open(int readonly)
{
    (void)readonly; /* without writable= can_write is false: nbdkit serves read-only */
    struct conn *c = malloc(sizeof *c);
    if (!c) {
        nbdkit_error("out of memory");
        return NULL;
    }
    c->gen = ov.gen;
    if (disk_open(&c->d) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void hvkit_close(void *h)
{
    struct conn *c = h;
    sdisk_close(&c->d);
    free(c);
}

/* After a write the mapped view of the overlay is stale: reopen it. Writable
 * mode serialises all requests, so no other request runs meanwhile. */
static int fresh(struct conn *c)
{
    if (c->gen == ov.gen)
        return 0;
    sdisk_close(&c->d);
    if (disk_open(&c->d) != 0)
        return -1;
    c->gen = ov.gen;
    return 0;
}

static int64_t hvkit_get_size(void *h)
{
    return (int64_t)((struct conn *)h)->d.size;
}

static int hvkit_pread(void *h, void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
    (void)flags;
    struct conn *c = h;
    struct hv_err e;
    hv_err_clear(&e);
    if (fresh(c) != 0)
        return -1;
    if (sdisk_read(&c->d, buf, count, offset, &e) != 0) {
        report(&e, NULL);
        nbdkit_set_error(EIO);
        return -1;
    }
    return 0;
}

static int hvkit_pwrite(void *h, const void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
    struct conn *c = h;
    if (fresh(c) != 0 || poverlay_write(&ov, &c->d, buf, count, offset) != 0) {
        nbdkit_set_error(EIO);
        return -1;
    }
    return (flags & NBDKIT_FLAG_FUA) ? poverlay_flush(&ov) : 0;
}

static int hvkit_flush(void *h, uint32_t flags)
{
    (void)h;
    (void)flags;
    return poverlay_flush(&ov);
}

static int hvkit_extents(void *h, uint32_t count, uint64_t offset, uint32_t flags,
                         struct nbdkit_extents *ex)
{
    struct conn *c = h;
    if (runs_gen != ov.gen) { /* written since: the map changed */
        struct hv_err e;
        hv_err_clear(&e);
        sruns_free(&runs);
        if (fresh(c) != 0 || sdisk_runs(&c->d, &runs, &e) != 0) {
            report(&e, ov.path);
            return -1;
        }
        runs_gen = ov.gen;
    }
    uint64_t end = offset + count;
    for (size_t i = sruns_find(&runs, offset); i < runs.n && runs.r[i].off < end; i++) {
        uint32_t type = runs.r[i].data ? 0 : NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO;
        if (nbdkit_add_extent(ex, runs.r[i].off, runs.r[i].len, type) != 0)
            return -1;
        if (flags & NBDKIT_FLAG_REQ_ONE)
            break;
    }
    return 0;
}

static int hvkit_true(void *h)
{
    (void)h;
    return 1;
}

static int hvkit_false(void *h)
{
    (void)h;
    return 0;
}

static int hvkit_writable(void *h)
{
    (void)h;
    return ov.w != NULL;
}

static int hvkit_fua(void *h)
{
    (void)h;
    return ov.w ? NBDKIT_FUA_NATIVE : NBDKIT_FUA_NONE;
}

/* Writes change the overlay every connection reads: one request at a time. */
static int hvkit_thread_model(void)
{
    return args.writable ? NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS : THREAD_MODEL;
}

static int hvkit_can_cache(void *h)
{
    (void)h;
    return NBDKIT_CACHE_EMULATE; /* the data is mapped: a read is the prefetch */
}

static const char *hvkit_export_description(void *h)
{
    (void)h;
    return description;
}

static int hvkit_block_size(void *h, uint32_t *minimum, uint32_t *preferred, uint32_t *maximum)
{
    uint32_t pss = vhdx_physical_sector_size(((struct conn *)h)->d.img);
    *minimum = 1;
    *preferred = pss >= 4096 && pss <= 65536 ? pss : 4096;
    *maximum = 0xffffffff;
    return 0;
}

#define HVKIT_HELP                                                                       \
    "file=IMAGE                 VHDX or differencing chain to serve (read-only)\n"       \
    "map=WIN=LOCAL              replace a Windows prefix of parent locator paths\n"      \
    "search-path=DIR            also look for parents by file name in DIR\n"             \
    "base=BASE logs=DIR|L1,L2   serve a recovery point: BASE plus replica logs\n"        \
    "point=K | until=TIME       which point (default: the last); TIME as hrl restore\n"  \
    "ignore-guid=true           accept logs whose Vhd2DataWriteGuid differs\n"             \
    "writable=OVERLAY.avhdx     with file=: writes go to this new differencing child"

static struct nbdkit_plugin plugin = {
    .name = "hvkit",
    .longname = "hvkit: VHDX chains and Hyper-V Replica recovery points",
    .version = HVK_VERSION_STRING,
    .description = "Serve a VHDX chain or a recovery point (base + .hrl logs) read-only.",
    .config = hvkit_config,
    .config_complete = hvkit_config_complete,
    .config_help = HVKIT_HELP,
    .magic_config_key = "file",
    .unload = hvkit_unload,
    .open = hvkit_open,
    .close = hvkit_close,
    .get_size = hvkit_get_size,
    .pread = hvkit_pread,
    .can_write = hvkit_writable,
    .can_flush = hvkit_writable,
    .can_fua = hvkit_fua,
    .pwrite = hvkit_pwrite,
    .flush = hvkit_flush,
    .thread_model = hvkit_thread_model,
    .can_extents = hvkit_true,
    .can_multi_conn = hvkit_true,
    .can_cache = hvkit_can_cache,
    .is_rotational = hvkit_false,
    .extents = hvkit_extents,
    .export_description = hvkit_export_description,
    .block_size = hvkit_block_size,
};

NBDKIT_REGISTER_PLUGIN(plugin)
