#!/usr/bin/env bash
# bench_hrl.sh [BUILD_DIR]: run by hand, not in the suite.
#  1. `hrl verify` of a 2 GiB log with DataChecksums vs `cat FILE > /dev/null`,
#     both from the page cache, in the same run (target >= 5 GiB/s).
#  2. `hrl dump --csv` of a 1-million-entry log (target < 2 s).
# Needs ~3 GiB in $TMPDIR (default /tmp) and as much free RAM for the cache.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$SRC/build}
HRL=$B/tools/hrl
W=$(mktemp -d "${TMPDIR:-/tmp}/hrl-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

secs() { # CMD... -> best wall-clock seconds of 3 runs
  local best=999999 t0 t1 d
  for _ in 1 2 3; do
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    d=$(echo "$t1 - $t0" | bc -l); best=$(echo "if ($d < $best) $d else $best" | bc -l)
  done
  printf '%.3f' "$best"
}

echo "== building a 2 GiB log (2048 writes of 1 MiB, DataChecksums on)"
head -c $((1 << 20)) /dev/urandom > p1m
for i in $(seq 0 2047); do echo "$((i << 20)) p1m"; done > list2g
"$HRL" make --writes list2g -o big.hrl --time 1600000000 >/dev/null
sync   # let writeback finish so it does not compete with the timed reads
SIZE=$(stat -c %s big.hrl)
cat big.hrl > /dev/null; "$HRL" verify big.hrl > /dev/null; cat big.hrl > /dev/null   # warm the page cache
T_CAT=$(secs sh -c 'cat big.hrl > /dev/null')
T_VER=$(secs "$HRL" verify big.hrl)
GIB=$(echo "$SIZE / 1073741824" | bc -l)
printf 'log size           %d bytes\n' "$SIZE"
printf 'cat > /dev/null    %s s  %.2f GiB/s\n' "$T_CAT" "$(echo "$GIB / $T_CAT" | bc -l)"
printf 'hrl verify         %s s  %.2f GiB/s  (%.2fx cat)\n' "$T_VER" "$(echo "$GIB / $T_VER" | bc -l)" \
  "$(echo "$T_CAT / $T_VER" | bc -l)"
rm -f big.hrl list2g

echo "== building a 1,000,000-entry log (512-byte writes)"
head -c 512 /dev/urandom > p512
python3 -c '
import sys
w = sys.stdout.write
for i in range(1000000):
    w("%d:512 p512\n" % ((i * 7919 % 4000000) * 512))' > list1m
"$HRL" make --writes list1m -o million.hrl --time 1600000000 >/dev/null
sync
cat million.hrl > /dev/null
ROWS=$("$HRL" dump --csv million.hrl | wc -l)
T_DUMP=$(secs sh -c "'$HRL' dump --csv million.hrl > /dev/null")
T_DUMPF=$(secs sh -c "'$HRL' dump --csv million.hrl > dump.csv")
printf 'dump --csv rows    %d (header included)\n' "$ROWS"
printf 'dump --csv         %s s to /dev/null, %s s to a file\n' "$T_DUMP" "$T_DUMPF"
T_INFO=$(secs "$HRL" info million.hrl)
printf 'info (1M entries)  %s s\n' "$T_INFO"
