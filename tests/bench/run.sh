#!/usr/bin/env bash
# run.sh [--quick] [BUILD_DIR]: every benchmark against its peer and the
# physical reference, by hand (not in ctest). Prints one Markdown table of
# ratios hvkit time / other time (< 1: hvkit faster): the median over the
# runs and the min-max, runs alternating which side goes first. Then peak
# memory (maximum RSS from /usr/bin/time -v).
#
# Inputs, generated under $BENCH_DIR (default /var/tmp/hvk-bench, on disk):
#   src.raw          SIZE virtual, half of its 1 MiB runs random data (the rest holes)
#   q1/q32.vhdx      src.raw by qemu-img convert, 1 MiB / 32 MiB blocks
#   h1/h32.vhdx      the same by vhdx convert
#   huge.vhdx        64 TiB, empty (qemu-img create)
#   base.vhdx, logs  restore: RSIZE disk with 1/16 of it data, logs of LOGS bytes
#                    of 4-64 KiB writes, 30% of them rewriting an earlier range
# Full: SIZE 4 GiB, RSIZE 16 GiB, LOGS 1 GiB, 5 runs. --quick: 512 MiB, 2 GiB,
# 128 MiB, 3 runs. Input caches are warm for every contender; "durable" rows
# end with the output on disk (hvkit flushes itself; peers get `sync FILE`).
set -euo pipefail
QUICK=0
[ "${1:-}" = --quick ] && { QUICK=1; shift; }
B=$(cd "${1:-build}" && pwd)
VHDX=$B/tools/vhdx HRL=$B/tools/hrl
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
W=${BENCH_DIR:-/var/tmp/hvk-bench}
if [ $QUICK = 1 ]; then SIZE_M=512 RSIZE_G=2 LOGS_M=128 RUNS=3; W=$W-quick
else SIZE_M=4096 RSIZE_G=16 LOGS_M=1024 RUNS=5; fi
RUNS=${RUNS_OVERRIDE:-$RUNS}
mkdir -p "$W"
cd "$W"
OUT=$W/out; mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
TIMES=$W/times.tsv; : >"$TIMES"

# ---------------------------------------------------------------- inputs
if [ ! -f .ready-$SIZE_M-$RSIZE_G-$LOGS_M ]; then
  rm -rf ./* .ready-*; mkdir -p "$OUT" logs
  echo "generating inputs in $W ..." >&2
  $PY - "$SIZE_M" <<'EOF'
import os, random, sys
random.seed(7)
n = int(sys.argv[1])
with open("src.raw", "wb") as f:
    f.truncate(n << 20)
    for i in range(n):
        if random.random() < 0.5:
            f.seek(i << 20); f.write(os.urandom(1 << 20))
EOF
  qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=1M src.raw q1.vhdx
  qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=32M src.raw q32.vhdx
  "$VHDX" convert --block-size 1M src.raw h1.vhdx
  "$VHDX" convert --block-size 32M src.raw h32.vhdx
  qemu-img create -q -f vhdx huge.vhdx 64T
  qemu-img create -q -f vhdx big.vhdx 8T   # ext4 files stop at 16 TiB: outputs of this one fit
  # restore inputs: a base holding 1/16 of its size as data, logs of random writes
  truncate -s "${RSIZE_G}G" s0.raw
  for i in $(seq 0 15); do
    (set +o pipefail; yes "hvkit bench base run $i" | head -c $((RSIZE_G * 4))M |
      dd of=s0.raw bs=1M seek=$((i * RSIZE_G * 64)) conv=notrunc status=none)
  done
  "$VHDX" convert --block-size 2M s0.raw base.vhdx
  mv s0.raw base.raw
  G=$("$VHDX" info --json base.vhdx | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p' | head -1)
  $PY - "$RSIZE_G" "$LOGS_M" <<'EOF'
import os, random, sys
random.seed(1)
for i in range(32):
    with open("pool%02d" % i, "wb") as f: f.write(os.urandom(65536))
SIZE, TOTAL, NLOGS = int(sys.argv[1]) << 30, int(sys.argv[2]) << 20, 10
writes, done = [], 0
while done < TOTAL:
    n = random.randrange(8, 129) * 512
    if writes and random.random() < 0.30:
        off, n = random.choice(writes)[:2]
    else:
        off = random.randrange(0, (SIZE - n) // 512) * 512
    writes.append((off, n, random.randrange(32)))
    done += n
per = len(writes) // NLOGS
final = {}
with open("writes.txt", "w") as all_:
    for k in range(NLOGS):
        part = writes[k * per:(k + 1) * per] if k < NLOGS - 1 else writes[k * per:]
        with open("list%02d" % (k + 1), "w") as f:
            for off, n, p in part:
                f.write("%d:%d pool%02d\n" % (off, n, p))
                all_.write("%d %d pool%02d\n" % (off, n, p))
# bytes the point changes (union of the written ranges): the physical minimum
ev = sorted((o, o + n) for o, n, _ in writes)
tot, cs, ce = 0, None, None
for s, e in ev:
    if cs is None or s > ce:
        if cs is not None: tot += ce - cs
        cs, ce = s, e
    else:
        ce = max(ce, e)
tot += ce - cs
with open("changed.bin", "wb") as f:
    for _ in range(tot >> 20): f.write(os.urandom(1 << 20))
    f.write(os.urandom(tot & ((1 << 20) - 1)))
EOF
  prev=00000000-0000-0000-0000-000000000000
  for k in $(seq 1 10); do
    uid=$(printf 'be0c0000-0000-4000-8000-%012d' "$k")
    "$HRL" make --writes "list$(printf %02d "$k")" -o "logs/log$(printf %02d "$k").hrl" \
      --vhd2-guid "$G" --previous "$prev" --unique-id "$uid" --time $((1767225600 + 600 * k)) >/dev/null
    prev=$uid
  done
  # one folder of 1,000 small logs for `hrl points`
  mkdir -p many; prev=00000000-0000-0000-0000-000000000000
  printf '0:4096 pool00\n' >one
  for k in $(seq 1 1000); do
    uid=$(printf 'be0d0000-0000-4000-8000-%012d' "$k")
    "$HRL" make --writes one -o "many/l$(printf %04d "$k").hrl" --vhd2-guid "$G" \
      --previous "$prev" --unique-id "$uid" --time $((1767225600 + k)) >/dev/null
    prev=$uid
  done
  touch .ready-$SIZE_M-$RSIZE_G-$LOGS_M
fi
[ "${GEN_ONLY:-0}" = 1 ] && exit 0   # GEN_ONLY=1: only make the inputs
cat ./*.vhdx src.raw base.raw logs/* changed.bin >/dev/null   # warm caches

# ---------------------------------------------------------------- timing
# clock SIDE ROW METRIC CMD: runs CMD with sh, appends "ROW SIDE seconds";
# METRIC wall = elapsed, cpu = user + system.
clock() {
  local side=$1 row=$2 metric=$3; shift 3
  /usr/bin/time -f "%e %U %S" -o "$W/t" sh -c "$*" >/dev/null 2>"$W/err" ||
    { echo "failed ($row, $side): $*" >&2; cat "$W/err" >&2; exit 1; }
  awk -v r="$row" -v s="$side" -v m="$metric" \
    '{ printf "%s\t%s\t%.4f\n", r, s, (m == "cpu" ? $2 + $3 : $1) }' "$W/t" >>"$TIMES"
}
# bench ROW METRIC HVKIT_CMD OTHER_CMD: RUNS alternating pairs; the output
# directory is emptied before every command.
bench() {
  local row=$1 metric=$2 h=$3 o=$4
  echo "  $row" >&2
  for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then
      rm -rf "${OUT:?}"/*; clock h "$row" "$metric" "$h"; rm -rf "${OUT:?}"/*; clock o "$row" "$metric" "$o"
    else
      rm -rf "${OUT:?}"/*; clock o "$row" "$metric" "$o"; rm -rf "${OUT:?}"/*; clock h "$row" "$metric" "$h"
    fi
  done
  rm -rf "${OUT:?}"/*
}

V="'$VHDX'" H="'$HRL'"
echo "running ($RUNS runs each) ..." >&2
for img in q1 q32 h1 h32; do
  bs=${img#?}; by=$([ "${img%%[0-9]*}" = q ] && echo qemu-img || echo hvkit)
  bench "vhdx cat > file, $by-made, $bs MiB blocks|qemu-img convert -O raw" wall \
    "$V cat $img.vhdx > $OUT/o.raw" "qemu-img convert -f vhdx -O raw $img.vhdx $OUT/o.raw"
  bench "vhdx cat > file, $by-made, $bs MiB blocks|cp --sparse=always of the raw source" wall \
    "$V cat $img.vhdx > $OUT/o.raw" "cp --sparse=always src.raw $OUT/o.raw"
done
bench "vhdx convert raw→vhdx (durable)|qemu-img convert -O vhdx + sync" wall \
  "$V convert src.raw $OUT/o.vhdx" "qemu-img convert -f raw -O vhdx -o subformat=dynamic src.raw $OUT/o.vhdx && sync $OUT/o.vhdx"
bench "vhdx convert raw→vhdx (durable), CPU|qemu-img convert -O vhdx + sync" cpu \
  "$V convert src.raw $OUT/o.vhdx" "qemu-img convert -f raw -O vhdx -o subformat=dynamic src.raw $OUT/o.vhdx && sync $OUT/o.vhdx"
bench "vhdx convert vhdx→raw (durable), qemu-made 32 MiB blocks|qemu-img convert -O raw + sync" wall \
  "$V convert q32.vhdx $OUT/o.raw" "qemu-img convert -f vhdx -O raw q32.vhdx $OUT/o.raw && sync $OUT/o.raw"
bench "vhdx convert vhdx→raw (durable), qemu-made 32 MiB blocks|cp --sparse=always + sync (physical)" wall \
  "$V convert q32.vhdx $OUT/o.raw" "cp --sparse=always src.raw $OUT/o.raw && sync $OUT/o.raw"
bench "vhdx digest, hvkit-made 32 MiB blocks|sha256sum of the raw source" wall \
  "$V digest h32.vhdx" "sha256sum src.raw"
loop20() { printf 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do %s; done' "$1"; }
bench "vhdx info, 64 TiB image (CPU, 20 calls)|qemu-img info" cpu \
  "$(loop20 "$V info huge.vhdx")" "$(loop20 "qemu-img info huge.vhdx")"
bench "vhdx info, 64 TiB image (CPU, 20 calls)|vhdiinfo" cpu \
  "$(loop20 "$V info huge.vhdx")" "$(loop20 "vhdiinfo huge.vhdx")"
bench "hrl points, 1,000 logs (CPU; target < 1 s)|cat of the 1,000 logs (CPU)" cpu \
  "$H points --base base.vhdx many" "cat many/* > /dev/null"
NAIVE="cp --sparse=always base.raw $OUT/n.raw && $H apply --target $OUT/n.raw logs && sync $OUT/n.raw"
PHYS="cat logs/* > /dev/null && cp changed.bin $OUT/c.bin && sync $OUT/c.bin"
bench "hrl restore (child), ${RSIZE_G} GiB base, ${LOGS_M} MiB logs|naive copy-then-pwrite + sync" wall \
  "$H restore --base base.vhdx --out $OUT/r.vhdx logs" "$NAIVE"
bench "hrl restore (child), ${RSIZE_G} GiB base, ${LOGS_M} MiB logs|physical: read logs + write changed bytes + sync" wall \
  "$H restore --base base.vhdx --out $OUT/r.vhdx logs" "$PHYS"
bench "hrl restore --flatten, ${RSIZE_G} GiB base, ${LOGS_M} MiB logs|naive copy-then-pwrite + sync" wall \
  "$H restore --base base.vhdx --flatten --out $OUT/r.vhdx logs" "$NAIVE"

# ---------------------------------------------------------------- table
echo
echo "| job | against | hvkit (s) | other (s) | ratio, median (min–max) |"
echo "|---|---|---:|---:|---|"
$PY - "$TIMES" <<'EOF'
import sys, statistics
rows, order = {}, []
for line in open(sys.argv[1]):
    row, side, t = line.rstrip("\n").split("\t")
    if row not in rows:
        rows[row] = {"h": [], "o": []}; order.append(row)
    rows[row][side].append(float(t))
for row in order:
    h, o = rows[row]["h"], rows[row]["o"]
    r = [a / b if b > 0 else float("inf") for a, b in zip(h, o)]
    job, against = row.split("|")
    print("| %s | %s | %.3f | %.3f | %.2f (%.2f–%.2f) |" % (job, against, statistics.median(h),
          statistics.median(o), statistics.median(r), min(r), max(r)))
EOF

# ---------------------------------------------------------------- memory
rss() { # rss LABEL CMD: peak resident set of CMD in MiB
  /usr/bin/time -v -o "$W/t" sh -c "$2" >/dev/null 2>&1 || { echo "failed: $2" >&2; exit 1; }
  printf '| %s | %s |\n' "$1" "$(awk -F': ' '/Maximum resident/ { printf "%.1f", $2 / 1024 }' "$W/t")"
  rm -rf "${OUT:?}"/*
}
echo
echo "| peak memory (maximum RSS) | MiB |"
echo "|---|---:|"
rss "vhdx cat > file, ${SIZE_M} MiB image, qemu-made 32 MiB blocks" "$V cat q32.vhdx > $OUT/o.raw"
rss "vhdx cat > file, 8 TiB empty image" "$V cat big.vhdx > $OUT/o.raw"
rss "vhdx convert vhdx→raw, ${SIZE_M} MiB image" "$V convert q32.vhdx $OUT/o.raw"
rss "vhdx convert vhdx→raw, 8 TiB empty image" "$V convert big.vhdx $OUT/o.raw"
rss "vhdx convert raw→vhdx, ${SIZE_M} MiB image" "$V convert src.raw $OUT/o.vhdx"
rss "vhdx digest, ${SIZE_M} MiB image" "$V digest h32.vhdx"
rss "hrl restore (child), ${RSIZE_G} GiB base, ${LOGS_M} MiB logs" "$H restore --base base.vhdx --out $OUT/r.vhdx logs"
rss "hrl restore --flatten, ${RSIZE_G} GiB base, ${LOGS_M} MiB logs" "$H restore --base base.vhdx --flatten --out $OUT/r.vhdx logs"
rss "hrl verify, ${LOGS_M} MiB logs" "$H verify --base base.vhdx logs"
