/* prestage_path.h: lexical Windows-path arithmetic for parent pre-staging.
 *
 * Locator paths ([MS-VHDX] 7.2) are Windows paths; the hosts we copy between
 * are Linux. Everything here is pure string work (no file system access), so
 * it can be unit-tested and so a hostile locator cannot make us touch a file
 * just by being looked at. Two rules carry the safety of `prestage copy`:
 *   1. `..` is resolved lexically in Windows space *before* a map is applied;
 *      climbing above the root (drive, volume, \\server\share) is an error.
 *   2. a mapped result is (map, relative components); the components never
 *      contain "..", "." or '/', so the file lies under the map's local root.
 */
#ifndef HVK_PRESTAGE_PATH_H
#define HVK_PRESTAGE_PATH_H

#include <stddef.h>

#include "hv_err.h"

#define PS_PATH_MAX 4096

/* Copies src into dst[size], truncating; always terminates. */
static inline void ps_strlcpy(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    while (n + 1 < size && src[n]) {
        dst[n] = src[n];
        n++;
    }
    if (size)
        dst[n] = '\0';
}

/* A map "FROM=TO": a Windows prefix (canonical form, ends with '\') and the
 * local directory that replaces it (ends with '/'). */
struct ps_map {
    char from[PS_PATH_MAX];
    char to[PS_PATH_MAX];
};

/* Parses "WINPREFIX=LOCALDIR" (split at the first '=' that follows the Windows
 * prefix's root). The local side is taken as given; the caller may make it
 * absolute first. @return 0, or -1 with e (HV_USAGE). */
int ps_map_parse(const char *arg, struct ps_map *out, struct hv_err *e);

/* Canonical, normalised Windows path: '/' -> '\', "\\?\X:\" -> "X:\",
 * "\\?\UNC\s\h" -> "\\s\h", drive letters upper-case, "." and empty
 * components dropped, ".." resolved. Roots: "X:\", "\\?\Volume{GUID}\",
 * "\\server\share\". @return 0, or -1 when the path has no root we know or
 * ".." climbs above the root. */
int ps_win_normalize(const char *in, char *out, size_t outlen);

/* Length of the root of a normalised path ("X:\" = 3), 0 if none. */
size_t ps_win_root_len(const char *norm);

/* Directory part of a normalised path (root kept). */
void ps_win_dirname(const char *norm, char *out, size_t outlen);

/* Normalised dir + '\' + rel, where rel is a locator relative_path.
 * @return 0, or -1 (rel is absolute, or ".." escapes the root). */
int ps_win_join(const char *dir, const char *rel, char *out, size_t outlen);

/* Relative path (Windows form, "..\" steps) from directory `dir` to file
 * `file`, both normalised. @return 0, or -1 when the roots differ. */
int ps_win_relative(const char *dir, const char *file, char *out, size_t outlen);

/* Case-insensitive (ASCII) comparison of normalised Windows paths. */
int ps_win_equal(const char *a, const char *b);

/* Result of mapping a Windows path to a local one. */
struct ps_mapped {
    int map;                /* index into the map array, -1 if none covers the path */
    char rel[PS_PATH_MAX];  /* components under the map's local root, '/'-separated */
    char local[PS_PATH_MAX];/* to + rel */
};

/* Maps a Windows path (any form) through `maps` (longest FROM wins).
 * @return 0 and fills *out, or -1 (out->map = -1) when the path does not
 * normalise or no map covers it: the "unmapped" verdict. */
int ps_map_win(const struct ps_map *maps, size_t n, const char *win, struct ps_mapped *out);

/* Reverse: an absolute, lexically clean local path to its Windows form through
 * the maps' TO side (longest TO wins). @return 0, or -1 when no TO covers it. */
int ps_unmap_local(const struct ps_map *maps, size_t n, const char *local, char *win, size_t winlen);

/* Lexically cleans an absolute local path ("//", ".", ".." resolved; ".."
 * above "/" stays at "/"). @return 0, or -1 if not absolute / too long. */
int ps_local_clean(const char *in, char *out, size_t outlen);

#endif
