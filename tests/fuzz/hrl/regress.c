/* regress.c: runs fuzz_hrl_read over files and directories without
 * libFuzzer (zstd's regression_driver shape), then over seeded random
 * damage of every corpus file, so ctest covers the target. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t files;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    /* Seeded damage: flips, zeroed runs, truncations. */
    uint64_t s = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    uint8_t *m = malloc(n > 0 ? (size_t)n : 1);
    const char *env = getenv("HRL_REGRESS_ROUNDS");
    int rounds = env ? atoi(env) : 3000;
    for (int round = 0; round < rounds && n > 0; round++) {
        memcpy(m, buf, (size_t)n);
        size_t len = (size_t)n;
        for (int k = 0; k < 1 + round % 4; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            size_t pos = (size_t)(s % (uint64_t)n);
            switch (s >> 62) {
            case 0: m[pos] ^= (uint8_t)(1u << (s >> 40 & 7)); break;
            case 1: memset(m + pos, 0, (size_t)n - pos < 64 ? (size_t)n - pos : 64); break;
            case 2: len = pos; break;
            default: m[pos] = (uint8_t)(s >> 32); break;
            }
        }
        LLVMFuzzerTestOneInput(m, len);
    }
    free(m);
    free(buf);
    files++;
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "no such path %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        run_path(p);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("%zu inputs, each with its damaged variants: ok\n", files);
    return files ? 0 : 1;
}
