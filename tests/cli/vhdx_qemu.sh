#!/usr/bin/env bash
# Images made by qemu-img (fixed and dynamic; 1, 8, 32 and 256 MiB blocks)
# with data written by qemu-io at unaligned offsets crossing block boundaries
# must read exactly as `qemu-img convert -O raw` reads them (compared with cmp,
# which is much faster than hashing).
. "$(dirname "$0")/lib.bash"

command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || skip "qemu-img/qemu-io not installed"

same() { # same NAME FILE_A FILE_B|-
  CHECKS=$((CHECKS + 1))
  cmp -s "$2" "$3" || fail "$1: contents differ from qemu-img convert"
}

n=0
for sub in dynamic fixed; do
  for bs in 1 8 32 256; do
    bsz=$((bs * 1048576))
    size=$((2 * bsz + 8 * 1048576))
    second=$bsz
    if [ "$sub" = fixed ]; then # fully allocated on disk: keep it small
      size=$((bsz + 8 * 1048576))
      second=65536
    fi
    img=$TMP/$sub-$bs.vhdx
    qemu-img create -q -f vhdx -o subformat=$sub,block_size=${bs}M "$img" $size
    n=$((n + 1))
    # Odd lengths and offsets straddling blocks 0/1 and 1/2; first and last sector.
    qemu-io -f vhdx -c "write -P 0x$((n + 10)) $((bsz - 1536)) 5121" \
      -c "write -P 0xa5 $((bsz + 513)) $second" \
      -c "write -P 0x5a 0 512" \
      -c "write -P 0x3c $((size - 512)) 512" "$img" >/dev/null || fail "qemu-io $sub $bs"
    qemu-img convert -f vhdx -O raw "$img" "$TMP/ref.raw"
    "$VHDX" cat "$img" | cmp -s - "$TMP/ref.raw"
    st=("${PIPESTATUS[@]}")
    CHECKS=$((CHECKS + 1)); [ "${st[0]}${st[1]}" = 00 ] || fail "$sub $bs: pipe output differs"
    "$VHDX" cat "$img" >"$TMP/out.raw"
    same "$sub $bs file" "$TMP/out.raw" "$TMP/ref.raw"
    expect_eq "$sub $bs sparse output size" "$(stat -c %s "$TMP/out.raw")" "$size"
    rm -f "$TMP/out.raw" "$TMP/ref.raw"
    expect_exit 0 "$VHDX" check "$img"
    expect_stdout_has "type:                 $sub" "$VHDX" info "$img"
    expect_stdout_has "block size:           $bsz" "$VHDX" info "$img"
    # Map runs tile the disk; the written data is served by layer 0.
    "$VHDX" map --json "$img" | python3 -c '
import json, sys
runs, size, bsz = json.load(sys.stdin)["runs"], int(sys.argv[1]), int(sys.argv[2])
pos = 0
for r in runs:
    assert r["offset"] == pos, r
    pos += r["length"]
assert pos == size
data = [r for r in runs if r["layer"] == 0]
assert any(r["offset"] <= bsz - 1536 < r["offset"] + r["length"] for r in data)
assert any(r["offset"] <= size - 512 < r["offset"] + r["length"] for r in data)
' "$size" "$bsz"
    CHECKS=$((CHECKS + 1)); [ $? = 0 ] || fail "$sub $bs: map runs"
    rm -f "$img"
  done
done

# 4 GiB + 1 MiB with 32 MiB blocks crosses a chunk: block 128 sits after the
# interleaved sector-bitmap entry (BAT index 129).
img=$TMP/chunk.vhdx
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$img" $((4 * 1024 + 1))M
qemu-io -f vhdx -c "write -P 0x77 $((4 * 1024 * 1048576 - 4096)) 1052672" "$img" >/dev/null
expect_stdout_has "BAT:                  130 entries" "$VHDX" info "$img"
"$VHDX" cat "$img" | tail -c $((1048576 + 4096)) | od -v -An -tx1 | sort -u | tr -d ' \n' >"$TMP/tail"
expect_eq "data after the chunk boundary" "$(cat "$TMP/tail")" "77777777777777777777777777777777"
finish
