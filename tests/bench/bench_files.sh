#!/usr/bin/env bash
# bench_files.sh [BUILD_DIR] [FILES]: by hand, not in the suite. A 2 GiB disk
# (MBR, one ext4 partition) holding FILES small files (default 50000) in 500
# folders, as a base VHDX, and one log that rewrites 100 of them. In one run:
# `hrl files --point 1` (examines two states: before and after the log, each
# walked completely, read through the base and the log) against `fls -r` on
# the raw partition (one walk, read from a plain file). Target: <= 3x fls.
# With NTFS=1 the partition is NTFS (mkntfs + ntfscp; slower to prepare).
# Caches are warm for every contender.
set -euo pipefail
BUILD=${1:-$(dirname "$0")/../../build}
N=${2:-50000}
VHDX=$(realpath "$BUILD/tools/vhdx")
HRL=$(realpath "$BUILD/tools/hrl")
W=$(mktemp -d "${TMPDIR:-/tmp}/hvk-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

now() { date +%s.%N; }
t() { local a b; a=$(now); "$@" >/dev/null 2>&1 || true; b=$(now); echo "$b - $a" | bc; }

echo "preparing $N files ..." >&2
mkdir tree
for d in $(seq 0 499); do mkdir "tree/d$d"; done
python3 - "$N" <<'EOF'
import os, sys
n = int(sys.argv[1])
for i in range(n):
    with open(f"tree/d{i % 500}/f{i}.txt", "wb") as f:
        f.write(os.urandom(1024 + (i % 7) * 512))
EOF
truncate -s 2G d0.raw
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q d0.raw
PART_SECTORS=$(( (2 * 1024 * 1024 * 1024 - 1048576) / 512 ))
if [ "${NTFS:-0}" = 1 ]; then
  truncate -s $((PART_SECTORS * 512)) p0.img
  mkntfs -q -F -f -s 512 -c 4096 -p 2048 -H 255 -S 63 p0.img >/dev/null
  for i in $(seq 0 $((N - 1))); do ntfscp -f p0.img "tree/d$((i % 500))/f$i.txt" "f$i.txt" >/dev/null; done
else
  mkfs.ext4 -q -F -d tree p0.img $((PART_SECTORS / 2))k
fi
dd if=p0.img of=d0.raw bs=1M seek=1 conv=notrunc status=none
"$VHDX" convert d0.raw base.vhdx >/dev/null
cp p0.img p1.img
echo "rewriting 100 files ..." >&2
if [ "${NTFS:-0}" = 1 ]; then
  for i in $(seq 0 99); do head -c 3000 /dev/urandom >x; ntfscp -f p1.img x "f$((i * 7))".txt >/dev/null; done
else
  for i in $(seq 0 99); do
    f="d$(((i * 7) % 500))/f$((i * 7)).txt"
    blk=$(debugfs -R "bmap /$f 0" p1.img 2>/dev/null)
    head -c 1024 /dev/urandom | dd of=p1.img bs=4096 seek="$blk" conv=notrunc status=none
  done
fi
cp d0.raw d1.raw
dd if=p1.img of=d1.raw bs=1M seek=1 conv=notrunc status=none
"$HRL" make --from base.vhdx --to d1.raw -o l1.hrl >/dev/null
cat base.vhdx l1.hrl p1.img >/dev/null

# warm both once, then time
"$HRL" files --csv --base base.vhdx --point 1 l1.hrl >files.csv 2>/dev/null || true
fls -r p1.img >/dev/null
th=$(t "$HRL" files --csv --base base.vhdx --point 1 l1.hrl)
tf=$(t fls -r p1.img)
modified=$(awk -F, '$7=="modified" && $8=="file"' files.csv | wc -l)
printf '%-28s %10s\n' "hrl files --point 1 (s)" "$th" "fls -r (s)" "$tf"
printf 'ratio hrl files / fls -r: %s (target <= 3)\n' "$(echo "scale=2; $th / $tf" | bc)"
printf 'files reported modified: %s (100 rewritten)\n' "$modified"
