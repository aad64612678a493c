#!/usr/bin/env python3
"""vhdx_set_guid.py FILE GUID: make both VHDX headers carry DataWriteGuid GUID.

Test helper (spec sections 1.4, 4.1): header 2's fields are copied into header 1
so both agree (equal sequence numbers, byte-identical, as Disk2vhd writes), the
DataWriteGuid is set from the braced text form, and the CRC-32C recomputed.
"""
import struct
import sys
import uuid

HDR = (0x10000, 0x20000)


def crc32c(data):
    crc = 0xFFFFFFFF
    table = crc32c.table
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)


def main():
    path, text = sys.argv[1], sys.argv[2]
    guid = uuid.UUID(text.strip("{}")).bytes_le
    with open(path, "r+b") as f:
        f.seek(HDR[0])
        h1 = bytearray(f.read(4096))
        f.seek(HDR[1])
        h2 = bytearray(f.read(4096))
        seq1 = struct.unpack_from("<Q", h1, 8)[0]
        seq2 = struct.unpack_from("<Q", h2, 8)[0]
        h = h2 if seq2 > seq1 else h1
        h[32:48] = guid
        h[4:8] = b"\0\0\0\0"
        h[4:8] = struct.pack("<I", crc32c(bytes(h)))
        for off in HDR:
            f.seek(off)
            f.write(h)


if __name__ == "__main__":
    main()
