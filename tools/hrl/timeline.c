/* hrl_timeline.c: `hrl timeline`: writes per second or minute (count and
 * bytes) over one or more logs, and the hottest disk regions by bytes
 * written at 1 MiB granularity. Memory grows with distinct time buckets and
 * distinct regions touched, never with the number of entries. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "pointset.h"
#include "svg_render.h"
#include "util.h"

static const struct cli_opt opts[] = {
    CLI_OPT_JSON,
    { "per", 'p', "second|minute", "bucket size (default second)" },
    { "top", 't', "N", "how many of the hottest 1 MiB disk regions to list (default 10, at most 100000)" },
    { "svg", OPT_SVG, "OUT", "draw a heat map (disk offset by time) as a self-contained SVG" },
    { "base", 'b', "BASE", "with --svg: the base VHDX, whose partitions label the picture" },
    CLI_OPT_END,
};
static const struct cli_example examples[] = {
    { "hrl timeline --per minute logs/", "writes per minute over every log in the directory" },
    { "hrl timeline --top 3 --json HRL_0001.hrl", "the three most written 1 MiB regions, as JSON" },
    { 0, 0 },
};
const struct cli_spec spec_timeline = {
    "timeline", "[options] LOG...", "writes per second or minute and the hottest regions",
    "Counts writes and bytes per second or minute over one or more logs (or directories of logs) and lists "
    "the disk regions written most, at 1 MiB granularity.",
    opts, examples,
};

#define REGION_SHIFT 20

struct bucket {
    uint32_t key; /* bucket start, seconds since 2000 */
    uint64_t count, bytes;
};

struct region {
    uint64_t idx; /* disk offset >> 20, +1 so 0 marks an empty slot */
    uint64_t bytes, writes;
};

struct tl {
    struct bucket *b;
    size_t nb, capb;
    struct region *r;
    size_t nr, capr;
};

static int bucket_add(struct tl *t, uint32_t key, uint32_t len)
{
    if (t->nb && t->b[t->nb - 1].key == key) {
        t->b[t->nb - 1].count++;
        t->b[t->nb - 1].bytes += len;
        return 0;
    }
    if (t->nb == t->capb) {
        size_t cap = t->capb ? t->capb * 2 : 256;
        struct bucket *b = realloc(t->b, cap * sizeof *b);
        if (!b)
            return -1;
        t->b = b;
        t->capb = cap;
    }
    t->b[t->nb++] = (struct bucket){ key, 1, len };
    return 0;
}

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static int region_grow(struct tl *t);

static int region_add(struct tl *t, uint64_t idx, uint64_t bytes, int first)
{
    if ((t->nr + 1) * 2 > t->capr && region_grow(t))
        return -1;
    size_t mask = t->capr - 1, i = hash64(idx) & mask;
    while (t->r[i].idx && t->r[i].idx != idx + 1)
        i = (i + 1) & mask;
    if (!t->r[i].idx) {
        t->r[i].idx = idx + 1;
        t->nr++;
    }
    t->r[i].bytes += bytes;
    t->r[i].writes += first;
    return 0;
}

static int region_grow(struct tl *t)
{
    size_t cap = t->capr ? t->capr * 2 : 1024;
    struct region *old = t->r;
    size_t oldcap = t->capr;
    t->r = calloc(cap, sizeof *t->r);
    if (!t->r) {
        t->r = old;
        return -1;
    }
    t->capr = cap;
    t->nr = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].idx) {
            size_t j = hash64(old[i].idx - 1) & (cap - 1);
            while (t->r[j].idx)
                j = (j + 1) & (cap - 1);
            t->r[j] = old[i];
            t->nr++;
        }
    free(old);
    return 0;
}

static int cmp_bucket(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_region(const void *a, const void *b)
{
    const struct region *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int run(const struct log_args *logs, int json, uint32_t per, uint64_t top);

int cmd_timeline(int argc, char **argv)
{
    int json = 0;
    const char *svg = NULL, *svg_base = NULL;
    uint32_t per = 1;
    uint64_t top = 10;
    struct cli_args a;
    cli_args_init(&a, &spec_timeline, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        switch (c) {
        case CLI_STOP: return a.status;
        case 'j': json = 1, cli_set_json(1); break;
        case OPT_SVG: svg = a.arg; break;
        case 'b': svg_base = a.arg; break;
        case 'p':
            if (!strcmp(a.arg, "second"))
                per = 1;
            else if (!strcmp(a.arg, "minute"))
                per = 60;
            else
                return cli_bad("--per: '%s' is not 'second' or 'minute'", a.arg);
            break;
        case 't':
            if (cli_u64_arg("top", a.arg, 100000, &top))
                return EXIT_ERROR;
            break;
        }
    }
    if (optind >= argc)
        return cli_bad("a LOG (file or directory) is needed");
    if (svg_base && !svg)
        return cli_bad("--base goes with --svg");
    struct log_args logs;
    int st = log_args_expand(argv + optind, (size_t)(argc - optind), 0, &logs);
    if (st)
        return st;
    st = svg ? svg_timeline_cmd(svg, svg_base, logs.paths, logs.n) : run(&logs, json, per, top);
    log_args_free(&logs);
    return st;
}

static int run(const struct log_args *logs, int json, uint32_t per, uint64_t top)
{
    char **argv = logs->paths;
    int argc = (int)logs->n;
    struct tl t = { 0 };
    int worst = EXIT_OK;
    uint64_t total_writes = 0, total_bytes = 0;
    for (int f = 0; f < argc; f++) {
        struct hrl_plist pl;
        hrl_plist_init(&pl, argv[f], 0);
        hrl_log *log;
        int rc = hrl_tool_open(argv[f], 0, &pl, &log);
        hrl_plist_free(&pl);
        if (rc) {
            worst = rc > worst ? rc : worst;
            continue;
        }
        struct hrl_iter it;
        struct hrl_entry e;
        hrl_iter_init(log, 0, &it);
        while (hrl_iter_next(&it, &e)) {
            total_writes++;
            total_bytes += e.length;
            int fail = bucket_add(&t, e.timestamp - e.timestamp % per, e.length);
            uint64_t a = e.disk_offset, end = e.disk_offset + e.length;
            for (int first = 1; !fail && a < end; first = 0) {
                uint64_t idx = a >> REGION_SHIFT, next = (idx + 1) << REGION_SHIFT;
                uint64_t b = next < end && next > a ? next : end;
                fail = region_add(&t, idx, b - a, first);
                a = b;
            }
            if (fail) {
                hrl_close(log);
                free(t.b), free(t.r);
                return cli_errorf("out of memory");
            }
        }
        struct hrl_info in;
        hrl_info(log, &in);
        if (in.problems && worst < EXIT_PROBLEMS)
            worst = EXIT_PROBLEMS;
        hrl_close(log);
    }
    /* Logs may be given in any order; buckets come out in time order. An
     * empty log leaves both tables unallocated: qsort must not see NULL. */
    if (t.nb)
        qsort(t.b, t.nb, sizeof *t.b, cmp_bucket);
    size_t w = 0;
    for (size_t i = 0; i < t.nb; i++) {
        if (w && t.b[w - 1].key == t.b[i].key) {
            t.b[w - 1].count += t.b[i].count;
            t.b[w - 1].bytes += t.b[i].bytes;
        } else {
            t.b[w++] = t.b[i];
        }
    }
    t.nb = w;
    size_t nr = 0;
    for (size_t i = 0; i < t.capr; i++)
        if (t.r[i].idx)
            t.r[nr++] = t.r[i];
    if (nr)
        qsort(t.r, nr, sizeof *t.r, cmp_region);
    if (top < nr)
        nr = (size_t)top;
    char ts[40];
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_str(&j, "per", per == 1 ? "second" : "minute");
        json_u64(&j, "writes", total_writes);
        json_u64(&j, "bytes", total_bytes);
        json_arr_begin(&j, "buckets");
        for (size_t i = 0; i < t.nb; i++) {
            json_obj_begin(&j, NULL);
            json_str(&j, "time", hrl_time_str(t.b[i].key, ts, sizeof ts));
            json_u64(&j, "writes", t.b[i].count);
            json_u64(&j, "bytes", t.b[i].bytes);
            json_obj_end(&j);
        }
        json_arr_end(&j);
        json_arr_begin(&j, "hottest_regions");
        for (size_t i = 0; i < nr; i++) {
            json_obj_begin(&j, NULL);
            json_u64(&j, "offset", (t.r[i].idx - 1) << REGION_SHIFT);
            json_u64(&j, "length", 1u << REGION_SHIFT);
            json_u64(&j, "bytes", t.r[i].bytes);
            json_u64(&j, "writes", t.r[i].writes);
            json_obj_end(&j);
        }
        json_arr_end(&j);
        json_obj_end(&j);
        json_end(&j);
    } else {
        printf("%-20s %10s %14s\n", "time", "writes", "bytes");
        for (size_t i = 0; i < t.nb; i++)
            printf("%-20s %10" PRIu64 " %14" PRIu64 "\n", hrl_time_str(t.b[i].key, ts, sizeof ts),
                   t.b[i].count, t.b[i].bytes);
        printf("total: %" PRIu64 " writes, %" PRIu64 " bytes\n", total_writes, total_bytes);
        printf("\nhottest 1 MiB regions:\n%-18s %14s %10s\n", "disk offset", "bytes", "writes");
        for (size_t i = 0; i < nr; i++)
            printf("%#-18" PRIx64 " %14" PRIu64 " %10" PRIu64 "\n", (t.r[i].idx - 1) << REGION_SHIFT,
                   t.r[i].bytes, t.r[i].writes);
    }
    free(t.b);
    free(t.r);
    return worst;
}
