#!/usr/bin/env bash
# The write engine against fixtures/gen_vhdx.py, an independent VHDX writer
# and reader: its dirty logs (wrapped, split) replay to its expected disk;
# its children (every block state, extra items) take our writes, relinks and
# merges and still read, in its own reader, as our model says.
. "$(dirname "$0")/lib.bash"
GEN="$HVK_SRC/fixtures/gen_vhdx.py"
[ -f "$GEN" ] || skip "fixtures/gen_vhdx.py not present"
gen() { python3 "$GEN" "$@"; }
oracle() { gen --verify "$1" 2>/dev/null | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' | head -1; }
ours() { "$VHDX" cat "$1" | sha256sum | cut -d' ' -f1; }
cd "$TMP" || exit 2

# 1. pending logs: replay in place, idempotent, dry run writes nothing
for layout in wrap split simple; do
  want=$(gen "dirty-$layout.vhdx" --size 24M --dirty-log --log-layout "$layout" --seed 7 --states auto)
  before=$(sha "dirty-$layout.vhdx")
  expect_stdout_has "would replay" "$VHDX" replay --dry-run "dirty-$layout.vhdx"
  expect_eq "dry run writes nothing ($layout)" "$(sha "dirty-$layout.vhdx")" "$before"
  expect_stdout_has "replayed" "$VHDX" replay "dirty-$layout.vhdx"
  expect_stdout_has "clean" "$VHDX" replay "dirty-$layout.vhdx"
  expect_eq "replayed disk ($layout), oracle" "$(oracle "dirty-$layout.vhdx")" "$want"
  expect_eq "replayed disk ($layout), ours" "$(ours "dirty-$layout.vhdx")" "$want"
  expect_exit 0 "$VHDX" check "dirty-$layout.vhdx"
done

# 2. writes into an oracle-made chain (all block states, extra items, 4K sectors)
for ls in 512 4096; do
  gen "p$ls.vhdx" --size 20M --logical-sector "$ls" --seed 11 --extras --raw-out "p$ls.raw" >/dev/null
  gen "c$ls.vhdx" --type diff --parent "p$ls.vhdx" --block-size 2M --seed 12 --states auto \
    --extras --raw-out "c$ls.raw" >/dev/null
  odd=$((5242880 + ls)) # a sector past a block boundary
  for w in 0:4096 3145728:1048576 $odd:8192 12582912:2097152 20967424:4096; do
    off=${w%%:*}; len=${w##*:}
    head -c "$len" /dev/urandom >chunk
    expect_exit 0 "$VHDX" write "c$ls.vhdx" "$off" chunk
    dd if=chunk of="c$ls.raw" bs=512 seek=$((off / 512)) conv=notrunc status=none
  done
  expect_exit 0 "$VHDX" write "c$ls.vhdx" 8388608 --discard 4194304
  dd if=/dev/zero of="c$ls.raw" bs=1M seek=8 count=4 conv=notrunc status=none
  want=$(sha "c$ls.raw")
  expect_eq "child writes ($ls), oracle" "$(oracle "c$ls.vhdx")" "$want"
  expect_eq "child writes ($ls), ours" "$(ours "c$ls.vhdx")" "$want"
  expect_exit 0 "$VHDX" check "c$ls.vhdx"

  # relink to a moved parent, then merge; the oracle follows each step
  mkdir -p "moved$ls"
  mv "p$ls.vhdx" "moved$ls/p.vhdx"
  expect_exit 0 "$VHDX" relink "c$ls.vhdx" --parent "moved$ls/p.vhdx"
  expect_eq "relinked ($ls), oracle" "$(oracle "c$ls.vhdx")" "$want"
  expect_exit 0 "$VHDX" merge "c$ls.vhdx"
  expect_eq "merged parent ($ls), oracle" "$(oracle "moved$ls/p.vhdx")" "$want"
  expect_exit 0 "$VHDX" check "moved$ls/p.vhdx"
done

# 3. what we create and convert, the oracle reads the same
head -c 3000000 /dev/urandom >seed.bin
truncate -s 40M src.raw
dd if=seed.bin of=src.raw bs=4096 seek=777 conv=notrunc status=none
for args in "--block-size 1M" "--fixed --block-size 4M" "--logical-sector 4096 --block-size 1M"; do
  rm -f conv.vhdx
  expect_exit 0 "$VHDX" convert src.raw conv.vhdx $args
  expect_eq "convert $args, oracle" "$(oracle conv.vhdx)" "$(sha src.raw)"
done
finish
