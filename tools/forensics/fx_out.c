/* fx_out.c: rows of changed files as a table, CSV (one row per file per
 * log, spreadsheet-ready), one JSON object, or a TSK body file for mactime. */
#include <inttypes.h>
#include <string.h>

#include "fx_cli.h"

#define CSV_HEADER                                                                                   \
    "from_point,to_point,log,volume,volume_offset,fs,change,kind,path,old_path,inode,bytes_written," \
    "size,first_write,last_write\n"

void fx_out_begin(struct fx_out *o, const char *command, const char *base)
{
    o->f = stdout;
    if (o->fmt == FX_JSON) {
        json_init(&o->j, o->f);
        json_obj_begin(&o->j, NULL);
        json_u64(&o->j, "version", 1);
        json_str(&o->j, "command", command);
        json_str(&o->j, "base", base);
        json_arr_begin(&o->j, "groups");
    } else if (o->fmt == FX_CSV) {
        fputs(CSV_HEADER, o->f);
    }
}

void fx_out_end(struct fx_out *o)
{
    if (o->fmt == FX_JSON) {
        json_arr_end(&o->j);
        json_obj_end(&o->j);
        json_end(&o->j);
    }
}

struct rowview {
    const struct fx_owner *ow, *old;
    const struct fx_volume *vol;
    char inode[48], first[32], last[32];
    int has_time;
};

static void view(const struct fx_group *g, const struct fx_diff_row *r, const struct fx_times *t,
                 struct rowview *v)
{
    v->ow = fx_snap_owner(r->snap, r->owner);
    v->old = r->old_owner != SIZE_MAX ? fx_snap_owner(g->a, r->old_owner) : NULL;
    v->vol = v->ow->vol >= 0 ? fx_snap_volume(r->snap, (size_t)v->ow->vol) : NULL;
    int is_a = r->snap == g->a && r->snap != g->b;
    uint32_t mn = is_a ? t->amin[r->owner] : t->tmin[r->owner];
    uint32_t mx = is_a ? t->amax[r->owner] : t->tmax[r->owner];
    v->has_time = mn != UINT32_MAX;
    fx_hrl_time(mn, v->first, sizeof v->first);
    fx_hrl_time(mx, v->last, sizeof v->last);
    if (v->ow->kind > FX_FSMETA_FILE)
        snprintf(v->inode, sizeof v->inode, "-");
    else if (v->ow->seq)
        snprintf(v->inode, sizeof v->inode, "%" PRIu64 "-%u", v->ow->inum, v->ow->seq);
    else
        snprintf(v->inode, sizeof v->inode, "%" PRIu64, v->ow->inum);
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void row_csv(struct fx_out *o, const struct fx_group *g, const struct fx_diff_row *r,
                    const struct rowview *v)
{
    FILE *f = o->f;
    fprintf(f, "%zu,%zu,", g->from, g->to);
    csv_field(f, g->log ? g->log : "");
    if (v->vol)
        fprintf(f, ",%d,%" PRIu64 ",%s,", v->ow->vol + 1, v->vol->off, v->vol->fs);
    else
        fputs(",,,,", f);
    fprintf(f, "%s,%s,", fx_change_name(r->change), fx_kind_name(v->ow->kind));
    csv_field(f, v->ow->path);
    fputc(',', f);
    csv_field(f, v->old ? v->old->path : "");
    fprintf(f, ",%s,%" PRIu64 ",%" PRIu64 ",%s,%s\n", v->inode, r->bytes, v->ow->size,
            v->has_time ? v->first : "", v->has_time ? v->last : "");
}

static void row_json(struct fx_out *o, const struct fx_diff_row *r, const struct rowview *v)
{
    struct json *j = &o->j;
    json_obj_begin(j, NULL);
    json_str(j, "change", fx_change_name(r->change));
    json_str(j, "kind", fx_kind_name(v->ow->kind));
    json_str(j, "path", v->ow->path);
    json_str(j, "old_path", v->old ? v->old->path : NULL);
    if (v->vol) {
        json_u64(j, "volume", (uint64_t)v->ow->vol + 1);
        json_u64(j, "volume_offset", v->vol->off);
        json_str(j, "fs", v->vol->fs);
    } else {
        json_null(j, "volume");
    }
    json_str(j, "inode", v->inode);
    json_u64(j, "bytes_written", r->bytes);
    json_u64(j, "size", v->ow->size);
    json_str(j, "first_write", v->has_time ? v->first : NULL);
    json_str(j, "last_write", v->has_time ? v->last : NULL);
    json_obj_end(j);
}

static void row_text(struct fx_out *o, const struct fx_diff_row *r, const struct rowview *v)
{
    char vol[16];
    if (v->vol)
        snprintf(vol, sizeof vol, "%d", v->ow->vol + 1);
    else
        snprintf(vol, sizeof vol, "-");
    fprintf(o->f, "  %-3s %-9s %-12s %10" PRIu64 "  %-20s %-20s %s", vol, fx_change_name(r->change),
            fx_kind_name(v->ow->kind), r->bytes, v->has_time ? v->first : "-", v->has_time ? v->last : "-",
            v->ow->path);
    if (v->old)
        fprintf(o->f, " (was %s)", v->old->path);
    fputc('\n', o->f);
}

/* TSK body file (3.x): MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
static void row_body(struct fx_out *o, const struct fx_diff_row *r, const struct rowview *v)
{
    const struct fx_owner *w = v->ow;
    if (w->kind > FX_FSMETA_FILE)
        return;
    char t = w->kind == FX_DIR ? 'd' : 'r', mode[16];
    snprintf(mode, sizeof mode, "%c/%c", t, t);
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        mode[3 + i] = (w->mode & (1u << (8 - i))) ? rwx[i] : '-';
    mode[12] = 0;
    fprintf(o->f, "0|%s%s|%s|%s|0|0|%" PRIu64 "|%lld|%lld|%lld|%lld\n", w->path,
            r->change == FX_DELETED ? " (deleted)" : "", v->inode, mode, w->size, (long long)w->atime,
            (long long)w->mtime, (long long)w->ctime, (long long)w->crtime);
}

static void group_head(struct fx_out *o, const struct fx_group *g, size_t n)
{
    if (o->fmt == FX_JSON) {
        json_obj_begin(&o->j, NULL);
        json_u64(&o->j, "from_point", g->from);
        json_u64(&o->j, "to_point", g->to);
        json_str(&o->j, "log", g->log);
        json_arr_begin(&o->j, "volumes");
        for (size_t v = 0; v < fx_snap_volumes(g->b); v++) {
            const struct fx_volume *vol = fx_snap_volume(g->b, v);
            json_obj_begin(&o->j, NULL);
            json_u64(&o->j, "volume", v + 1);
            json_u64(&o->j, "offset", vol->off);
            json_u64(&o->j, "length", vol->len);
            json_str(&o->j, "description", vol->desc);
            json_str(&o->j, "fs", vol->fs[0] ? vol->fs : NULL);
            json_str(&o->j, "error", vol->error[0] ? vol->error : NULL);
            json_obj_end(&o->j);
        }
        json_arr_end(&o->j);
        json_arr_begin(&o->j, "files");
    } else if (o->fmt == FX_TEXT) {
        if (g->log)
            fprintf(o->f, "point %zu (log %s): %zu changes\n", g->to, g->log, n);
        else
            fprintf(o->f, "points %zu..%zu: %zu changes\n", g->from, g->to, n);
        for (size_t v = 0; v < fx_snap_volumes(g->b); v++) {
            const struct fx_volume *vol = fx_snap_volume(g->b, v);
            fprintf(o->f, "  volume %zu: %s at byte %" PRIu64 ", %s\n", v + 1, vol->desc, vol->off,
                    vol->fs[0] ? vol->fs : vol->error);
        }
        fprintf(o->f, "  %-3s %-9s %-12s %10s  %-20s %-20s %s\n", "vol", "change", "kind", "bytes",
                "first write", "last write", "path");
    }
}

void fx_out_group(struct fx_out *o, const struct fx_group *g, const struct fx_diff_row *rows, size_t n,
                  const struct fx_times *t)
{
    group_head(o, g, n);
    for (size_t i = 0; i < n; i++) {
        struct rowview v;
        view(g, &rows[i], t, &v);
        switch (o->fmt) {
        case FX_JSON: row_json(o, &rows[i], &v); break;
        case FX_CSV: row_csv(o, g, &rows[i], &v); break;
        case FX_BODY: row_body(o, &rows[i], &v); break;
        default: row_text(o, &rows[i], &v); break;
        }
    }
    if (o->fmt == FX_JSON) {
        json_arr_end(&o->j);
        json_obj_end(&o->j);
    }
}
