#!/usr/bin/env bash
# vhdx compact (Optimize-VHD): a dynamic image with half its blocks zeroed
# shrinks by at least those blocks, reads identically in qemu-img, passes
# qemu-img check; children keep their parent link; fixed images refused.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || skip "qemu-img not installed"
M=1048576
qraw() { qemu-img convert -f vhdx -O raw "$1" "$TMP/q.raw" && sha "$TMP/q.raw"; }
dwg() { "$VHDX" info "$1" | sed -n 's/^data write guid: *//p'; }

# 64 blocks of 1 MiB, all written; every second one all zeros
expect_exit 0 "$VHDX" create "$TMP/d.vhdx" --size 64M --block-size 1M
head -c $((64 * M)) /dev/urandom >"$TMP/data"
head -c $M /dev/zero >"$TMP/zero"
for i in $(seq 0 2 63); do dd if="$TMP/zero" of="$TMP/data" bs=1M seek=$i conv=notrunc status=none; done
expect_exit 0 "$VHDX" write "$TMP/d.vhdx" 0 "$TMP/data"   # zero MiBs are written too: allocated
before_disk=$(qraw "$TMP/d.vhdx"); before_size=$(stat -c %s "$TMP/d.vhdx"); guid=$(dwg "$TMP/d.vhdx")
expect_exit 0 "$VHDX" compact --json "$TMP/d.vhdx"
expect_eq "json" "$(tr -d ' \n' <"$TMP/out")" \
  '{"version":1,"file":"'"$TMP"'/d.vhdx","operation":"compact","old_file_size":'"$before_size"',"new_file_size":'$((before_size - 32 * M))',"blocks_unallocated":32,"blocks_moved":32}'
after_size=$(stat -c %s "$TMP/d.vhdx")
CHECKS=$((CHECKS + 1))
[ $((before_size - after_size)) -ge $((32 * M)) ] || fail "shrank only $((before_size - after_size)) bytes"
expect_eq "disk after compact (qemu-img)" "$(qraw "$TMP/d.vhdx")" "$before_disk"
expect_exit 0 qemu-img check "$TMP/d.vhdx"
expect_exit 0 "$VHDX" check "$TMP/d.vhdx"
expect_eq "DataWriteGuid kept" "$(dwg "$TMP/d.vhdx")" "$guid"
# a second run finds nothing to do
expect_stdout_has "0 zero blocks unallocated, 0 blocks moved" "$VHDX" compact "$TMP/d.vhdx"
# discarded space comes back too, and later writes still land correctly
expect_exit 0 "$VHDX" write "$TMP/d.vhdx" $((8 * M)) --discard $((16 * M))
expect_exit 0 "$VHDX" compact "$TMP/d.vhdx"
expect_eq "discarded blocks given back" "$(stat -c %s "$TMP/d.vhdx")" $((after_size - 8 * M))
expect_exit 0 "$VHDX" write "$TMP/d.vhdx" $((9 * M)) "$TMP/zero"
"$VHDX" cat "$TMP/d.vhdx" | head -c $((16 * M)) >"$TMP/c.raw"
python3 - "$TMP/data" "$TMP/c.raw" <<'PY' || fail "content after discard + compact"
import sys
d = open(sys.argv[1], 'rb').read(); c = open(sys.argv[2], 'rb').read()
M = 1 << 20
for i in range(16):
    want = d[i*M:(i+1)*M] if i < 8 else bytes(M)
    assert c[i*M:(i+1)*M] == want, i
PY

# a child: zero blocks become ZERO (the parent's data stays hidden), link kept
expect_exit 0 "$VHDX" create "$TMP/p.vhdx" --size 16M --block-size 1M
head -c $((16 * M)) "$TMP/data" >"$TMP/d16"
expect_exit 0 "$VHDX" write "$TMP/p.vhdx" 0 "$TMP/d16"
expect_exit 0 "$VHDX" create "$TMP/kid.vhdx" --parent "$TMP/p.vhdx" --block-size 1M
for i in 1 3 5; do "$VHDX" write "$TMP/kid.vhdx" $((i * M)) "$TMP/zero" >/dev/null; done
"$VHDX" cat "$TMP/kid.vhdx" | sha256sum >"$TMP/kid.before"
expect_stdout_has "3 zero blocks unallocated" "$VHDX" compact "$TMP/kid.vhdx"
"$VHDX" cat "$TMP/kid.vhdx" | sha256sum >"$TMP/kid.after"
expect_eq "child disk kept" "$(cat "$TMP/kid.after")" "$(cat "$TMP/kid.before")"
expect_exit 0 "$VHDX" check "$TMP/kid.vhdx"
expect_stdout_has "ZERO" "$VHDX" map "$TMP/kid.vhdx"

# fixed: refused, file byte-identical
expect_exit 0 "$VHDX" create "$TMP/f.vhdx" --size 8M --fixed
before=$(sha "$TMP/f.vhdx")
expect_exit 2 "$VHDX" compact "$TMP/f.vhdx"
expect_eq "fixed refusal" "$(cat "$TMP/err")" "vhdx: '$TMP/f.vhdx': compact: a fixed image keeps every block allocated; convert it to dynamic to compact it"
expect_eq "fixed untouched" "$(sha "$TMP/f.vhdx")" "$before"
finish
