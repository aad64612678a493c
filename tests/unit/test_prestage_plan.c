/* test_prestage_plan.c: verdicts of the pre-staging planner over fake disks
 * (no files): ok, missing, stale, conflict, unmapped, shared parents, relink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prestage.h"

struct fake_src {
    struct ps_disk d;
    int parent; /* index, -1 base */
};
struct fake_dst {
    const char *local;
    int kind;   /* 0 disk (src index), 1 other file, 2 unsafe */
    int src;
    uint8_t dwg; /* overrides the identity when non-zero */
};
struct fake {
    struct fake_src src[16];
    size_t n_src;
    struct fake_dst dst[16];
    size_t n_dst;
};

static int fake_chain(void *ctx, const char *path, struct ps_disk **layers, size_t *n, struct hv_err *e)
{
    struct fake *f = ctx;
    int i = -1;
    for (size_t k = 0; k < f->n_src; k++)
        if (strcmp(f->src[k].d.path, path) == 0)
            i = (int)k;
    if (i < 0)
        return hv_failx(e, HV_NOTFOUND, "open", "no such file");
    *layers = calloc(16, sizeof **layers);
    *n = 0;
    for (; i >= 0; i = f->src[i].parent)
        (*layers)[(*n)++] = f->src[i].d;
    return 0;
}

static enum ps_probe fake_probe(void *ctx, const struct ps_map *map, const char *rel, struct ps_disk *out,
                                char *note, size_t notelen)
{
    struct fake *f = ctx;
    char p[PS_PATH_MAX * 2];
    snprintf(p, sizeof p, "%s%s", map->to, rel);
    for (size_t k = 0; k < f->n_dst; k++) {
        if (strcmp(f->dst[k].local, p) != 0)
            continue;
        if (f->dst[k].kind == 1) {
            snprintf(note, notelen, "not a VHDX");
            return PS_PROBE_OTHER;
        }
        if (f->dst[k].kind == 2)
            return PS_PROBE_UNSAFE;
        *out = f->src[f->dst[k].src].d;
        if (f->dst[k].dwg)
            out->data_write_guid.b[0] = f->dst[k].dwg;
        return PS_PROBE_DISK;
    }
    return PS_PROBE_ABSENT;
}

/* Adds a source disk with identity `id`; child of `parent` (or -1) with the
 * given locator values. */
static int add(struct fake *f, const char *path, uint8_t id, int parent, const char *rel, const char *vol,
               const char *abs)
{
    struct fake_src *s = &f->src[f->n_src];
    memset(s, 0, sizeof *s);
    ps_strlcpy(s->d.path, sizeof s->d.path, path);
    s->d.data_write_guid.b[0] = id;
    s->d.data_write_guid.b[15] = 0x5a;
    s->d.virtual_size = 1 << 20;
    s->d.logical_sector_size = 512;
    s->d.allocated = 4096u * id;
    s->parent = parent;
    if (parent >= 0) {
        s->d.has_parent = 1;
        s->d.linkage = f->src[parent].d.data_write_guid;
        ps_strlcpy(s->d.relative_path, sizeof s->d.relative_path, rel ? rel : "");
        ps_strlcpy(s->d.volume_path, sizeof s->d.volume_path, vol ? vol : "");
        ps_strlcpy(s->d.absolute_path, sizeof s->d.absolute_path, abs ? abs : "");
    }
    return (int)f->n_src++;
}

static const struct ps_item *item_at(const struct ps_plan *pl, const char *local)
{
    for (size_t i = 0; i < pl->n_items; i++) {
        const struct ps_item *it = &pl->items[i];
        if (it->dest >= 0 && strcmp(it->cand[it->dest].target.local, local) == 0)
            return it;
    }
    fail_msg("no item at %s", local);
    return NULL;
}

static const struct ps_item *item_src(const struct ps_plan *pl, const char *src)
{
    for (size_t i = 0; i < pl->n_items; i++)
        if (strcmp(pl->items[i].src.path, src) == 0)
            return &pl->items[i];
    fail_msg("no item for %s", src);
    return NULL;
}

static void test_scenario(void **state)
{
    (void)state;
    static struct fake f;
    memset(&f, 0, sizeof f);
    struct ps_map sm[2], dm[2];
    struct hv_err e;
    assert_int_equal(ps_map_parse("D:\\=/src/d/", &sm[0], &e), 0);
    assert_int_equal(ps_map_parse("\\\\?\\Volume{AA}\\=/src/vol/", &sm[1], &e), 0);
    assert_int_equal(ps_map_parse("D:\\=/dst/d/", &dm[0], &e), 0);
    assert_int_equal(ps_map_parse("\\\\?\\Volume{AA}\\=/dst/vol/", &dm[1], &e), 0);

    /* VM1 and VM2 share base (three deep each); base is already on the target. */
    int base = add(&f, "/src/d/gold/base.vhdx", 1, -1, 0, 0, 0);
    int m1 = add(&f, "/src/d/vm1/mid.avhdx", 2, base, "..\\gold\\base.vhdx", 0, "\\\\?\\D:\\gold\\base.vhdx");
    int c1 = add(&f, "/src/d/vm1/top.avhdx", 3, m1, "mid.avhdx", 0, 0);
    int m2 = add(&f, "/src/d/vm2/mid.avhdx", 4, base, "..\\gold\\base.vhdx", 0, 0);
    int c2 = add(&f, "/src/d/vm2/top.avhdx", 5, m2, "mid.avhdx", 0, 0);
    /* VM3: parent on a volume path (relative leads nowhere), stale copy at target */
    int p3 = add(&f, "/src/vol/p3.vhdx", 6, -1, 0, 0, 0);
    int c3 = add(&f, "/src/d/vm3/c.avhdx", 7, p3, "..\\..\\..\\escape\\p3.vhdx",
                 "\\\\?\\Volume{AA}\\p3.vhdx", 0);
    /* VM4 and VM5: different parents at one target path -> conflict */
    int p4 = add(&f, "/src/d/x4/p.vhdx", 8, -1, 0, 0, 0);
    int c4 = add(&f, "/src/d/vm4/c.avhdx", 9, p4, 0, 0, "\\\\?\\D:\\shared\\p.vhdx");
    int p5 = add(&f, "/src/d/x5/p.vhdx", 10, -1, 0, 0, 0);
    int c5 = add(&f, "/src/d/vm5/c.avhdx", 11, p5, 0, 0, "\\\\?\\D:\\shared\\p.vhdx");
    /* VM6: only an unmapped absolute path */
    int p6 = add(&f, "/src/d/x6/p.vhdx", 12, -1, 0, 0, 0);
    int c6 = add(&f, "/src/d/vm6/c.avhdx", 13, p6, 0, 0, "\\\\?\\Q:\\p.vhdx");
    (void)c1, (void)c2, (void)c3, (void)c4, (void)c5, (void)c6;

    f.dst[f.n_dst++] = (struct fake_dst){ "/dst/d/gold/base.vhdx", 0, base, 0 };
    f.dst[f.n_dst++] = (struct fake_dst){ "/dst/vol/p3.vhdx", 0, p3, 0x77 }; /* stale */

    struct ps_disk_ops ops = { fake_chain, fake_probe, NULL, &f };
    struct ps_opts o = { sm, 2, dm, 2, 0, 0 };
    const char *in[] = { "/src/d/vm1/top.avhdx", "/src/d/vm2/top.avhdx", "/src/d/vm3/c.avhdx",
                         "/src/d/vm4/c.avhdx",   "/src/d/vm5/c.avhdx",   "/src/d/vm6/c.avhdx",
                         "/src/d/nope.avhdx" };
    struct ps_plan pl;
    assert_int_equal(ps_plan_build(&o, &ops, in, 7, &pl, &e), 0);

    assert_int_equal(pl.input_errors, 1);
    assert_true(pl.inputs[6].error);
    assert_int_equal(pl.inputs[0].depth, 3);
    assert_string_equal(pl.inputs[0].target, "/dst/d/vm1/top.avhdx");

    assert_int_equal(item_at(&pl, "/dst/d/gold/base.vhdx")->verdict, PS_OK); /* shared, once */
    assert_int_equal(item_at(&pl, "/dst/d/vm1/mid.avhdx")->verdict, PS_MISSING);
    assert_int_equal(item_at(&pl, "/dst/d/vm2/mid.avhdx")->verdict, PS_MISSING);
    const struct ps_item *s3 = item_at(&pl, "/dst/vol/p3.vhdx");
    assert_int_equal(s3->verdict, PS_STALE);
    assert_int_equal(s3->cand[0].state, PS_CAND_UNMAPPED); /* ..\..\..\ escapes D:\ */
    assert_int_equal(s3->dest, 1);
    assert_int_equal(item_src(&pl, "/src/d/x4/p.vhdx")->verdict, PS_CONFLICT);
    assert_int_equal(item_src(&pl, "/src/d/x5/p.vhdx")->verdict, PS_CONFLICT);
    assert_int_equal(item_src(&pl, "/src/d/x6/p.vhdx")->verdict, PS_UNMAPPED);

    assert_int_equal(pl.n_items, 7);
    assert_int_equal(pl.count[PS_OK], 1);
    assert_int_equal(pl.count[PS_MISSING], 2);
    assert_int_equal(pl.count[PS_STALE], 1);
    assert_int_equal(pl.count[PS_CONFLICT], 2);
    assert_int_equal(pl.count[PS_UNMAPPED], 1);
    assert_int_equal(pl.copy_files, 2);
    assert_int_equal(pl.copy_bytes, 4096u * 2 + 4096u * 4);
    assert_int_equal(ps_plan_exit(&pl, 0), 2);
    ps_plan_free(&pl);

    /* Without the bad input and the problem VMs: exit 0; --replace-stale makes the stale one a copy. */
    struct ps_plan p2;
    assert_int_equal(ps_plan_build(&o, &ops, in, 3, &p2, &e), 0);
    assert_int_equal(ps_plan_exit(&p2, 0), 1);
    assert_int_equal(ps_plan_exit(&p2, 1), 0);
    ps_plan_free(&p2);
    o.replace_stale = 1;
    assert_int_equal(ps_plan_build(&o, &ops, in, 3, &p2, &e), 0);
    assert_int_equal(p2.copy_files, 3);
    ps_plan_free(&p2);

    /* --relink: VM6's parent (no usable locator path) goes beside the child, which is relinked */
    o.relink = 1;
    o.replace_stale = 0;
    assert_int_equal(ps_plan_build(&o, &ops, in + 5, 1, &p2, &e), 0);
    assert_int_equal(p2.n_items, 1);
    assert_int_equal(p2.items[0].verdict, PS_MISSING);
    assert_string_equal(p2.items[0].cand[p2.items[0].dest].target.local, "/dst/d/vm6/p.vhdx");
    assert_int_equal(p2.n_links, 1);
    assert_true(p2.links[0].relink);
    assert_string_equal(p2.links[0].want_rel, "p.vhdx");
    assert_string_equal(p2.links[0].want_win, "D:\\vm6\\p.vhdx");
    assert_false(p2.links[0].child_on_target);
    ps_plan_free(&p2);
}

static void test_unsafe_and_identity(void **state)
{
    (void)state;
    static struct fake f;
    memset(&f, 0, sizeof f);
    struct ps_map sm, dm;
    struct hv_err e;
    assert_int_equal(ps_map_parse("D:\\=/src/", &sm, &e), 0);
    assert_int_equal(ps_map_parse("D:\\=/dst/", &dm, &e), 0);
    int p = add(&f, "/src/p.vhdx", 1, -1, 0, 0, 0);
    add(&f, "/src/c.avhdx", 2, p, "p.vhdx", 0, 0);
    f.dst[f.n_dst++] = (struct fake_dst){ "/dst/p.vhdx", 2, 0, 0 };
    struct ps_disk_ops ops = { fake_chain, fake_probe, NULL, &f };
    struct ps_opts o = { &sm, 1, &dm, 1, 0, 0 };
    const char *in[] = { "/src/c.avhdx" };
    struct ps_plan pl;
    assert_int_equal(ps_plan_build(&o, &ops, in, 1, &pl, &e), 0);
    assert_int_equal(pl.items[0].verdict, PS_UNMAPPED); /* a link on the way is never used */
    ps_plan_free(&pl);

    struct ps_disk child = f.src[1].d, d = f.src[0].d;
    assert_true(ps_identity_ok(&child, &d));
    d.virtual_size++;
    assert_false(ps_identity_ok(&child, &d));
    d = f.src[0].d;
    d.data_write_guid.b[3] = 9;
    assert_false(ps_identity_ok(&child, &d));
    child.linkage2 = d.data_write_guid; /* parent_linkage2 also identifies */
    assert_true(ps_identity_ok(&child, &d));
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_scenario), cmocka_unit_test(test_unsafe_and_identity))
