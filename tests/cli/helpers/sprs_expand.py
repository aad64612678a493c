#!/usr/bin/env python3
"""sprs_expand.py SEED OUT: expands a fuzz seed in the "SPRS" form of
tests/fuzz/make_seed.py (u16 count and u16 size in MiB at bytes 4-7, then
(u32 offset, u16 length, bytes) pieces) into the image file it describes;
any other input is copied as is."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    if data[:4] != b"SPRS" or len(data) < 8:
        f.write(data)
        sys.exit(0)
    count, mib = struct.unpack_from("<HH", data, 4)
    f.truncate(mib << 20)
    at = 8
    for _ in range(count):
        if at + 6 > len(data):
            break
        off, n = struct.unpack_from("<IH", data, at)
        f.seek(off)
        f.write(data[at + 6:at + 6 + n])
        at += 6 + n
