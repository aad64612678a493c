#!/usr/bin/env bash
# bench_serve.sh [BUILD_DIR]: by hand, not in the suite. A 4 GiB chain: a
# dynamic base half filled with random data (every other 64 MiB stretch, 32 MiB
# blocks) and a differencing child holding 256 MiB of new data. In one run:
#   - NBD: `nbdcopy` from `nbdkit hvkit file=child` to a file vs `vhdx cat` to
#     the same file (target >= 0.7x);
#   - FUSE: reading DIR/disk of `vhdx mount` vs vhdimount's file (target >= 2x),
#     each from a fresh mount so neither reads its own page cache.
# The input files are read once first (warm page cache for every contender).
# Put TMPDIR on tmpfs (about 9 GiB) to time the readers rather than the disk:
# nbdcopy's parallel out-of-order writes are slow on ext4, whoever serves them.
set -euo pipefail
BUILD=$(realpath "${1:-$(dirname "$0")/../../build}")
VHDX="$BUILD/tools/vhdx"
PLUGIN=$(find "$BUILD" -name nbdkit-hvkit-plugin.so -print -quit)
W=$(mktemp -d "${TMPDIR:-/tmp}/hvk-bench.XXXXXX")
cleanup() {
  for d in "$W/m" "$W/v"; do mountpoint -q "$d" 2>/dev/null && fusermount3 -u "$d"; done
  rm -rf "$W"
}
trap cleanup EXIT
now() { date +%s.%N; }
t() { local a b; a=$(now); "$@" >/dev/null; b=$(now); echo "$b - $a" | bc; }

echo "preparing a 4 GiB chain, half random ..." >&2
truncate -s 4G "$W/src.raw"
for i in $(seq 0 2 63); do
  dd if=/dev/urandom of="$W/src.raw" bs=1M count=64 seek=$((i * 64)) conv=notrunc status=none
done
qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=32M "$W/src.raw" "$W/base.vhdx"
rm -f "$W/src.raw"
# libvhdi finds a parent by the file name of absolute_win32_path, next to the child
"$VHDX" create "$W/child.avhdx" --parent "$W/base.vhdx" --parent-win-path 'C:\VMs\base.vhdx' >/dev/null
head -c 256M /dev/urandom >"$W/new.bin"
"$VHDX" write "$W/child.avhdx" 1G "$W/new.bin" >/dev/null
rm -f "$W/new.bin"
cat "$W/base.vhdx" "$W/child.avhdx" >/dev/null

# NBD vs vhdx cat, same destination file
tv=$(t sh -c "'$VHDX' cat '$W/child.avhdx' > '$W/out.raw'"); want=$(sha256sum <"$W/out.raw"); rm -f "$W/out.raw"
tn=$(t nbdkit -U - "$PLUGIN" file="$W/child.avhdx" --run "nbdcopy \"\$uri\" '$W/out.raw'")
got=$(sha256sum <"$W/out.raw"); rm -f "$W/out.raw"
[ "$got" = "$want" ] && same=identical || same=DIFFERENT
printf 'NBD:  vhdx cat %.2fs, nbdcopy %.2fs: %.2fx of vhdx cat (target >= 0.7x), content %s\n' \
  "$tv" "$tn" "$(echo "$tv / $tn" | bc -l)" "$same"

# FUSE vs vhdimount (parent found next to the child by both)
mkdir -p "$W/m" "$W/v"
"$VHDX" mount "$W/child.avhdx" "$W/m"
tf=$(t sh -c "cat '$W/m/disk' > /dev/null")
fusermount3 -u "$W/m"
vhdimount "$W/child.avhdx" "$W/v" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -e "$W/v/vhdi1" ] && break; sleep 0.1; done
ti=$(t sh -c "cat '$W/v/vhdi1' > /dev/null")
fusermount3 -u "$W/v"
wait
printf 'FUSE: vhdx mount %.2fs, vhdimount %.2fs: %.2fx (target >= 2x)\n' "$tf" "$ti" "$(echo "$ti / $tf" | bc -l)"
