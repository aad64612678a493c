#!/usr/bin/env bash
# Holes stay holes: a 256 MiB qemu-made VHDX with 32 MiB blocks, half of each
# present block written (qemu-img leaves the rest of the block a hole in the
# file) and 2 MiB of that written as zero bytes. Every output path (vhdx cat to a
# file, vhdx convert both ways, hrl restore --flatten) must give the same
# bytes as qemu-img's raw image and take, on disk (stat blocks), within 1% of
# it: holes are neither read nor written, zero pages become holes.
# On tmpfs (sparse like a disk file system) the flushes cost nothing.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || skip "qemu-img/qemu-io not installed"
# byte comparison reading only where either file has data
scmp() { python3 "$(dirname "$(realpath "$0")")/sparse_cmp.py" "$@"; }
cd "$TMP"

qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M q.vhdx 256M
cmds=()
for b in 0 1 2 3 4 5 6 7; do
  cmds+=(-c "write -P $((b + 1)) $((b * 32 + 8))M 16M")
done
cmds+=(-c "write -P 0 $((3 * 32 + 10))M 2M")   # zeros written as data
qemu-io -f vhdx "${cmds[@]}" q.vhdx >/dev/null
qemu-img convert -f vhdx -O raw q.vhdx src.raw
src_kib=$(du -k src.raw | cut -f1)
want=src.raw
expect_eq "raw source holds 8 x 16 MiB less 2" "$((src_kib / 1024))" 126

# near NAME FILE: FILE's allocated size is within 1% of the raw source's.
near() {
  local kib; kib=$(du -k "$2" | cut -f1)
  CHECKS=$((CHECKS + 1))
  [ $((kib * 100)) -le $((src_kib * 101)) ] && [ $((kib * 100)) -ge $((src_kib * 99)) ] ||
    fail "$1: $kib KiB allocated, raw source $src_kib KiB (want within 1%)"
}
# same NAME FILE [vhdx]: FILE holds the bytes of $want (a VHDX read back
# through vhdx cat, itself checked against qemu-img's raw image first).
same() {
  local f=$2
  if [ "${3:-}" = vhdx ]; then
    "$VHDX" cat "$2" >back.raw || fail "$1: vhdx cat failed"
    f=back.raw
  fi
  CHECKS=$((CHECKS + 1))
  scmp "$f" "$want" || fail "$1: content differs from $want"
  rm -f back.raw
}

"$VHDX" cat q.vhdx >cat.raw || fail "vhdx cat failed"
same "vhdx cat > file" cat.raw; near "vhdx cat > file" cat.raw
expect_exit 0 "$VHDX" convert q.vhdx conv.raw
same "convert vhdx->raw" conv.raw; near "convert vhdx->raw" conv.raw
expect_exit 0 "$VHDX" convert src.raw conv32.vhdx
same "convert raw->vhdx" conv32.vhdx vhdx; near "convert raw->vhdx" conv32.vhdx
expect_exit 0 "$VHDX" convert --block-size 1M src.raw conv1.vhdx
same "convert raw->vhdx 1M blocks" conv1.vhdx vhdx; near "convert raw->vhdx 1M blocks" conv1.vhdx
expect_exit 0 "$VHDX" convert q.vhdx convq.vhdx
same "convert vhdx->vhdx" convq.vhdx vhdx; near "convert vhdx->vhdx" convq.vhdx
expect_exit 0 "$VHDX" convert --fixed src.raw fixed.vhdx
same "convert raw->fixed vhdx" fixed.vhdx vhdx; near "convert raw->fixed vhdx" fixed.vhdx
rm -f cat.raw conv.raw conv32.vhdx conv1.vhdx convq.vhdx fixed.vhdx

# hrl restore --flatten: a log rewriting 4 KiB of data leaves the disk as sparse.
if [ -n "${HRL:-}" ]; then
  head -c 4096 /dev/zero | tr '\0' 'x' >w.bin
  printf '%d w.bin\n' $((8 * 1024 * 1024)) >writes
  expect_exit 0 "$HRL" make --writes writes -o log.hrl --vhd2-guid \
    "$("$VHDX" info --json q.vhdx | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p')"
  cp --sparse=always src.raw new.raw && dd if=w.bin of=new.raw bs=4096 seek=2048 conv=notrunc status=none
  want=new.raw
  expect_exit 0 "$HRL" restore --base q.vhdx --flatten --out flat.vhdx log.hrl
  same "hrl restore --flatten" flat.vhdx vhdx; near "hrl restore --flatten" flat.vhdx
fi
finish
