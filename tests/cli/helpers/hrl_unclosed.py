#!/usr/bin/env python3
"""hrl_unclosed.py OUT MIB: an unclosed HRL (EOLLocation 0) of about MIB MiB,
written from docs/hrl-format.md alone: MetadataSize 64 (one entry per block), each
block after a 1-byte payload, so every block sits at an odd offset and a
salvage scan cannot find them by stepping in sectors. Prints the block count.

Layout: header 4096 | p0 (1 byte) | block 0 | p1 | block 1 | ...
Block k: PreviousMetadataLocation 65 (0 for the first), one entry of length 1
at disk offset 512 * k, DataChecksum 0 (absent)."""
import struct
import sys

MS = 64


def checksum(b, skip):
    """One's complement of the byte sum, skipping 4 bytes at `skip`."""
    return ~(sum(b) - sum(b[skip:skip + 4])) & 0xFFFFFFFF


def header():
    h = bytearray(4096)
    h[0:8] = b"msctlog\0"
    struct.pack_into("<II4sI", h, 8, 0x00020000, 1, b"ct\0\0", 0x000A0000)
    struct.pack_into("<QQ", h, 24, 0, 4096)          # OriginalSize, CurrentSize
    struct.pack_into("<QiI", h, 44, 0, 0, MS)        # EOLLocation 0: never closed
    struct.pack_into("<I", h, 40, checksum(h, 40))
    return bytes(h)


MB_FIRST = bytearray(32)
struct.pack_into("<QI", MB_FIRST, 0, 0, 1)
struct.pack_into("<I", MB_FIRST, 12, checksum(MB_FIRST, 12))
MB_NEXT = bytearray(32)
struct.pack_into("<QI", MB_NEXT, 0, 65, 1)           # back over 1 payload byte + 64
struct.pack_into("<I", MB_NEXT, 12, checksum(MB_NEXT, 12))
ENTRY = struct.Struct("<QIIIB4xB6x")                 # DataChecksum 0, Location 0


def block(k):
    off = 512 * k
    # Entry checksum: the byte sum of ByteOffset, plus DataLength 1, TimeStamp 1, op 1.
    c = ~(sum(off.to_bytes(8, "little")) + 3) & 0xFFFFFFFF
    return (MB_NEXT if k else MB_FIRST) + ENTRY.pack(off, c, 1, 1, 1, 0)


def main():
    out, mib = sys.argv[1], int(sys.argv[2])
    n = (mib << 20) // (1 + MS)
    with open(out, "wb") as f:
        f.write(header())
        batch = []
        for k in range(n):
            batch.append(b"\x5a" + block(k))
            if len(batch) == 4096:
                f.write(b"".join(batch))
                batch = []
        f.write(b"".join(batch))
    print(n)


if __name__ == "__main__":
    main()
