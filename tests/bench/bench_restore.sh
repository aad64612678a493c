#!/usr/bin/env bash
# bench_restore.sh [BUILD_DIR] [WORK_DIR]: recovery-point restore and
# verification at scale, run by hand (not in ctest).
#   base:  16 GiB dynamic VHDX holding 1 GiB of data (patterned 64 MiB runs)
#   logs:  10 logs, ~1 GiB of writes in total, 4-64 KiB each, sector aligned;
#          30% of the writes land exactly on an earlier write (superseded)
# Measures (WORK_DIR on disk, default /tmp/hvk-bench-restore; inputs read from page cache):
#   A  hrl restore of the last point (differencing child), GiB/s of log data
#   B  naive baseline: copy the base to raw (vhdx convert), pwrite every entry
#      in log order; A must be >= 3x faster than B
#   C  hrl verify --digest over the 10 points vs hashing the disk once
#      (sha256sum of the 16 GiB raw, and vhdx digest of one point)
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
W=${2:-/tmp/hvk-bench-restore}
VHDX=$B/tools/vhdx HRL=$B/tools/hrl
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
now() { date +%s.%N; }
el() { echo "$2 - $1" | bc; }
if [ "${REUSE:-0}" = 1 ] && [ -f "$W/.ready" ]; then   # REUSE=1: keep the generated inputs
  cd "$W"; rm -f restored.vhdx flat.vhdx naive.raw verify.out
  G=$("$VHDX" info --json base.vhdx | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p' | head -1)
else
rm -rf "$W"; mkdir -p "$W/logs"; cd "$W"
echo "== setup in $W"
truncate -s 16G s0.raw
for i in $(seq 0 15); do   # 1 GiB of data: 16 x 64 MiB, spread over the disk
  (set +o pipefail; yes "hvkit bench base run $i" | head -c 64M | dd of=s0.raw bs=1M seek=$((i * 1024)) conv=notrunc status=none)
done
"$VHDX" convert s0.raw base.vhdx >/dev/null
rm -f s0.raw
G=$("$VHDX" info --json base.vhdx | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p' | head -1)
$PY - "$G" <<'PYEOF'
import os, random, sys
random.seed(1)
for i in range(32):                          # payload pool: 32 x 64 KiB random
    with open("pool%02d" % i, "wb") as f: f.write(os.urandom(65536))
SIZE, TOTAL, NLOGS = 16 << 30, 1 << 30, 10
writes, done = [], 0
while done < TOTAL:
    n = random.randrange(8, 129) * 512       # 4..64 KiB
    if writes and random.random() < 0.30:    # supersede an earlier write
        off, n = random.choice(writes)[:2]
    else:
        off = random.randrange(0, (SIZE - n) // 512) * 512
    writes.append((off, n, random.randrange(32)))
    done += n
per = len(writes) // NLOGS
with open("writes.txt", "w") as all_:
    for k in range(NLOGS):
        part = writes[k * per:(k + 1) * per] if k < NLOGS - 1 else writes[k * per:]
        with open("list%02d" % (k + 1), "w") as f:
            for off, n, p in part:
                f.write("%d:%d pool%02d\n" % (off, n, p))
                all_.write("%d %d pool%02d\n" % (off, n, p))
print("writes: %d, %.2f GiB, %d logs" % (len(writes), done / 2**30, NLOGS))
PYEOF
prev=00000000-0000-0000-0000-000000000000
for k in $(seq 1 10); do
  uid=$(printf 'be0c0000-0000-4000-8000-%012d' "$k")
  "$HRL" make --writes "list$(printf %02d "$k")" -o "logs/log$(printf %02d "$k").hrl" --vhd2-guid "$G" \
    --previous "$prev" --unique-id "$uid" --time $((1767225600 + 600 * k)) >/dev/null
  prev=$uid
done
touch .ready
fi
LOGB=$(cat logs/*.hrl | wc -c)
echo "logs: $(ls logs | wc -l) files, $(echo "scale=2; $LOGB / 2^30" | bc) GiB"
cat logs/*.hrl base.vhdx >/dev/null    # page cache

echo "== A: hrl restore (differencing, last point)"
t0=$(now); "$HRL" restore --base base.vhdx --out restored.vhdx logs; t1=$(now)
TA=$(el "$t0" "$t1")
echo "restore: ${TA}s, $(echo "scale=2; $LOGB / 2^30 / $TA" | bc) GiB/s of log data"
t0=$(now); "$HRL" restore --base base.vhdx --out flat.vhdx --flatten logs >/dev/null; t1=$(now)
TF=$(el "$t0" "$t1")
echo "restore --flatten: ${TF}s"

echo "== B: naive baseline (copy base to raw, pwrite every entry in order)"
t0=$(now)
"$VHDX" convert base.vhdx naive.raw >/dev/null
$PY - <<'PYEOF'
import os
fd = os.open("naive.raw", os.O_WRONLY)
pool = {}
for line in open("writes.txt"):
    off, n, p = line.split()
    if p not in pool: pool[p] = open(p, "rb").read()
    os.pwrite(fd, pool[p][:int(n)], int(off))
os.fsync(fd); os.close(fd)
PYEOF
t1=$(now)
TB=$(el "$t0" "$t1")
echo "baseline: ${TB}s; restore is $(echo "scale=2; $TB / $TA" | bc)x faster"

echo "== correctness: restored point = naive replay"
D1=$("$VHDX" digest restored.vhdx | awk '{print $2}')
D2=$("$VHDX" digest flat.vhdx | awk '{print $2}')
echo "vhdx digest restored.vhdx $D1"
echo "vhdx digest flat.vhdx     $D2"

echo "== C: hrl verify --digest over 10 points vs hashing the disk once"
t0=$(now); "$HRL" verify --base base.vhdx --digest logs >verify.out; t1=$(now)
TC=$(el "$t0" "$t1")
D3=$(awk '$1 == "point" && $2 == 10 {print $6}' verify.out)
echo "verify --digest (11 digests): ${TC}s; point 10 $D3"
t0=$(now); S=$(sha256sum naive.raw | cut -c1-64); t1=$(now)
TS=$(el "$t0" "$t1")
echo "sha256sum of the 16 GiB raw once: ${TS}s   ratio verify/sha256sum = $(echo "scale=2; $TC / $TS" | bc)"
t0=$(now); openssl dgst -sha256 naive.raw >/dev/null; t1=$(now)
TO=$(el "$t0" "$t1")
echo "openssl dgst -sha256 (SHA-NI) of the 16 GiB raw once: ${TO}s   ratio verify/that = $(echo "scale=2; $TC / $TO" | bc)"
t0=$(now); "$VHDX" digest restored.vhdx >/dev/null; t1=$(now)
TD=$(el "$t0" "$t1")
echo "vhdx digest (tree) of one point, all 16 GiB read: ${TD}s   ratio verify/that = $(echo "scale=2; $TC / $TD" | bc)"
# independent check of the digests: Python hashlib over the naive replay
D5=$($PY -c "
import hashlib
f = open('naive.raw', 'rb'); t = hashlib.sha256()
while True:
    b = f.read(1 << 20)
    if not b: break
    t.update(hashlib.sha256(b).digest())
print(t.hexdigest())")
echo "tree digest of the naive replay (Python hashlib): $D5"
[ "$D1" = "$D5" ] && [ "$D2" = "$D5" ] && [ "$D3" = "$D5" ] && echo "all digests agree" || { echo "DIGESTS DIFFER"; exit 1; }
du -sh restored.vhdx flat.vhdx naive.raw base.vhdx
