#!/usr/bin/env python3
"""sha256.py [FILE]: SHA-256 of FILE or stdin, via OpenSSL (hashlib).

Test helper: coreutils sha256sum runs at a fraction of OpenSSL's speed, and the
sample disks are tens of GiB of virtual bytes."""
import hashlib
import sys

h = hashlib.sha256()
f = open(sys.argv[1], "rb") if len(sys.argv) > 1 else sys.stdin.buffer
while True:
    b = f.read(1 << 24)
    if not b:
        break
    h.update(b)
print(h.hexdigest())
