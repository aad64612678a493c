/* vhdx_opts.c: --search-path and --map for every command that opens a chain. */
#include "chain_opts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "vhdx_probe.h"

void chain_opts_init(struct chain_opts *c)
{
    memset(c, 0, sizeof *c);
}

int chain_opt(struct chain_opts *c, int opt, const char *arg)
{
    if (opt == OPT_SEARCH_PATH) {
        const char **p = realloc(c->search, (c->o.n_search_paths + 1) * sizeof *p);
        if (!p)
            return -1;
        c->search = p;
        p[c->o.n_search_paths++] = arg;
        c->o.search_paths = p;
        return 1;
    }
    if (opt == OPT_MAP) {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            cli_bad("--map needs WIN=LOCAL, e.g. --map 'D:\\VMs\\=/srv/vms/'; got '%s'", arg);
            return -1;
        }
        struct vhdx_path_map *m = realloc(c->maps, (c->o.n_maps + 1) * sizeof *m);
        if (!m)
            return -1;
        c->maps = m;
        char *from = strndup(arg, (size_t)(eq - arg));
        if (!from)
            return -1;
        m[c->o.n_maps].from = from;
        m[c->o.n_maps].to = eq + 1;
        c->o.n_maps++;
        c->o.maps = m;
        return 1;
    }
    return 0;
}

void chain_opts_free(struct chain_opts *c)
{
    for (size_t i = 0; i < c->o.n_maps; i++)
        free((char *)c->maps[i].from);
    free(c->maps);
    free(c->search);
    memset(c, 0, sizeof *c);
}

int open_image(const char *path, const struct chain_opts *c, unsigned extra_flags, vhdx **out)
{
    struct vhdx_open_opts o = c->o;
    o.flags |= extra_flags;
    struct hv_err e;
    hv_err_clear(&e);
    struct vhdx_probe_result pr;
    if (vhdx_probe_expect(path, 1u << VHDX_KIND_VHDX, &pr, &e) != 0)
        return cli_error(&e);
    if (vhdx_open(path, &o, out, &e)) {
        hv_err_file(&e, path);
        return cli_error(&e);
    }
    return EXIT_OK;
}

int chain_file_args(int argc, char **argv, const struct cli_spec *spec, int *json, struct chain_opts *co,
                    int *status)
{
    struct cli_args a;
    *json = 0;
    chain_opts_init(co);
    cli_args_init(&a, spec, argc, argv);
    for (int c; (c = cli_next(&a)) != CLI_END;) {
        int r = c == CLI_STOP ? -1 : chain_opt(co, c, a.arg);
        if (r == 1)
            continue;
        if (r == 0 && c == 'j') {
            *json = 1;
            cli_set_json(1);
            continue;
        }
        chain_opts_free(co);
        *status = c == CLI_STOP ? a.status : r < 0 ? EXIT_ERROR : cli_bad("option '%s' not handled", a.name);
        return -1;
    }
    if (optind + 1 != argc) {
        chain_opts_free(co);
        *status = optind == argc ? cli_bad("a FILE is needed") : cli_bad("one FILE expected, got %d", argc - optind);
        return -1;
    }
    return 0;
}

void json_written_image(const char *action, const char *path, const char *parent)
{
    vhdx *img;
    struct vhdx_open_opts o = { .flags = VHDX_OPEN_NO_PARENT };
    struct hv_err e;
    hv_err_clear(&e);
    struct json j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_str(&j, "action", action);
    json_str(&j, "file", path);
    if (vhdx_open(path, &o, &img, &e) == 0) {
        struct vhdx_info in;
        char g[40];
        vhdx_get_info(img, &in);
        json_str(&j, "format", "vhdx");
        json_str(&j, "type", in.type == VHDX_TYPE_FIXED ? "fixed" : in.type == VHDX_TYPE_DYNAMIC ? "dynamic"
                                                                                         : "differencing");
        json_u64(&j, "virtual_size", in.virtual_size);
        json_u64(&j, "block_size", in.block_size);
        json_u64(&j, "logical_sector_size", in.logical_sector_size);
        json_u64(&j, "physical_sector_size", in.physical_sector_size);
        json_u64(&j, "file_size", in.file_size);
        json_str(&j, "data_write_guid", hv_guid_format(&in.data_write_guid, 1, g));
        vhdx_close(img);
    } else {
        struct stat st;
        json_str(&j, "format", "raw");
        json_u64(&j, "virtual_size", stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
    }
    json_str(&j, "parent", parent);
    json_obj_end(&j);
    json_end(&j);
}

int cli_error_out(struct hv_err *e, const char *path)
{
    const char *base = strrchr(e->file, '/');
    base = base ? base + 1 : e->file;
    if (base[0] == '.' && strstr(base, ".tmp"))
        snprintf(e->file, sizeof e->file, "%s", path);
    else if (!e->file[0])
        hv_err_file(e, path);
    return cli_error(e);
}

static int ends_with_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

int check_out_name(const char *opt, const char *path, int allow_raw_ext)
{
    static const char *const foreign[][2] = {
        { ".vhd", "VHD" }, { ".qcow2", "qcow2" }, { ".qcow", "qcow" }, { ".vmdk", "VMDK" },
        { ".vdi", "VDI" }, { ".iso", "ISO 9660" }, { ".hrl", "HRL" },
    };
    (void)allow_raw_ext;
    for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++)
        if (ends_with_ci(path, foreign[i][0]))
            return cli_bad("%s'%s': hvkit writes raw and VHDX only, not %s; name it .vhdx or .raw "
                           "(qemu-img convert can make a %s from either)",
                           opt, path, foreign[i][1], foreign[i][1]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_bad("%s'%s' is a directory; give the name of a new file", opt, path);
    return 0;
}

int chain_opts_run(int argc, char **argv, int (*body)(int argc, char **argv, struct chain_opts *c))
{
    struct chain_opts chain;
    chain_opts_init(&chain);
    int rc = body(argc, argv, &chain);
    chain_opts_free(&chain);
    return rc;
}
