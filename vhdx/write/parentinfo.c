/* parentinfo.c: what a differencing child records about its parent
 * ([MS-VHDX] 2.6.2.6, docs/vhdx-format.md §7.2, §7.6): the parent's identity and
 * geometry, and the locator paths (relative_path from the child's directory
 * with `\` separators, absolute_win32_path / volume_path when given). Used by
 * create and relink; the locator bytes are encoded by locator.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

/* Absolute, symlink-free form of the directory holding `file` (which itself
 * need not exist yet), plus the file's base name. */
static int abs_dir_and_base(const char *file, char *dir, char *base, struct hv_err *e)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", file);
    snprintf(base, NAME_MAX + 1, "%s", basename(tmp));
    snprintf(tmp, sizeof tmp, "%s", file);
    if (!realpath(dirname(tmp), dir))
        return hv_fail_errno(e, errno, "parent locator", "cannot resolve directory of '%s'", file);
    return 0;
}

/* Splits an absolute path into its components (in place). Returns the count. */
static size_t split_components(char *path, char **comp, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(path, "/", &save); tok && n < max; tok = strtok_r(NULL, "/", &save))
        comp[n++] = tok;
    return n;
}

int vhdx_win_relative_path(const char *from_file, const char *to_file, char *out, size_t cap,
                      struct hv_err *e)
{
    char from[PATH_MAX], to[PATH_MAX], base_from[NAME_MAX + 1], base_to[NAME_MAX + 1];
    if (abs_dir_and_base(from_file, from, base_from, e) || abs_dir_and_base(to_file, to, base_to, e))
        return -1;
    char *cf[256], *ct[256];
    size_t nf = split_components(from, cf, 256), nt = split_components(to, ct, 256);
    size_t k = 0;
    while (k < nf && k < nt && strcmp(cf[k], ct[k]) == 0)
        k++;
    size_t len = 0;
    out[0] = 0;
    for (size_t i = k; i < nf && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "..\\");
    for (size_t i = k; i < nt && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s\\", ct[i]);
    if (len < cap)
        len += (size_t)snprintf(out + len, cap - len, "%s", base_to);
    if (len >= cap)
        return hv_failx(e, HV_USAGE, "parent locator", "relative path too long");
    return 0;
}

/* "D:\VMs\a.vhdx" or "D:/VMs/a.vhdx" -> "\\?\D:\VMs\a.vhdx"; an existing
 * "\\?\" prefix is kept. */
static int win32_long_path(const char *in, char *out, size_t cap, struct hv_err *e)
{
    const char *prefix = strncmp(in, "\\\\?\\", 4) == 0 ? "" : "\\\\?\\";
    int n = snprintf(out, cap, "%s%s", prefix, in);
    if (n < 0 || (size_t)n >= cap)
        return hv_failx(e, HV_USAGE, "parent locator", "Windows path too long");
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '\\';
    if (strlen(out) < 7)
        return hv_failx(e, HV_USAGE, "parent locator", "'%s' is not a Windows path", in);
    return 0;
}

int vhdx_parent_info_from(const vhdx *parent, const char *child_path, const char *win_path,
                          struct vhdx_parent_info *pi, char *store, size_t store_len,
                          struct hv_err *e)
{
    struct vhdx_info info;
    if (store_len < 3 * 4096 || vhdx_get_info(parent, &info) != 0)
        return hv_failx(e, HV_USAGE, "parent locator", "bad arguments");
    memset(pi, 0, sizeof *pi);
    pi->linkage = info.data_write_guid;
    pi->disk_id = info.virtual_disk_id;
    pi->virtual_size = info.virtual_size;
    pi->logical_sector_size = info.logical_sector_size;
    pi->physical_sector_size = info.physical_sector_size;
    char *rel = store, *win = store + 4096;
    if (vhdx_win_relative_path(child_path, vhdx_path(parent), rel, 4096, e) != 0)
        return -1;
    pi->relative_path = rel;
    if (win_path && *win_path) {
        if (win32_long_path(win_path, win, 4096, e) != 0)
            return -1;
        if (strncmp(win + 4, "Volume{", 7) == 0)
            pi->volume_path = win;
        else
            pi->absolute_win32_path = win;
    }
    return 0;
}
