/* fuzz_hrl_read.c: libFuzzer target over the reader and salvage. Invariants
 * beyond "no crash": every payload lies inside the input, entries come in
 * index order, and the counts agree with hrl_info(). */
#include <stdint.h>
#include <stdlib.h>

#include "hrl.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned modes[] = { 0, HRL_OPEN_SALVAGE, HRL_OPEN_STRICT };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        struct hrl_open_opts o = { modes[m], NULL, NULL };
        hrl_log *log;
        struct hv_err err;
        if (hrl_open_mem(data, size, &o, &log, &err))
            continue;
        struct hrl_info in;
        hrl_info(log, &in);
        struct hrl_iter it;
        struct hrl_entry e;
        uint64_t n = 0, bytes = 0;
        hrl_iter_init(log, HRL_ITER_DATA, &it);
        while (hrl_iter_next(&it, &e)) {
            CHECK(e.index == n);
            CHECK(e.payload_offset <= size && e.length <= size - e.payload_offset);
            CHECK(e.payload == data + e.payload_offset);
            CHECK(e.block_offset >= 4096 && e.payload_offset + e.length <= e.block_offset);
            n++;
            bytes += e.length;
        }
        CHECK(n == in.entries && bytes == in.data_bytes);
        if (modes[m] == HRL_OPEN_STRICT) /* strict success means a sound log */
            CHECK(in.problems == 0);
        hrl_close(log);
    }
    return 0;
}
