#!/usr/bin/env bash
# bench_convert.sh [VHDX] [DIR]: `vhdx convert` against `qemu-img convert` in
# both directions on a 4 GiB raw disk whose every other 32 MiB is random data
# (2 GiB of data, 2 GiB of holes), plus the physical limits of the same run
# (reading the data, copying it sparse). Run by hand; prints best-of-3 times
# and ratios. Needs ~10 GiB free in DIR.
set -eu
VHDX=${1:-${VHDX:-build/tools/vhdx}}
DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/hvk-bench.XXXXXX")}
RUNS=${RUNS:-3}
raw="$DIR/disk.raw"

if [ ! -f "$raw" ]; then
  truncate -s 4G "$raw"
  for i in $(seq 0 2 127); do
    head -c 33554432 /dev/urandom | dd of="$raw" bs=32M seek="$i" conv=notrunc status=none
  done
fi
sync

# best-of-N wall time of a command, in seconds; removes OUT before each run.
# Note: qemu-img convert does not fsync its output (cache=unsafe); vhdx
# convert does (a file that appears under its name is durable), so its
# times include an fdatasync of the output.
best() {
  local out=$1; shift
  local b=
  for _ in $(seq "$RUNS"); do
    rm -f "$out"
    sync # no run pays for the previous run's write-back
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    b=$(echo "$t0 $t1 ${b:-999999}" | awk '{t=$2-$1; print (t<$3)?t:$3}')
  done
  echo "$b"
}

t_read=$(best /dev/null cat "$raw")
t_cp=$(best "$DIR/cp.raw" cp --sparse=always "$raw" "$DIR/cp.raw")
t_q_to=$(best "$DIR/q.vhdx" qemu-img convert -O vhdx "$raw" "$DIR/q.vhdx")
t_h_to=$(best "$DIR/h.vhdx" "$VHDX" convert "$raw" "$DIR/h.vhdx")
t_q_from=$(best "$DIR/q.raw" qemu-img convert -O raw "$DIR/h.vhdx" "$DIR/q.raw")
t_h_from=$(best "$DIR/h.raw" "$VHDX" convert "$DIR/h.vhdx" "$DIR/h.raw" -O raw)
cmp -s "$DIR/q.raw" "$DIR/h.raw" || { echo "outputs differ" >&2; exit 1; }

ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
printf '%-34s %8s\n' "operation (4 GiB, 2 GiB data)" "seconds"
printf '%-34s %8.2f\n' "cat raw > /dev/null (read limit)" "$t_read"
printf '%-34s %8.2f\n' "cp --sparse=always (copy limit)" "$t_cp"
printf '%-34s %8.2f\n' "qemu-img convert raw -> vhdx" "$t_q_to"
printf '%-34s %8.2f   (%sx faster)\n' "vhdx convert raw -> vhdx" "$t_h_to" "$(ratio "$t_q_to" "$t_h_to")"
printf '%-34s %8.2f\n' "qemu-img convert vhdx -> raw" "$t_q_from"
printf '%-34s %8.2f   (%sx faster)\n' "vhdx convert vhdx -> raw" "$t_h_from" "$(ratio "$t_q_from" "$t_h_from")"
rm -f "$DIR"/cp.raw "$DIR"/q.vhdx "$DIR"/h.vhdx "$DIR"/q.raw "$DIR"/h.raw
