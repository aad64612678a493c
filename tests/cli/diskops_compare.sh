#!/usr/bin/env bash
# vhdx compare agrees with qemu-img compare (messages, exit codes, first
# differing offset) over raw files, VHDX and differencing chains; vhdx
# measure predicts exactly the files create and convert write.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || skip "qemu-img not installed"
M=1048576

# both tools on the same pair (any options): same stdout, same exit status
same_as_qemu() {
  local what=$1; shift
  "$VHDX" compare "$@" >"$TMP/ours" 2>&1; local ours=$?
  qemu-img compare "$@" >"$TMP/theirs" 2>&1; local theirs=$?
  expect_eq "$what: exit" "$ours" "$theirs"
  expect_eq "$what: output" "$(cat "$TMP/ours")" "$(cat "$TMP/theirs")"
}

truncate -s 10M "$TMP/a.raw"
cp "$TMP/a.raw" "$TMP/b.raw"
printf 'x' | dd of="$TMP/b.raw" bs=1 seek=5000 conv=notrunc status=none
same_as_qemu "raw differ" "$TMP/a.raw" "$TMP/b.raw"
expect_eq "differ text" "$(cat "$TMP/ours")" "Content mismatch at offset 4608!"
same_as_qemu "raw identical" "$TMP/a.raw" "$TMP/a.raw"
truncate -s 12M "$TMP/long.raw"
same_as_qemu "longer, zero tail" "$TMP/a.raw" "$TMP/long.raw"
same_as_qemu "strict size" -s "$TMP/a.raw" "$TMP/long.raw"
printf 'y' | dd of="$TMP/long.raw" bs=1 seek=11000000 conv=notrunc status=none
same_as_qemu "longer, data tail" "$TMP/long.raw" "$TMP/a.raw"

# VHDX against raw and VHDX (qemu-img given the formats)
expect_exit 0 "$VHDX" convert "$TMP/long.raw" "$TMP/long.vhdx" --block-size 1M
expect_exit 0 "$VHDX" compare "$TMP/long.vhdx" "$TMP/long.raw"
expect_eq "vhdx = raw" "$(cat "$TMP/out")" "Images are identical."
expect_exit 0 "$VHDX" create "$TMP/z.vhdx" --size 12M --block-size 1M
same_as_qemu "vhdx vs vhdx" "$TMP/z.vhdx" "$TMP/long.vhdx"
expect_eq "vhdx differ" "$(cat "$TMP/ours")" "Content mismatch at offset 10999808!"

# a differencing chain is read through its parent
expect_exit 0 "$VHDX" create "$TMP/kid.vhdx" --parent "$TMP/long.vhdx"
expect_exit 0 "$VHDX" compare "$TMP/kid.vhdx" "$TMP/long.raw"
head -c 4096 /dev/zero | tr '\0' 'k' >"$TMP/k"
expect_exit 0 "$VHDX" write "$TMP/kid.vhdx" $((3 * M + 8192)) "$TMP/k"
"$VHDX" cat "$TMP/kid.vhdx" >"$TMP/kid.raw"   # qemu-img cannot open differencing VHDX
same_as_qemu "flat child vs parent" "$TMP/kid.raw" "$TMP/long.raw"
expect_exit 1 "$VHDX" compare "$TMP/kid.vhdx" "$TMP/long.vhdx"
expect_eq "child vs parent" "$(cat "$TMP/out")" "$(cat "$TMP/theirs")"
expect_exit 1 "$VHDX" compare --json "$TMP/kid.vhdx" "$TMP/long.vhdx"
expect_eq "json" "$(tr -d ' \n' <"$TMP/out")" \
  '{"version":1,"a":"'"$TMP"'/kid.vhdx","b":"'"$TMP"'/long.vhdx","identical":false,"size_a":12582912,"size_b":12582912,"offset":3153920,"first_byte":3153920}'

# cannot compare: exit 2
expect_exit 2 "$VHDX" compare "$TMP/a.raw" "$TMP/missing.raw"
expect_eq "missing" "$(cat "$TMP/err")" "vhdx: '$TMP/missing.raw': open: no such file"
expect_exit 2 "$VHDX" compare "$TMP/a.raw"

# measure: an empty disk, and what create writes for it
expect_exit 0 "$VHDX" measure --size 1G
expect_eq "measure 1G" "$(cat "$TMP/out")" "required size: 4194304
fully allocated size: 1077936128"
expect_exit 0 "$VHDX" create "$TMP/d1.vhdx" --size 1G
expect_eq "dynamic 1G file" "$(stat -c %s "$TMP/d1.vhdx")" 4194304
expect_exit 0 "$VHDX" measure --size 300G --block-size 1M --json
expect_eq "measure json" "$(tr -d ' \n' <"$TMP/out")" \
  '{"version":1,"virtual_size":322122547200,"block_size":1048576,"blocks":307200,"used_blocks":0,"bat_bytes":3145728,"overhead":6291456,"required":6291456,"fully_allocated":322128838656}'
# measure of content = the size convert writes, for raw, VHDX and chain inputs
dd if=/dev/urandom of="$TMP/r.raw" bs=64K count=1 seek=100 status=none      # block 0 (6.25 MiB in, 32M blocks)
dd if=/dev/urandom of="$TMP/r.raw" bs=4K count=1 seek=$((70 * 256)) status=none  # block 2 at 1M blocks
truncate -s 100M "$TMP/r.raw"
for bs in 1M 32M; do
  for in in r.raw kid.vhdx long.vhdx; do
    rm -f "$TMP/m.vhdx"
    expect_exit 0 "$VHDX" convert "$TMP/$in" "$TMP/m.vhdx" --block-size $bs
    expect_exit 0 "$VHDX" measure --block-size $bs "$TMP/$in"
    expect_eq "measure $in $bs" "$(sed -n 's/^required size: //p' "$TMP/out")" "$(stat -c %s "$TMP/m.vhdx")"
    rm -f "$TMP/f.vhdx"
    expect_exit 0 "$VHDX" convert "$TMP/$in" "$TMP/f.vhdx" --fixed --block-size $bs
    expect_eq "measure fixed $in $bs" "$("$VHDX" measure --block-size $bs "$TMP/$in" | sed -n 's/^fully allocated size: //p')" "$(stat -c %s "$TMP/f.vhdx")"
  done
done
finish
