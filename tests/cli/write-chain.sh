#!/usr/bin/env bash
# In-place writes, differencing chains, relink and merge through the CLI,
# checked against a raw model with our reader, qemu-img (base files) and
# libvhdi (chains); refused requests exit 2 and leave files untouched.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || skip "qemu-img not installed"
PY=/usr/bin/python3
have_vhdi() { "$PY" -c 'import pyvhdi' 2>/dev/null; }
M=1048576

# put N bytes of fresh random data at OFF into image $1 and model $2
put() {
  head -c "$4" /dev/urandom >"$TMP/chunk"
  expect_exit 0 "$VHDX" write "$1" "$3" "$TMP/chunk"
  dd if="$TMP/chunk" of="$2" bs=512 seek=$(($3 / 512)) conv=notrunc status=none
}
same_as() { # same_as IMAGE MODEL LABEL: our reader shows the model
  CHECKS=$((CHECKS + 1))
  "$VHDX" cat "$1" | cmp -s - "$2" || fail "$3: $1 differs from its model"
}
vhdi_same() { # vhdi_same CHILD PARENT MODEL LABEL
  have_vhdi || return 0
  CHECKS=$((CHECKS + 1))
  "$PY" - "$@" <<'PYEOF' || fail "$4: libvhdi reads a different disk"
import sys, pyvhdi
c = pyvhdi.file(); c.open(sys.argv[1]); p = pyvhdi.file(); p.open(sys.argv[2]); c.set_parent(p)
sys.exit(0 if c.read_buffer(c.get_media_size()) == open(sys.argv[3], 'rb').read() else 1)
PYEOF
}

mkdir -p "$TMP/a" "$TMP/kids"
base="$TMP/a/base.vhdx"
expect_exit 0 "$VHDX" create "$base" --size 96M --block-size 1M
truncate -s 96M "$TMP/base.raw"
put "$base" "$TMP/base.raw" 0 $((3 * M))
put "$base" "$TMP/base.raw" $((10 * M + 4096)) 8192
put "$base" "$TMP/base.raw" $((20 * M - 512)) 1024
put "$base" "$TMP/base.raw" $((96 * M - 512)) 512
expect_exit 0 "$VHDX" write "$base" $((M)) --discard $((M))
dd if=/dev/zero of="$TMP/base.raw" bs=1M seek=1 count=1 conv=notrunc status=none
same_as "$base" "$TMP/base.raw" "base"
expect_exit 0 qemu-img check "$base"
qemu-img convert -O raw "$base" "$TMP/q.raw"
CHECKS=$((CHECKS + 1)); cmp -s "$TMP/q.raw" "$TMP/base.raw" || fail "qemu-img reads a different base"
expect_exit 0 "$VHDX" check "$base"

# a child in another directory: partial sectors, whole blocks, across blocks
kid="$TMP/kids/kid.vhdx"
expect_exit 0 "$VHDX" create "$kid" --parent "$base" --block-size 2M
cp "$TMP/base.raw" "$TMP/kid.raw"
put "$kid" "$TMP/kid.raw" 1536 2048
put "$kid" "$TMP/kid.raw" $((4 * M)) $((2 * M))
put "$kid" "$TMP/kid.raw" $((9 * M + 512)) $((3 * M))
put "$kid" "$TMP/kid.raw" $((10 * M + 1024)) 512
same_as "$kid" "$TMP/kid.raw" "child"
vhdi_same "$kid" "$base" "$TMP/kid.raw" "child"
expect_exit 0 "$VHDX" check "$kid"
# a discard in a child must hide the parent (ZERO, not NOT_PRESENT)
expect_exit 0 "$VHDX" write "$kid" 0 --discard $((2 * M))
dd if=/dev/zero of="$TMP/kid.raw" bs=1M count=2 conv=notrunc status=none
same_as "$kid" "$TMP/kid.raw" "child discard"
expect_exit 0 "$VHDX" check "$kid"

# relink after moving the parent: same disk; wrong parents refused untouched
mkdir -p "$TMP/b"
mv "$base" "$TMP/b/moved.vhdx"
expect_exit 2 "$VHDX" cat "$kid"
expect_exit 0 "$VHDX" relink "$kid" --parent "$TMP/b/moved.vhdx" --parent-win-path 'D:\b\moved.vhdx'
base="$TMP/b/moved.vhdx"
same_as "$kid" "$TMP/kid.raw" "relinked child"
expect_exit 0 "$VHDX" check "$kid"
expect_exit 0 "$VHDX" create "$TMP/other.vhdx" --size 96M
expect_exit 0 "$VHDX" create "$TMP/big.vhdx" --size 97M
expect_exit 0 "$VHDX" create "$TMP/4k.vhdx" --size 96M --logical-sector 4096
before=$(sha "$kid")
expect_stderr_has "MISMATCH" "$VHDX" relink "$kid" --parent "$TMP/other.vhdx"
expect_exit 2 "$VHDX" relink "$kid" --parent "$TMP/big.vhdx" --ignore-id-mismatch
expect_exit 2 "$VHDX" relink "$kid" --parent "$TMP/4k.vhdx" --ignore-id-mismatch
expect_exit 2 "$VHDX" relink "$base" --parent "$TMP/other.vhdx"
expect_eq "refused relinks leave the child untouched" "$(sha "$kid")" "$before"

# bad writes: unaligned, beyond the end, a file that cannot be opened for writing
before=$(sha "$base")
expect_exit 2 "$VHDX" write "$base" 100 "$TMP/chunk"
expect_exit 2 "$VHDX" write "$base" $((96 * M)) "$TMP/chunk"
if chattr +i "$TMP/b/moved.vhdx" 2>/dev/null; then
  expect_exit 2 "$VHDX" write "$base" 0 "$TMP/chunk"
  chattr -i "$TMP/b/moved.vhdx"
fi
expect_eq "refused writes leave the image untouched" "$(sha "$base")" "$before"

# merge: the parent then shows what the child showed
expect_exit 0 "$VHDX" merge "$kid" --keep-child
same_as "$base" "$TMP/kid.raw" "merged parent"
same_as "$kid" "$TMP/kid.raw" "kept child"
expect_exit 0 qemu-img check "$base"
qemu-img convert -O raw "$base" "$TMP/q.raw"
CHECKS=$((CHECKS + 1)); cmp -s "$TMP/q.raw" "$TMP/kid.raw" || fail "qemu-img reads a different merged parent"
expect_exit 0 "$VHDX" merge "$kid"
CHECKS=$((CHECKS + 1)); [ ! -e "$kid" ] || fail "merge without --keep-child kept the child"
same_as "$base" "$TMP/kid.raw" "parent after second merge"
expect_exit 2 "$VHDX" merge "$base"
finish
