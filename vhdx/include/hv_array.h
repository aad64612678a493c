/* hv_array.h: the one way a growing array gets room. */
#ifndef HVK_HV_ARRAY_H
#define HVK_HV_ARRAY_H

#include <stddef.h>

#include "hv_err.h"

/*! hv_grow() :
 *  Room for at least `need` elements of `elem` bytes in `arr` (capacity
 *  *cap): when *cap is too small the array is reallocated to the larger of
 *  `need` and twice *cap (at least 16) and *cap updated; sizes that would
 *  overflow are refused.
 *  @return the array to use from now on, or NULL (no memory or overflow; `arr`
 *          and *cap are unchanged and still valid). */
HVK_API void *hv_grow(void *arr, size_t *cap, size_t need, size_t elem);

#endif
