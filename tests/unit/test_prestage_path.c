/* test_prestage_path.c: Windows-path normalisation, mapping and escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hvk_test.h"
#include <string.h>

#include "prestage_path.h"

static void norm_ok(const char *in, const char *want)
{
    char out[PS_PATH_MAX];
    if (ps_win_normalize(in, out, sizeof out) != 0)
        fail_msg("normalize '%s' failed", in);
    assert_string_equal(out, want);
}

static void norm_bad(const char *in)
{
    char out[PS_PATH_MAX];
    if (ps_win_normalize(in, out, sizeof out) == 0)
        fail_msg("normalize '%s' gave '%s', want failure", in, out);
}

static void test_normalize(void **state)
{
    (void)state;
    norm_ok("d:\\VMs\\a.vhdx", "D:\\VMs\\a.vhdx");
    norm_ok("\\\\?\\d:\\VMs\\.\\x\\..\\a.vhdx", "D:\\VMs\\a.vhdx");
    norm_ok("D:/VMs//a.vhdx", "D:\\VMs\\a.vhdx");
    norm_ok("\\\\?\\UNC\\srv\\share\\dir\\p.vhdx", "\\\\srv\\share\\dir\\p.vhdx");
    norm_ok("\\\\srv\\share\\p.vhdx", "\\\\srv\\share\\p.vhdx");
    norm_ok("\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\\p2\\b.vhdx",
            "\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\\p2\\b.vhdx");
    norm_ok("D:\\My VMs\\d\xc3\xa9j\xc3\xa0 \xf0\x9f\x92\xbe.vhdx", "D:\\My VMs\\d\xc3\xa9j\xc3\xa0 \xf0\x9f\x92\xbe.vhdx");
    norm_ok("D:\\", "D:\\");
    norm_bad("D:\\..\\x.vhdx");                 /* above the drive root */
    norm_bad("\\\\?\\Volume{1}\\a\\..\\..\\x"); /* above the volume root */
    norm_bad("\\\\srv\\share\\..\\other\\x");   /* above the share */
    norm_bad("VMs\\a.vhdx");                    /* relative */
    norm_bad("D:a.vhdx");                       /* drive-relative */
    norm_bad("\\VMs\\a.vhdx");                  /* rooted, no drive */
}

static void test_join_relative(void **state)
{
    (void)state;
    char out[PS_PATH_MAX];
    assert_int_equal(ps_win_join("D:\\VMs\\a", "..\\base\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "D:\\VMs\\base\\b.vhdx");
    assert_int_equal(ps_win_join("D:\\VMs\\a", ".\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "D:\\VMs\\a\\b.vhdx");
    assert_int_equal(ps_win_join("D:\\VMs", "..\\..\\..\\etc\\passwd", out, sizeof out), -1);
    assert_int_equal(ps_win_join("D:\\VMs", "C:\\x.vhdx", out, sizeof out), -1);
    assert_int_equal(ps_win_join("D:\\VMs", "\\x.vhdx", out, sizeof out), -1);

    assert_int_equal(ps_win_relative("D:\\VMs\\a", "D:\\VMs\\base\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "..\\base\\b.vhdx");
    assert_int_equal(ps_win_relative("D:\\VMs\\a", "d:\\vms\\A\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "b.vhdx");
    assert_int_equal(ps_win_relative("D:\\", "D:\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "b.vhdx");
    assert_int_equal(ps_win_relative("D:\\x\\y", "D:\\b.vhdx", out, sizeof out), 0);
    assert_string_equal(out, "..\\..\\b.vhdx");
    assert_int_equal(ps_win_relative("D:\\x", "E:\\b.vhdx", out, sizeof out), -1);

    ps_win_dirname("D:\\VMs\\a\\c.vhdx", out, sizeof out);
    assert_string_equal(out, "D:\\VMs\\a");
    ps_win_dirname("D:\\c.vhdx", out, sizeof out);
    assert_string_equal(out, "D:\\");
}

static void test_map(void **state)
{
    (void)state;
    struct ps_map maps[3];
    struct hv_err e;
    assert_int_equal(ps_map_parse("D:\\=/mnt/dst/d", &maps[0], &e), 0);
    assert_string_equal(maps[0].from, "D:\\");
    assert_string_equal(maps[0].to, "/mnt/dst/d/");
    assert_int_equal(ps_map_parse("d:\\VMs\\Gold=/gold/", &maps[1], &e), 0);
    assert_string_equal(maps[1].from, "D:\\VMs\\Gold\\");
    assert_int_equal(ps_map_parse("\\\\?\\Volume{AB}\\=/vol/ab", &maps[2], &e), 0);
    assert_string_equal(maps[2].from, "\\\\?\\Volume{AB}\\");
    assert_int_equal(ps_map_parse("nonsense", &maps[2], &e), -1);
    assert_int_equal(e.code, HV_USAGE);
    assert_int_equal(ps_map_parse("VMs=/x", &maps[2], &e), -1);
    assert_int_equal(ps_map_parse("\\\\?\\Volume{AB}\\=/vol/ab", &maps[2], &e), 0);

    struct ps_mapped m;
    assert_int_equal(ps_map_win(maps, 3, "\\\\?\\D:\\VMs\\a\\b.vhdx", &m), 0);
    assert_int_equal(m.map, 0);
    assert_string_equal(m.local, "/mnt/dst/d/VMs/a/b.vhdx");
    assert_string_equal(m.rel, "VMs/a/b.vhdx");
    /* longest prefix wins, case-insensitively, on component boundaries */
    assert_int_equal(ps_map_win(maps, 3, "D:\\vms\\gold\\base.vhdx", &m), 0);
    assert_int_equal(m.map, 1);
    assert_string_equal(m.local, "/gold/base.vhdx");
    assert_int_equal(ps_map_win(maps, 3, "D:\\VMs\\Golden\\base.vhdx", &m), 0);
    assert_int_equal(m.map, 0);
    assert_int_equal(ps_map_win(maps, 3, "\\\\?\\volume{ab}\\x\\y.vhdx", &m), 0);
    assert_string_equal(m.local, "/vol/ab/x/y.vhdx");
    /* ".." cannot leave a map's root: it is resolved before the map applies */
    assert_int_equal(ps_map_win(maps + 1, 1, "D:\\VMs\\Gold\\..\\..\\etc\\passwd", &m), -1);
    assert_int_equal(m.map, -1);
    assert_int_equal(ps_map_win(maps, 3, "D:\\..\\etc\\passwd", &m), -1);
    assert_int_equal(ps_map_win(maps, 3, "E:\\x.vhdx", &m), -1);
    assert_int_equal(ps_map_win(maps, 3, "D:\\", &m), -1);

    char win[PS_PATH_MAX];
    assert_int_equal(ps_unmap_local(maps, 3, "/mnt/dst/d/VMs/./a//b.vhdx", win, sizeof win), 0);
    assert_string_equal(win, "D:\\VMs\\a\\b.vhdx");
    assert_int_equal(ps_unmap_local(maps, 3, "/gold/x.vhdx", win, sizeof win), 0);
    assert_string_equal(win, "D:\\VMs\\Gold\\x.vhdx");
    assert_int_equal(ps_unmap_local(maps, 3, "/mnt/dst/dd/x.vhdx", win, sizeof win), -1);
    assert_int_equal(ps_unmap_local(maps, 3, "relative/x.vhdx", win, sizeof win), -1);
}

static void test_local_clean(void **state)
{
    (void)state;
    char out[PS_PATH_MAX];
    assert_int_equal(ps_local_clean("/a//b/./c/../d", out, sizeof out), 0);
    assert_string_equal(out, "/a/b/d");
    assert_int_equal(ps_local_clean("/../..", out, sizeof out), 0);
    assert_string_equal(out, "/");
    assert_int_equal(ps_local_clean("a/b", out, sizeof out), -1);
}

HVK_TEST_MAIN(NULL, NULL,
              cmocka_unit_test(test_normalize), cmocka_unit_test(test_join_relative),
              cmocka_unit_test(test_map), cmocka_unit_test(test_local_clean))
