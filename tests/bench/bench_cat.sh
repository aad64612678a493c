#!/usr/bin/env bash
# bench_cat.sh [BUILD_DIR]: by hand, not in the suite. A 4 GiB virtual disk
# half filled with random data (every other 64 MiB stretch), as VHDX with 1 MiB
# and 32 MiB blocks; in one run: `vhdx cat > file` vs `qemu-img convert -O raw`
# vs `cat` of the raw equivalent (the physical limit), printing the ratios.
# Then `vhdx info` on a 64 TiB sparse image (target <= 10 ms).
# Caches are warm for every contender (each input is read once beforehand).
set -euo pipefail
BUILD=${1:-$(dirname "$0")/../../build}
VHDX=$(realpath "$BUILD/tools/vhdx")
W=$(mktemp -d "${TMPDIR:-/tmp}/hvk-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

now() { date +%s.%N; }
t() { local a b; a=$(now); "$@"; b=$(now); echo "$b - $a" | bc; }

echo "preparing 4 GiB raw image, half random ..." >&2
truncate -s 4G "$W/src.raw"
for i in $(seq 0 2 63); do
  dd if=/dev/urandom of="$W/src.raw" bs=1M count=64 seek=$((i * 64)) conv=notrunc status=none
done
for bs in 1M 32M; do
  qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=$bs "$W/src.raw" "$W/img-$bs.vhdx"
done
printf '%-8s %10s %10s %10s %14s %14s\n' block vhdx_cat qemu_img cat_raw qemu/vhdx vhdx/cat
for bs in 1M 32M; do
  cat "$W/img-$bs.vhdx" >/dev/null; cat "$W/src.raw" >/dev/null
  tv=$(t sh -c "'$VHDX' cat '$W/img-$bs.vhdx' > '$W/out.raw'"); rm -f "$W/out.raw"
  tq=$(t qemu-img convert -f vhdx -O raw "$W/img-$bs.vhdx" "$W/out.raw"); rm -f "$W/out.raw"
  tc=$(t sh -c "cat '$W/src.raw' > '$W/out.raw'"); rm -f "$W/out.raw"
  tp=$(t sh -c "'$VHDX' cat '$W/img-$bs.vhdx' | cat > /dev/null")
  printf '%-8s %9.2fs %9.2fs %9.2fs %13.2fx %13.0f%%   (pipe: %.2fs)\n' "$bs" "$tv" "$tq" "$tc" \
    "$(echo "$tq / $tv" | bc -l)" "$(echo "100 * $tc / $tv" | bc -l)" "$tp"
done
sha_v=$("$VHDX" cat "$W/img-32M.vhdx" | sha256sum | cut -d' ' -f1)
sha_r=$(sha256sum <"$W/src.raw" | cut -d' ' -f1)
[ "$sha_v" = "$sha_r" ] && echo "content: identical" || echo "content: DIFFERENT"

qemu-img create -q -f vhdx "$W/huge.vhdx" 64T
"$VHDX" info "$W/huge.vhdx" >/dev/null
best=9
for i in 1 2 3 4 5; do
  x=$(t "$VHDX" info "$W/huge.vhdx" >/dev/null)
  best=$(echo "if ($x < $best) $x else $best" | bc -l)
done
printf 'vhdx info on a 64 TiB sparse image: %.1f ms (best of 5)\n' "$(echo "$best * 1000" | bc -l)"
