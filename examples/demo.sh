#!/usr/bin/env bash
# demo.sh BUILD_DIR: the README's main command. Builds a small example with
# hvkit's own tools into BUILD_DIR/example (a 64 MiB dynamic base VHDX with some
# data and a chain of three Hyper-V Replica logs made by `hrl make`), then lists
# the recovery points, restores point 2, checks the result and proves its
# content with the tree digest computed two independent ways.
set -euo pipefail
B=${1:-build/release}
B=$(cd "$B" && pwd)
VHDX=$B/tools/vhdx
HRL=$B/tools/hrl
E=$B/example
rm -rf "$E"
mkdir -p "$E/logs"
cd "$E"
say() { printf '\n== %s\n' "$*"; }

# fill FILE OFFSET_MIB LENGTH_KIB TEXT: write a recognisable pattern in place
# (yes dies of SIGPIPE by design: no pipefail here)
fill() { (set +o pipefail; yes "$4" | head -c "$(($3 * 1024))" | dd of="$1" bs=1K seek="$(($2 * 1024))" conv=notrunc status=none); }

say "building the example in $E"
truncate -s 64M s0.raw
fill s0.raw 0 2048 "hvkit demo: boot area"
fill s0.raw 10 1024 "hvkit demo: data file A"
fill s0.raw 40 512 "hvkit demo: data file B"
"$VHDX" convert s0.raw base.vhdx >/dev/null
G=$("$VHDX" info --json base.vhdx | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p' | head -1)
echo "base.vhdx: 64 MiB dynamic VHDX, DataWriteGuid $G"

# Three change sets, each logged against the state before it. Fixed GUIDs and
# times keep the example (and its digests) the same on every run.
T0=$(date -u -d 2026-01-15T09:00:00Z +%s 2>/dev/null || echo 1768467600)
prev=00000000-0000-0000-0000-000000000000
for k in 1 2 3; do
  cp "s$((k - 1)).raw" "s$k.raw"
  case $k in
    1) fill "s$k.raw" 10 64 "log 1: A edited"; fill "s$k.raw" 30 256 "log 1: new file C" ;;
    2) fill "s$k.raw" 10 16 "log 2: A edited again"; fill "s$k.raw" 41 128 "log 2: B grows" ;;
    3) fill "s$k.raw" 0 4 "log 3: boot record"; fill "s$k.raw" 60 1024 "log 3: big write" ;;
  esac
  uid=$(printf '5eed0000-0000-4000-8000-%012d' "$k")
  "$HRL" make --from "s$((k - 1)).raw" --to "s$k.raw" -o "logs/log$k.hrl" --vhd2-guid "$G" \
    --previous "$prev" --unique-id "$uid" --time $((T0 + 3600 * k)) >/dev/null
  prev=$uid
done
rm -f s1.raw s3.raw
echo "logs/: $(ls logs | tr '\n' ' ')"

say "hrl points --base base.vhdx logs"
"$HRL" points --base base.vhdx logs

say "hrl restore --base base.vhdx --out point2.vhdx --point 2 logs"
"$HRL" restore --base base.vhdx --out point2.vhdx --point 2 logs

say "vhdx check point2.vhdx"
"$VHDX" check point2.vhdx

say "hrl verify --base base.vhdx --digest logs"
"$HRL" verify --base base.vhdx --digest logs

say "tree digest of point 2, three ways"
D_IMG=$("$VHDX" digest point2.vhdx | awk '{print $2}')
D_LOG=$("$HRL" verify --base base.vhdx --digest logs | awk '$1 == "point" && $2 == 2 {print $6}')
echo "vhdx digest point2.vhdx          $D_IMG"
echo "hrl verify --digest, point 2     $D_LOG"
# and a third: the raw disk state that log 2 was made from
# (per-MiB SHA-256 in hex -> bytes with printf %b -> SHA-256 of the concatenation)
HEX=$(split -b 1M -a 3 --filter='sha256sum | cut -c1-64' s2.raw | tr -d '\n')
D_RAW=$(printf '%b' "$(printf '%s' "$HEX" | sed 's/../\\x&/g')" | sha256sum | cut -d' ' -f1)
echo "shell, over the source s2.raw    $D_RAW"
if [ "$D_IMG" = "$D_LOG" ] && [ "$D_IMG" = "$D_RAW" ]; then
  echo "point 2 restored and verified: tree digest $D_IMG"
else
  echo "MISMATCH: the restored point 2 does not match" >&2
  exit 1
fi
