#!/usr/bin/env python3
"""map_cmp.py VHDX_MAP.json QEMU_MAP.json: do `vhdx map --json` and `qemu-img
map --output=json` (over the NBD export) agree on which bytes are data and
which are zeros? Prints the first difference and exits 1 if not."""
import json
import sys


def merged(runs):
    out = []
    for off, length, data in runs:
        if out and out[-1][2] == data and out[-1][0] + out[-1][1] == off:
            out[-1][1] += length
        else:
            out.append([off, length, data])
    return out


ours = merged((r["offset"], r["length"], r["layer"] >= 0) for r in json.load(open(sys.argv[1]))["runs"])
qemu = merged((r["start"], r["length"], bool(r["data"])) for r in json.load(open(sys.argv[2])))
if ours != qemu:
    for a, b in zip(ours + [None] * len(qemu), qemu + [None] * len(ours)):
        if a != b:
            print("vhdx map %s, qemu-img map %s" % (a, b))
            break
    sys.exit(1)
print("%d runs agree" % len(ours))
