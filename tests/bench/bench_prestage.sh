#!/usr/bin/env bash
# bench_prestage.sh (run by hand): `vhdx prestage copy` of a 4 GiB parent half
# filled with data against `cp --sparse=always` (+ sync, since prestage
# fsyncs), in the same run, same file system, same page-cache state (each
# side runs 3 times, alternating; the best of each is compared).
#   usage: tests/bench/bench_prestage.sh [BUILD_DIR] [WORK_DIR]
# Target: prestage throughput >= 0.8 x cp's.
set -eu
BUILD=${1:-build}
WORK=${2:-${TMPDIR:-/tmp}/hvk-bench-prestage.$$}
VHDX=$(cd "$BUILD" && pwd)/tools/vhdx
mkdir -p "$WORK/src" "$WORK/dst"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# 4 GiB raw, alternating 64 MiB of random data and 64 MiB holes (2 GiB data).
truncate -s 4G raw.img
for i in $(seq 0 2 63); do
  dd if=/dev/urandom of=raw.img bs=1M count=64 seek=$((i * 64)) conv=notrunc status=none
done
"$VHDX" convert raw.img src/base.vhdx --dynamic >/dev/null
rm raw.img
"$VHDX" create src/child.avhdx --parent src/base.vhdx --parent-win-path 'D:\base.vhdx' >/dev/null
ALLOC=$(( $(stat -c %b src/base.vhdx) * 512 ))
echo "parent: $(stat -c %s src/base.vhdx) bytes, $ALLOC allocated"

now() { date +%s.%N; }
best_pre=999 best_cp=999
for run in 1 2 3; do
  rm -rf dst/* cp.vhdx
  t0=$(now)
  "$VHDX" prestage copy --no-progress --source-map "D:\\=$WORK/src/" --target-map "D:\\=$WORK/dst/" \
    src/child.avhdx >/dev/null 2>&1
  t1=$(now)
  cp --sparse=always src/base.vhdx cp.vhdx && sync cp.vhdx
  t2=$(now)
  pre=$(echo "$t1 - $t0" | bc -l) cpt=$(echo "$t2 - $t1" | bc -l)
  printf 'run %d: prestage copy %.2f s, cp --sparse=always + sync %.2f s\n' "$run" "$pre" "$cpt"
  best_pre=$(echo "if ($pre < $best_pre) $pre else $best_pre" | bc -l)
  best_cp=$(echo "if ($cpt < $best_cp) $cpt else $best_cp" | bc -l)
done
cmp src/base.vhdx dst/base.vhdx && echo "copy identical to the source"
echo "allocated: source $(stat -c %b src/base.vhdx), prestage copy $(stat -c %b dst/base.vhdx), cp $(stat -c %b cp.vhdx) blocks"
printf 'best: prestage %.2f s (%.0f MiB/s of data), cp %.2f s (%.0f MiB/s)\n' "$best_pre" \
  "$(echo "$ALLOC / 1048576 / $best_pre" | bc -l)" "$best_cp" "$(echo "$ALLOC / 1048576 / $best_cp" | bc -l)"
printf 'ratio (prestage throughput / cp throughput): %.2f (target >= 0.80)\n' "$(echo "$best_cp / $best_pre" | bc -l)"
