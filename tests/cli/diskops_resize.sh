#!/usr/bin/env bash
# vhdx create --fixed / vhdx resize: space really allocated, grown disks read
# old content + zeros in qemu-img and libvhdi, refused shrinks leave the file
# byte-identical, one writer at a time.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || skip "qemu-img not installed"
M=1048576

# raw view of an image by qemu-img; sha256 of it
qraw() { qemu-img convert -f vhdx -O raw "$1" "$TMP/q.raw" && sha "$TMP/q.raw"; }
# a raw file: SIZE bytes, 0x5a in [0, 3M), 0x33 in [9M, 10M), zeros elsewhere
want_raw() {
  rm -f "$TMP/w.raw"; truncate -s "$1" "$TMP/w.raw"
  head -c $((3 * M)) /dev/zero | tr '\0' 'Z' | dd of="$TMP/w.raw" conv=notrunc status=none
  head -c $M /dev/zero | tr '\0' '3' | dd of="$TMP/w.raw" bs=$M seek=9 conv=notrunc status=none
  sha "$TMP/w.raw"
}
fill() { # IMAGE: the 0x5a / 0x33 pattern written through vhdx write
  head -c $((3 * M)) /dev/zero | tr '\0' 'Z' >"$TMP/a"; head -c $M /dev/zero | tr '\0' '3' >"$TMP/b"
  "$VHDX" write "$1" 0 "$TMP/a" >/dev/null && "$VHDX" write "$1" $((9 * M)) "$TMP/b" >/dev/null
}

# create --fixed holds its space: du >= virtual size
expect_exit 0 "$VHDX" create "$TMP/fx.vhdx" --size 64M --fixed
CHECKS=$((CHECKS + 1))
[ $(( $(du -k "$TMP/fx.vhdx" | cut -f1) * 1024 )) -ge $((64 * M)) ] || fail "fixed image is sparse: $(du -k "$TMP/fx.vhdx")"

# grow a dynamic image inside its BAT
expect_exit 0 "$VHDX" create "$TMP/d.vhdx" --size 10M --block-size 1M
fill "$TMP/d.vhdx"
expect_exit 0 "$VHDX" resize "$TMP/d.vhdx" --size 100M --json
expect_eq "json" "$(tr -d ' \n' <"$TMP/out")" \
  '{"version":1,"file":"'"$TMP"'/d.vhdx","operation":"resize","old_size":10485760,"new_size":104857600,"old_file_size":8388608,"new_file_size":8388608,"blocks_added":0,"blocks_released":0,"bat_moved":false,"bat_offset":3145728,"bat_length":1048576}'
expect_exit 0 qemu-img check "$TMP/d.vhdx"
expect_exit 0 "$VHDX" check "$TMP/d.vhdx"
expect_eq "grown dynamic (qemu-img)" "$(qraw "$TMP/d.vhdx")" "$(want_raw $((100 * M)))"
"$VHDX" cat "$TMP/d.vhdx" >"$TMP/c.raw"
expect_eq "grown dynamic (vhdx cat)" "$(sha "$TMP/c.raw")" "$(sha "$TMP/w.raw")"
if command -v vhdiinfo >/dev/null; then
  expect_stdout_has "(104857600 bytes)" vhdiinfo "$TMP/d.vhdx"
fi

# shrink refused while data lies beyond the new end: exit 2, file byte-identical
before=$(sha "$TMP/d.vhdx")
expect_exit 2 "$VHDX" resize "$TMP/d.vhdx" --size 9M
expect_eq "refusal" "$(cat "$TMP/err")" "vhdx: '$TMP/d.vhdx': resize: virtual byte 9437184 holds data; shrinking would lose it"
expect_eq "refused shrink leaves the file" "$(sha "$TMP/d.vhdx")" "$before"
# ... and allowed down to the data; the file is cut back
expect_stdout_has "virtual size 104857600 -> 10485760 bytes" "$VHDX" resize "$TMP/d.vhdx" --size -90M
expect_eq "shrunk (qemu-img)" "$(qraw "$TMP/d.vhdx")" "$(want_raw $((10 * M)))"

# grow so far the BAT must move (1 MiB BAT = 131072 entries of 1 MiB blocks)
expect_stdout_has "BAT moved to offset 8388608" "$VHDX" resize "$TMP/d.vhdx" --size 200G
expect_exit 0 qemu-img check "$TMP/d.vhdx"
expect_exit 0 "$VHDX" check "$TMP/d.vhdx"
expect_exit 0 qemu-io -f vhdx -c "read -P 0x5a 0 3M" -c "read -P 0x33 9M 1M" -c "read -P 0 10M 1M" \
  -c "read -P 0 199G 1M" "$TMP/d.vhdx"
CHECKS=$((CHECKS + 1)); grep -q "Pattern verification failed" "$TMP/out" && fail "moved BAT: qemu-io pattern"
expect_stdout_has "virtual size:         214748364800" "$VHDX" info "$TMP/d.vhdx"

# fixed: new blocks allocated (du), old content kept, shrink back cuts the file
expect_exit 0 "$VHDX" create "$TMP/f.vhdx" --size 10M --fixed --block-size 1M
fill "$TMP/f.vhdx"
expect_exit 0 "$VHDX" resize "$TMP/f.vhdx" --size +20M
expect_exit 0 qemu-img check "$TMP/f.vhdx"
expect_eq "grown fixed (qemu-img)" "$(qraw "$TMP/f.vhdx")" "$(want_raw $((30 * M)))"
CHECKS=$((CHECKS + 1))
[ $(( $(du -k "$TMP/f.vhdx" | cut -f1) * 1024 )) -ge $((30 * M)) ] || fail "grown fixed image is sparse"
expect_exit 0 "$VHDX" resize "$TMP/f.vhdx" --size 10M
expect_eq "fixed shrunk file" "$(stat -c %s "$TMP/f.vhdx")" $((14 * M))
expect_eq "fixed shrunk (qemu-img)" "$(qraw "$TMP/f.vhdx")" "$(want_raw $((10 * M)))"

# refusals: differencing (exit 2), bad sizes (exit 2), a second writer (exit 2)
expect_exit 0 "$VHDX" create "$TMP/kid.vhdx" --parent "$TMP/f.vhdx"
expect_exit 2 "$VHDX" resize "$TMP/kid.vhdx" --size 20M
expect_eq "differencing" "$(cat "$TMP/err")" "vhdx: '$TMP/kid.vhdx': resize: a differencing image must keep its parent's size; resize a merged copy"
expect_exit 2 "$VHDX" resize "$TMP/f.vhdx" --size 1000
expect_exit 2 "$VHDX" resize "$TMP/f.vhdx"
if command -v flock >/dev/null; then
  before=$(sha "$TMP/f.vhdx")
  expect_exit 2 flock "$TMP/f.vhdx" "$VHDX" resize "$TMP/f.vhdx" --size 20M
  expect_eq "locked" "$(cat "$TMP/err")" "vhdx: '$TMP/f.vhdx': lock: in use by another hvkit process"
  expect_eq "locked file untouched" "$(sha "$TMP/f.vhdx")" "$before"
fi
finish
