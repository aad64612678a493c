/* array.c: hv_grow (see hv_array.h). */
#include "hv_array.h"

#include <stdint.h>
#include <stdlib.h>

void *hv_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t want = *cap > SIZE_MAX / 2 ? need : *cap * 2;
    if (want < need)
        want = need;
    if (want < 16)
        want = 16;
    if (elem == 0 || want > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(arr, want * elem);
    if (p)
        *cap = want;
    return p;
}
