/* cmd_vhdx_files.c: `vhdx files`: which guest file (or file-system structure,
 * unallocated space, partition table) owns each byte of a range of a VHDX
 * chain, through The Sleuth Kit. Exit 0, 1 a file system could not be read
 * (the others are still attributed), 2 usage or unreadable input. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fx_cli.h"
#include "fx_cmds.h"
#include "chain_opts.h"

#define SYNOPSIS "files [--json] [--search-path DIR] [--map WIN=LOCAL] FILE --range OFFSET:LENGTH"
#define DETAILS                                                                              \
    "Reads the partition table (MBR, GPT) and file systems (NTFS, FAT, ext2/3/4, ...) of\n" \
    "the virtual disk and lists the owners of [OFFSET, OFFSET+LENGTH): a file's data\n"     \
    "(path, inode, attribute, offset in the file), file-system metadata, unallocated\n"     \
    "space, the partition table, or space outside any partition.\n" CHAIN_HELP

struct pieces {
    struct fx_piece cur;
    int have;
    const fx_snap *s;
    struct json *j; /* NULL: text */
};

static void piece_print(const struct pieces *ps)
{
    const struct fx_piece *p = &ps->cur;
    const struct fx_owner *o = fx_snap_owner(ps->s, p->owner);
    int file = o->kind <= FX_FSMETA_FILE;
    if (ps->j) {
        json_obj_begin(ps->j, NULL);
        json_u64(ps->j, "offset", p->off);
        json_u64(ps->j, "length", p->len);
        json_str(ps->j, "kind", fx_kind_name(o->kind));
        json_str(ps->j, "path", o->path);
        if (o->vol >= 0)
            json_u64(ps->j, "volume", (uint64_t)o->vol + 1);
        else
            json_null(ps->j, "volume");
        if (file) {
            json_u64(ps->j, "inode", o->inum);
            json_str(ps->j, "attribute", p->attr);
            json_u64(ps->j, "file_offset", p->file_off);
        }
        json_obj_end(ps->j);
        return;
    }
    printf("%#14" PRIx64 " %12" PRIu64 "  %-15s ", p->off, p->len, fx_kind_name(o->kind));
    if (o->vol >= 0)
        printf("vol %d  ", o->vol + 1);
    printf("%s", o->path);
    if (file)
        printf("  inode %" PRIu64 "%s%s  file offset %" PRIu64, o->inum, p->attr ? " " : "",
               p->attr ? p->attr : "", p->file_off);
    putchar('\n');
}

static int on_piece(void *ctx, const struct fx_piece *p)
{
    struct pieces *ps = ctx;
    struct fx_piece *c = &ps->cur;
    if (ps->have && c->owner == p->owner && c->attr == p->attr && c->off + c->len == p->off &&
        c->file_off + c->len == p->file_off) {
        c->len += p->len;
        return 0;
    }
    if (ps->have)
        piece_print(ps);
    *c = *p;
    ps->have = 1;
    return 0;
}

static int parse_range(const char *s, uint64_t *off, uint64_t *len)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon - s > 40)
        return -1;
    char a[48];
    memcpy(a, s, (size_t)(colon - s));
    a[colon - s] = 0;
    return cli_parse_size(a, off) || cli_parse_size(colon + 1, len) || !*len ? -1 : 0;
}

static void volumes_out(const fx_snap *s, struct json *j)
{
    for (size_t v = 0; v < fx_snap_volumes(s); v++) {
        const struct fx_volume *vol = fx_snap_volume(s, v);
        if (j) {
            json_obj_begin(j, NULL);
            json_u64(j, "volume", v + 1);
            json_u64(j, "offset", vol->off);
            json_u64(j, "length", vol->len);
            json_str(j, "description", vol->desc);
            json_str(j, "fs", vol->fs[0] ? vol->fs : NULL);
            json_str(j, "error", vol->error[0] ? vol->error : NULL);
            json_obj_end(j);
        } else {
            printf("volume %zu: %s at byte %" PRIu64 ", %" PRIu64 " bytes, %s\n", v + 1, vol->desc, vol->off,
                   vol->len, vol->fs[0] ? vol->fs : vol->error);
        }
    }
}

static int report(vhdx *img, const char *path, uint64_t off, uint64_t len, int json)
{
    struct fx_source src;
    fx_source_vhdx(&src, img);
    if (off >= src.size || len > src.size - off)
        return cli_usage("files", SYNOPSIS, "--range is outside the %" PRIu64 "-byte virtual disk", src.size);
    fx_snap *s;
    char err[300];
    if (fx_snap_open(&src, &s, err, sizeof err) != 0)
        return cli_errorf("'%s': %s", path, err);
    int damaged = fx_report_volumes(path, NULL, s);
    struct json j;
    if (json) {
        json_init(&j, stdout);
        json_obj_begin(&j, NULL);
        json_u64(&j, "version", 1);
        json_str(&j, "file", path);
        json_u64(&j, "offset", off);
        json_u64(&j, "length", len);
        json_arr_begin(&j, "volumes");
    }
    volumes_out(s, json ? &j : NULL);
    struct pieces ps = { .s = s, .j = json ? &j : NULL };
    if (json) {
        json_arr_end(&j);
        json_arr_begin(&j, "pieces");
    } else {
        printf("%14s %12s  %-15s %s\n", "disk offset", "length", "kind", "owner");
    }
    fx_attribute(s, off, len, on_piece, &ps);
    if (ps.have)
        piece_print(&ps);
    if (json) {
        json_arr_end(&j);
        json_obj_end(&j);
        json_end(&j);
    }
    fx_snap_close(s);
    return damaged ? EXIT_PROBLEMS : EXIT_OK;
}

static int files_main(int argc, char **argv, struct chain_opts *chain)
{
    static const struct option opts[] = {
        { "json", no_argument, 0, 'j' }, { "range", required_argument, 0, 'r' },
        { "help", no_argument, 0, 'h' }, CHAIN_LONGOPTS, { 0, 0, 0, 0 },
    };
    int json = 0, c, have = 0;
    uint64_t off = 0, len = 0;
    while ((c = getopt_long(argc, argv, "jr:h", opts, NULL)) != -1) {
        int r = chain_opt(chain, c, optarg);
        if (r < 0)
            return cli_usage("files", SYNOPSIS, "bad --map or --search-path value");
        if (r > 0)
            continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'r':
            if (parse_range(optarg, &off, &len) < 0)
                return cli_usage("files", SYNOPSIS, "bad --range '%s' (OFFSET:LENGTH, e.g. 1M:64K)", optarg);
            have = 1;
            break;
        case 'h': return cli_help(SYNOPSIS, DETAILS);
        default: return cli_usage("files", SYNOPSIS, "unknown option");
        }
    }
    if (!have)
        return cli_usage("files", SYNOPSIS, "--range is required");
    if (optind + 1 != argc)
        return cli_usage("files", SYNOPSIS, "one FILE expected");
    vhdx *img;
    int rc = open_image(argv[optind], chain, 0, &img);
    if (rc)
        return rc;
    rc = report(img, argv[optind], off, len, json);
    vhdx_close(img);
    return rc;
}

int cmd_files(int argc, char **argv)
{
    return chain_opts_run(argc, argv, files_main);
}
