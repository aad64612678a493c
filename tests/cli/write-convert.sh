#!/usr/bin/env bash
# vhdx convert: raw <-> VHDX round trips byte-identical (sparse, a few GiB,
# 512 and 4096-byte sectors), qemu-img agrees, zero blocks not stored, raw
# output sparse, refused requests leave inputs untouched.
. "$(dirname "$0")/lib.bash"
scmp() { python3 "$(dirname "$0")/sparse_cmp.py" "$@"; }
command -v qemu-img >/dev/null || skip "qemu-img not installed"

# a sparse 3 GiB raw disk with data in a few places (incl. the last sector)
raw="$TMP/disk.raw"
truncate -s 3G "$raw"
for at in 0 5 700 2047 3071; do
  head -c 1048576 /dev/urandom | dd of="$raw" bs=1M seek="$at" conv=notrunc status=none
done
printf 'tail' | dd of="$raw" bs=1 seek=$((3 * 1024 * 1024 * 1024 - 4)) conv=notrunc status=none
before=$(scmp --hash "$raw")

expect_exit 0 "$VHDX" convert "$raw" "$TMP/disk.vhdx"
expect_exit 0 qemu-img check "$TMP/disk.vhdx"
# five 32 MiB blocks hold data (0 and 5 share one): the rest is not stored
size=$(stat -c %s "$TMP/disk.vhdx")
CHECKS=$((CHECKS + 1)); [ "$size" -le $((5 * 33554432 + 8 * 1048576)) ] || fail "vhdx too big: $size"
qemu-img convert -O raw "$TMP/disk.vhdx" "$TMP/q.raw"
CHECKS=$((CHECKS + 1)); scmp "$raw" "$TMP/q.raw" || fail "qemu-img reads a different disk"
rm -f "$TMP/q.raw"
expect_exit 0 "$VHDX" convert "$TMP/disk.vhdx" "$TMP/back.raw" -O raw
CHECKS=$((CHECKS + 1)); scmp "$raw" "$TMP/back.raw" || fail "raw -> vhdx -> raw differs"
CHECKS=$((CHECKS + 1)); [ "$(du -k "$TMP/back.raw" | cut -f1)" -lt 20000 ] || fail "raw output not sparse"
rm -f "$TMP/back.raw"

# 4096-byte logical sectors, 1 MiB blocks
expect_exit 0 "$VHDX" convert "$raw" "$TMP/disk4k.vhdx" --logical-sector 4096 --block-size 1M
expect_exit 0 "$VHDX" convert "$TMP/disk4k.vhdx" "$TMP/back4k.raw"
CHECKS=$((CHECKS + 1)); scmp "$raw" "$TMP/back4k.raw" || fail "4K raw -> vhdx -> raw differs"
rm -f "$TMP/back4k.raw"

# fixed output, and VHDX -> VHDX with another block size
truncate -s 64M "$TMP/small.raw"
head -c 3000000 /dev/urandom | dd of="$TMP/small.raw" bs=4096 seek=1000 conv=notrunc status=none
expect_exit 0 "$VHDX" convert "$TMP/small.raw" "$TMP/fixed.vhdx" --fixed --block-size 1M
expect_exit 0 qemu-img check "$TMP/fixed.vhdx"
expect_eq "fixed file size" "$(stat -c %s "$TMP/fixed.vhdx")" $((4 * 1048576 + 64 * 1048576))
expect_exit 0 "$VHDX" convert "$TMP/fixed.vhdx" "$TMP/dyn.vhdx" --block-size 2M
qemu-img convert -O raw "$TMP/dyn.vhdx" "$TMP/q.raw"
CHECKS=$((CHECKS + 1)); scmp "$TMP/small.raw" "$TMP/q.raw" || fail "fixed -> dynamic differs"

# refused: existing output, unknown format, missing input; nothing changed
expect_exit 2 "$VHDX" convert "$raw" "$TMP/disk.vhdx"
expect_stderr_has "file exists" "$VHDX" convert "$raw" "$TMP/disk.vhdx"
expect_exit 2 "$VHDX" convert "$raw" "$TMP/x.out" -O qcow2
expect_exit 2 "$VHDX" convert "$TMP/missing" "$TMP/x.raw"
expect_exit 2 "$VHDX" convert "$raw" "$TMP/x.vhdx" --block-size 3M
printf 'odd' >"$TMP/odd.raw"
expect_exit 2 "$VHDX" convert "$TMP/odd.raw" "$TMP/odd.vhdx"
expect_eq "input untouched" "$(scmp --hash "$raw")" "$before"
CHECKS=$((CHECKS + 1))
ls "$TMP" | grep -qE '^x\.(vhdx|raw|out)$|^odd\.vhdx$|\.tmp-' && fail "a refused convert left a file: $(ls "$TMP")"
finish
