#!/usr/bin/env bash
# vhdx merge --into (multi-level, --dry-run), convert --parent (only the
# differing blocks), set (sector size, disk id, DataWriteGuid, parent path).
. "$(dirname "$0")/lib.bash"
M=1048576
disk() { "$VHDX" cat "$1" | sha256sum | cut -d' ' -f1; }
field() { "$VHDX" info "$2" | sed -n "s/^$1: *//p"; }

# a four-level chain: a <- b <- c <- d, each layer changing something
cd "$TMP" || exit 2
"$VHDX" create a.vhdx --size 16M --block-size 1M >/dev/null
head -c $((16 * M)) /dev/urandom >r16; head -c $((3 * M)) /dev/urandom >r3; head -c 4096 /dev/urandom >r4k
"$VHDX" write a.vhdx 0 r16 >/dev/null
"$VHDX" create b.vhdx --parent a.vhdx >/dev/null && "$VHDX" write b.vhdx $((2 * M)) r3 >/dev/null
"$VHDX" create c.vhdx --parent b.vhdx >/dev/null && "$VHDX" write c.vhdx $((8 * M)) --discard $((2 * M)) >/dev/null
"$VHDX" create d.vhdx --parent c.vhdx >/dev/null && "$VHDX" write d.vhdx $((5 * M + 1536)) r4k >/dev/null
want=$(disk d.vhdx)
before=$(sha a.vhdx)

expect_exit 0 "$VHDX" merge d.vhdx --into a.vhdx --dry-run
expect_eq "dry run plan" "$(cat "$TMP/out")" "would merge 'd.vhdx' into './c.vhdx' (4096 bytes held)
would merge './c.vhdx' into './b.vhdx' (0 bytes held)
would merge './b.vhdx' into './a.vhdx' (3145728 bytes held)"
expect_eq "dry run changes nothing" "$(sha a.vhdx)" "$before"
CHECKS=$((CHECKS + 1)); [ -e d.vhdx ] && [ -e c.vhdx ] && [ -e b.vhdx ] || fail "dry run removed a layer"
expect_exit 2 "$VHDX" merge b.vhdx --into d.vhdx
expect_eq "not an ancestor" "$(cat "$TMP/err")" "vhdx: 'b.vhdx': merge: 'd.vhdx' is not an ancestor of this image"
expect_exit 2 "$VHDX" merge d.vhdx --dry-run

# two levels into c's parent b, then the rest into a
expect_exit 0 "$VHDX" merge d.vhdx --into b.vhdx --json
expect_eq "json" "$(tr -d ' \n' <"$TMP/out")" \
  '{"version":1,"operation":"merge","into":"b.vhdx","dry_run":false,"steps_done":2,"steps":[{"child":"d.vhdx","parent":"./c.vhdx","bytes":4096},{"child":"./c.vhdx","parent":"./b.vhdx","bytes":0}]}'
CHECKS=$((CHECKS + 1)); [ ! -e d.vhdx ] && [ ! -e c.vhdx ] || fail "merged layers not removed"
expect_eq "b after merge" "$(disk b.vhdx)" "$want"
expect_exit 0 "$VHDX" merge b.vhdx --into a.vhdx
expect_eq "a after merge" "$(disk a.vhdx)" "$want"
expect_exit 0 "$VHDX" check a.vhdx
CHECKS=$((CHECKS + 1)); [ ! -e b.vhdx ] || fail "b not removed"

# convert --parent: the child holds just the differing blocks and reads as IN
"$VHDX" cat a.vhdx >new.raw
dd if=r4k of=new.raw bs=1 seek=$((5 * M + 7)) conv=notrunc status=none     # block 5 differs
dd if=/dev/zero of=new.raw bs=1M seek=12 count=1 conv=notrunc status=none  # block 12 zeroed
expect_exit 0 "$VHDX" convert new.raw kid.vhdx --parent a.vhdx --block-size 1M
expect_eq "convert --parent" "$(cat "$TMP/out")" "kid.vhdx: 2 of 16 blocks differ from the parent (1 stored, 1 zero)"
expect_exit 0 "$VHDX" compare kid.vhdx new.raw
expect_eq "child file size" "$(stat -c %s kid.vhdx)" $((5 * M))
expect_exit 0 "$VHDX" check kid.vhdx
truncate -s 8M small.raw
expect_exit 2 "$VHDX" convert small.raw kid2.vhdx --parent a.vhdx
expect_eq "size mismatch" "$(cat "$TMP/err")" "vhdx: 'small.raw': convert: virtual size 8388608 differs from the parent's 16777216"
CHECKS=$((CHECKS + 1)); [ ! -e kid2.vhdx ] || fail "refused convert left a file"

# set: sector size and disk id change, the disk does not; the child still opens
id=$(field "virtual disk id" a.vhdx); dwg=$(field "data write guid" a.vhdx)
expect_exit 0 "$VHDX" set a.vhdx --physical-sector 512 --reset-disk-id
expect_eq "physical sector" "$(field "physical sector size" a.vhdx)" 512
CHECKS=$((CHECKS + 1)); [ "$(field "virtual disk id" a.vhdx)" != "$id" ] || fail "disk id unchanged"
expect_eq "data write guid kept" "$(field "data write guid" a.vhdx)" "$dwg"
expect_exit 0 "$VHDX" compare kid.vhdx new.raw
expect_exit 0 "$VHDX" check a.vhdx
if command -v qemu-img >/dev/null; then expect_exit 0 qemu-img check a.vhdx; fi
before=$(sha a.vhdx)
expect_exit 2 "$VHDX" set a.vhdx --physical-sector 1024
expect_eq "bad sector size untouched" "$(sha a.vhdx)" "$before"
# a new DataWriteGuid: the child's link breaks (exit 2), set --parent with
# --ignore-id-mismatch repairs it
expect_exit 0 "$VHDX" set --json a.vhdx --new-data-write-guid
CHECKS=$((CHECKS + 1)); [ "$(field "data write guid" a.vhdx)" != "$dwg" ] || fail "DataWriteGuid unchanged"
expect_exit 2 "$VHDX" compare kid.vhdx new.raw
mkdir moved && mv a.vhdx moved/
expect_exit 0 "$VHDX" set kid.vhdx --parent moved/a.vhdx --ignore-id-mismatch
expect_exit 0 "$VHDX" compare kid.vhdx new.raw
finish
