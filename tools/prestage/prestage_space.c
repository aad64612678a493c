/* prestage_space.c: target roots exist and the copies fit (prestage_space.h). */
#include "prestage_space.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

static void add(char *msg, size_t len, const char *line)
{
    size_t used = strlen(msg);
    if (used < len)
        snprintf(msg + used, len - used, "%s%s", used ? "; " : "", line);
}

size_t ps_check_space(const struct ps_plan *pl, const struct ps_opts *po, char *msg, size_t msglen)
{
    size_t problems = 0;
    char line[700];
    msg[0] = '\0';
    for (size_t m = 0; m < po->n_dst; m++) {
        uint64_t need = 0;
        int used = 0;
        for (size_t i = 0; i < pl->n_items; i++) {
            const struct ps_item *it = &pl->items[i];
            if (it->dest < 0 || it->cand[it->dest].target.map != (int)m)
                continue;
            used = 1;
            if (it->verdict == PS_MISSING || (it->verdict == PS_STALE && po->replace_stale))
                need += it->src.allocated;
        }
        if (!used)
            continue;
        struct stat st;
        if (stat(po->dst_maps[m].to, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(line, sizeof line, "target root '%.600s' does not exist", po->dst_maps[m].to);
            add(msg, msglen, line);
            problems++;
            continue;
        }
        /* the same file system under an earlier root: counted there */
        int counted = 0;
        for (size_t k = 0; k < m && !counted; k++) {
            struct stat sk;
            counted = stat(po->dst_maps[k].to, &sk) == 0 && sk.st_dev == st.st_dev;
        }
        if (counted)
            continue;
        for (size_t k = m + 1; k < po->n_dst; k++) {
            struct stat sk;
            if (stat(po->dst_maps[k].to, &sk) != 0 || sk.st_dev != st.st_dev)
                continue;
            for (size_t i = 0; i < pl->n_items; i++) {
                const struct ps_item *it = &pl->items[i];
                if (it->dest >= 0 && it->cand[it->dest].target.map == (int)k &&
                    (it->verdict == PS_MISSING || (it->verdict == PS_STALE && po->replace_stale)))
                    need += it->src.allocated;
            }
        }
        struct statvfs vf;
        if (need == 0 || statvfs(po->dst_maps[m].to, &vf) != 0)
            continue;
        uint64_t avail = (uint64_t)vf.f_bavail * (uint64_t)vf.f_frsize;
        if (need > avail) {
            snprintf(line, sizeof line, "the copies need %llu bytes on the file system of '%.500s', %llu are free",
                     (unsigned long long)need, po->dst_maps[m].to, (unsigned long long)avail);
            add(msg, msglen, line);
            problems++;
        }
    }
    return problems;
}
