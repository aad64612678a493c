#!/usr/bin/env python3
"""make_seed.py IMAGE OUT [BUDGET]: a small "SPRS" fuzz seed from a VHDX image.

The fuzz target expands "SPRS" inputs into an image of up to 32 MiB: u16 count
and u16 size in MiB at bytes 4-7, then (u32 offset, u16 length, bytes) pieces.
We keep the non-zero 64-byte pieces of the first 32 MiB, structures (below 4 MiB in our fixtures) first, up
to BUDGET bytes (default 6000), so a multi-MiB image becomes a few-KB seed.
"""
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
budget = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
data = open(path, "rb").read(32 << 20)
mib = min(32, (len(data) + (1 << 20) - 1) >> 20)
G = 64
pieces = [(o, data[o:o + G]) for o in range(0, len(data), G) if any(data[o:o + G])]
pieces.sort(key=lambda p: (p[0] >= (4 << 20), p[0]))
chosen, used = [], 0
for o, b in pieces:
    if used + len(b) + 6 > budget:
        continue
    chosen.append((o, b))
    used += len(b) + 6
chosen.sort()
merged = []
for o, b in chosen:  # join neighbours to save the 6-byte piece headers
    if merged and merged[-1][0] + len(merged[-1][1]) == o and len(merged[-1][1]) + len(b) < 65536:
        merged[-1] = (merged[-1][0], merged[-1][1] + b)
    else:
        merged.append((o, b))
blob = b"SPRS" + struct.pack("<HH", len(merged), mib)
for o, b in merged:
    blob += struct.pack("<IH", o, len(b)) + b
open(out, "wb").write(blob)
