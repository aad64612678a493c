/* svg_opt.c: taking "--svg OUT" out of argv before a shared option parser. */
#include <string.h>

#include "svg_render.h"

const char *svg_take_opt(int *argc, char **argv)
{
    const char *out = NULL;
    int w = 1, rest = 0;
    for (int r = 1; r < *argc; r++) {
        if (!rest && !strcmp(argv[r], "--"))
            rest = 1;
        else if (!rest && !strcmp(argv[r], "--svg") && r + 1 < *argc) {
            out = argv[++r];
            continue;
        } else if (!rest && !strncmp(argv[r], "--svg=", 6)) {
            out = argv[r] + 6;
            continue;
        }
        argv[w++] = argv[r];
    }
    argv[w] = NULL;
    *argc = w;
    return out;
}
