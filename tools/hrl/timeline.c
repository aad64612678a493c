/* hrl_timeline.c: `hrl timeline`: writes per second or minute (count and
 * bytes) over one or more logs, and the hottest disk regions by bytes
 * written at 1 MiB granularity. Memory grows with distinct time buckets and
 * distinct regions touched, never with the number of entries. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "svg_render.h"
#include "util.h"

#define SYNOPSIS HRL_SYN_timeline
#define DETAILS                                                                        \
    "--per second|minute   bucket size (default second)\n"                            \
    "--top N               how many of the hottest 1 MiB disk regions to list (10)\n" \
    "--json                machine-readable output\n"                                  \
    "--svg OUT             draw a heat map (disk offset by time) as a self-contained SVG\n" \
    "--base BASE           with --svg: the base VHDX, whose partitions label the picture\n"

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

int cmd_timeline(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, 0, 'j' }, { "per", required_argument, 0, 'p' },
        { "top", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { "svg", required_argument, 0, 's' },  { "base", required_argument, 0, 'b' }, { 0, 0, 0, 0 },
    };
    const char *svg = NULL, *svg_base = NULL;
    int json = 0, c;
    uint32_t per = 1;
    uint64_t top = 10;
    while ((c = getopt_long(argc, argv, "jp:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'p':
            if (!strcmp(optarg, "second"))
                per = 1;
            else if (!strcmp(optarg, "minute"))
                per = 60;
            else
                return cli_usage("timeline", SYNOPSIS, "--per: second or minute");
            break;
        case 't':
            if (hrl_parse_u64(optarg, &top) || top > 100000)
                return cli_usage("timeline", SYNOPSIS, "--top: a number up to 100000");
            break;
        case 's': svg = optarg; break;
        case 'b': svg_base = optarg; break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("timeline", SYNOPSIS, "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage("timeline", SYNOPSIS, "FILE expected");
    if (svg)
        return svg_timeline_cmd(svg, svg_base, argv + optind, (size_t)(argc - optind));
    if (svg_base)
        return cli_usage("timeline", SYNOPSIS, "--base goes with --svg");
    struct tl t = { 0 };
    int worst = EXIT_OK;
    uint64_t total_writes = 0, total_bytes = 0;
    for (int f = optind; f < argc; f++) {
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
