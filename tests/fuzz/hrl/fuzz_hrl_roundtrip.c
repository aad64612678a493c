/* fuzz_hrl_roundtrip.c: libFuzzer target for writer -> reader. The input is
 * read as options and a list of writes; the log written into memory must
 * open strictly (no problem at all) and give back exactly those writes, in
 * order, with payloads pointing at the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hrl.h"
#include "hrl_memio.h" /* tests/unit: the in-memory hv_io the writer writes into */
#include "hv_io.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Layout: [opts 2 bytes] then records [off 2][len 1][flush 1] with payloads
 * taken cyclically from the input itself. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct hrl_writer_opts o = { 0 };
    o.metadata_size = 64u + 32u * (data[0] % 16);
    o.empty_first_block = data[1] & 1;
    o.no_data_checksum = (data[1] >> 1) & 1;
    o.created = 1;
    struct memfile m = { 0 };
    struct hv_io *io = memio(&m);
    CHECK(io);
    hrl_writer *w;
    struct hv_err err;
    CHECK(hrl_writer_open_io(io, &o, &w, &err) == 0);
    size_t nrec = (size - 2) / 4, src = 0;
    if (nrec > 256) /* enough for several blocks; keeps each run fast */
        nrec = 256;
    uint8_t buf[256 * 4];
    for (size_t i = 0; i < nrec; i++) {
        const uint8_t *r = data + 2 + 4 * i;
        uint32_t len = (uint32_t)r[2] * 4;
        for (uint32_t k = 0; k < len; k++)
            buf[k] = data[src++ % size];
        CHECK(hrl_writer_add(w, (uint64_t)(r[0] | r[1] << 8) * 512, buf, len, (uint32_t)i, &err) == 0);
        if (r[3] & 1)
            CHECK(hrl_writer_flush(w, &err) == 0);
    }
    CHECK(hrl_writer_close(w, NULL, &err) == 0);
    struct hrl_open_opts oo = { HRL_OPEN_STRICT, NULL, NULL };
    for (int salvage = 0; salvage < 2; salvage++) {
        hrl_log *log;
        oo.flags = salvage ? HRL_OPEN_SALVAGE : HRL_OPEN_STRICT;
        CHECK(hrl_open_mem(m.p, m.len, &oo, &log, &err) == 0);
        struct hrl_iter it;
        struct hrl_entry e;
        hrl_iter_init(log, HRL_ITER_DATA, &it);
        src = 0;
        for (size_t i = 0; i < nrec; i++) {
            const uint8_t *r = data + 2 + 4 * i;
            uint32_t len = (uint32_t)r[2] * 4;
            CHECK(hrl_iter_next(&it, &e) == 1);
            CHECK(e.index == i && e.length == len && e.timestamp == (uint32_t)i);
            CHECK(e.disk_offset == (uint64_t)(r[0] | r[1] << 8) * 512);
            for (uint32_t k = 0; k < len; k++)
                CHECK(e.payload[k] == data[src++ % size]);
            CHECK(e.entry_ok && e.data != HRL_DATA_BAD);
        }
        CHECK(hrl_iter_next(&it, &e) == 0);
        struct hrl_info in;
        hrl_info(log, &in);
        CHECK(in.problems == 0);
        hrl_close(log);
    }
    free(m.p);
    return 0;
}
