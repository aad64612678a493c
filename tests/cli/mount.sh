#!/usr/bin/env bash
# `vhdx mount` and `hrl mount` (FUSE 3): the `disk` file must hash like
# `vhdx cat` / the generator's recovery points, p1/p2 must be the partition
# ranges of a GPT and an MBR disk, bad logs are refused as `hrl restore`
# refuses them, SIGTERM unmounts cleanly, and no input is written.
# Every mount runs in the foreground under `timeout`; the EXIT trap unmounts
# whatever is still mounted before the temporary directory is removed.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"

[ -e /dev/fuse ] || skip "/dev/fuse not available"
command -v fusermount3 >/dev/null || skip "fusermount3 not installed (apt-get install fuse3)"
command -v mountpoint >/dev/null || skip "mountpoint not installed"
[ -n "${HRL:-}" ] || skip "no hrl program"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
vsha() { python3 "$HVK_SRC/tests/cli/helpers/sha256.py" "$@"; }

MOUNTS=()
cleanup() {
  for d in "${MOUNTS[@]}"; do mountpoint -q "$d" && fusermount3 -u -z "$d"; done
  wait
  rm -rf "$TMP"
}
trap cleanup EXIT

# fmount DIR CMD...: runs `CMD --foreground DIR` in the background (120 s at
# most) and waits until DIR is mounted. Sets PID. @return 0 mounted, else
# the command's exit status (its stderr in $TMP/err).
fmount() {
  local dir=$1; shift
  mkdir -p "$dir"
  MOUNTS+=("$dir")
  timeout 120 "$@" --foreground "$dir" 2>"$TMP/err" &
  PID=$!
  for _ in $(seq 100); do
    mountpoint -q "$dir" && [ -e "$dir/disk" ] && return 0
    kill -0 $PID 2>/dev/null || { wait $PID; return; }
    sleep 0.1
  done
  return 124
}
# funmount DIR: unmount as documented and wait for the server to exit 0.
funmount() {
  fusermount3 -u "$1"
  wait $PID
  expect_eq "server exit after unmount of $1" $? 0
}

cd "$TMP"
head -c 1M /dev/urandom >probe.raw && "$VHDX" convert probe.raw probe.vhdx >/dev/null
fmount probe "$VHDX" mount probe.vhdx || skip "cannot mount FUSE here (exit $?): $(head -1 "$TMP/err")"
funmount probe

# ---- real samples: those up to 256 MiB (serve.sh reads the 1 GiB ones) and the
# 10 GiB dirty-log one by its data runs, to keep the run short ----
unpack() { # unpack FILE MEMBER OUT
  case "$1" in
  *.bz2) bzip2 -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.gz) gzip -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.zip) unzip -p "$HVK_SAMPLES/$1" "$2" >"$3" ;;
  esac
}
if [ -f "${HVK_SAMPLES:-}/ground-truth.tsv" ]; then
  while IFS=$'\t' read -r file member producer type vsize bsize lss pss exercises hash; do
    [ "$file" = file ] || [ "$hash" = - ] && continue
    case "$file" in *dirtylog*) ;; *) [ "$vsize" -le 268435456 ] || continue ;; esac
    unpack "$file" "$member" s.vhdx
    before=$(sha s.vhdx)
    fmount m "$VHDX" mount s.vhdx || { fail "mount $file: exit $?"; continue; }
    expect_eq "size $file" "$(stat -c %s m/disk)" "$vsize"
    case "$file" in
    *dirtylog*) # every run `vhdx map` calls data, byte for byte as `vhdx cat` has it
      "$VHDX" cat s.vhdx >cat.raw
      "$VHDX" map --json s.vhdx | python3 -c '
import json, sys
for r in json.load(sys.stdin)["runs"]:
    if r["layer"] >= 0: print(r["offset"], r["length"])' >runs
      CHECKS=$((CHECKS + 1))
      [ -s runs ] || fail "dirty log: no data runs"
      while read -r off len; do
        cmp -s <(tail -c +$((off + 1)) m/disk | head -c "$len") <(tail -c +$((off + 1)) cat.raw | head -c "$len") ||
          fail "dirty log: run at $off differs"
      done <runs
      rm -f cat.raw ;;
    *) expect_eq "fuse $file" "$(vsha m/disk)" "$hash" ;;
    esac
    funmount m
    expect_eq "$file unchanged by mounting" "$(sha s.vhdx)" "$before"
    rm -f s.vhdx
  done <"$HVK_SAMPLES/ground-truth.tsv"
else
  echo "note: no samples at '${HVK_SAMPLES:-}', skipping that part"
fi

# ---- recovery points ----
if command -v qemu-img >/dev/null && command -v qemu-io >/dev/null; then
  . "$HVK_SRC/tests/cli/helpers/points.bash"
  points_setup || { fail "points setup failed"; finish; exit 1; }
  inputs_sha >in.before
  for k in 0 1 2 3; do
    fmount pt "$HRL" mount --base base.vhdx --point $k logs || { fail "hrl mount point $k: exit $?"; continue; }
    expect_eq "fuse point $k" "$(vsha pt/disk)" "${WANT_SHA[$k]}"
    funmount pt
  done
  refused() { # refused NAME LOGS...: exit 1, restore's messages, nothing mounted
    local name=$1; shift
    fmount bad "$HRL" mount --base base.vhdx "$@"
    expect_eq "$name: exit" $? 1
    CHECKS=$((CHECKS + 1))
    mountpoint -q bad && fail "$name: mounted"
    sed -n 's/^hrl: //p' "$TMP/err" | grep -v '^refusing' >mount.msg
    run "$HRL" restore --base base.vhdx --out bad.vhdx "$@"
    sed -n 's/^hrl: //p' "$TMP/err" | grep -v '^refusing' >restore.msg
    expect_eq "$name: restore's exit" "$RC" 1
    CHECKS=$((CHECKS + 1))
    [ -s mount.msg ] && cmp -s mount.msg restore.msg || { fail "$name: messages differ"; diff mount.msg restore.msg >&2; }
  }
  refused "damaged payload" corrupt
  refused "foreign log" other.hrl
  expect_eq "nothing written" "$(inputs_sha)" "$(cat in.before)"
else
  echo "note: qemu-img/qemu-io not installed, skipping recovery points"
fi

# ---- partitions: GPT and MBR, two each; p1/p2 are exactly their ranges ----
if command -v sfdisk >/dev/null; then
  for label in gpt dos; do
    rm -f pt.raw && truncate -s 48M pt.raw
    printf 'label: %s\nstart=2048, size=20480\nstart=24576, size=40960\n' $label | sfdisk -q pt.raw
    head -c 10M /dev/urandom | dd of=pt.raw bs=512 seek=2048 conv=notrunc status=none
    head -c 15M /dev/urandom | dd of=pt.raw bs=512 seek=24576 conv=notrunc status=none
    "$VHDX" convert pt.raw pt.vhdx --dynamic >/dev/null
    fmount parts "$VHDX" mount pt.vhdx || { fail "mount $label: exit $?"; continue; }
    expect_eq "$label files" "$(ls parts | tr '\n' ' ')" "disk p1 p2 "
    expect_eq "$label disk" "$(sha parts/disk)" "$(sha pt.raw)"
    expect_eq "$label p1" "$(sha parts/p1)" "$(dd if=pt.raw bs=512 skip=2048 count=20480 status=none | sha256sum | cut -c1-64)"
    expect_eq "$label p2" "$(sha parts/p2)" "$(dd if=pt.raw bs=512 skip=24576 count=40960 status=none | sha256sum | cut -c1-64)"
    CHECKS=$((CHECKS + 1))
    ( : >parts/disk ) 2>/dev/null && fail "$label: disk is writable"
    # SIGTERM unmounts cleanly: exit 0, nothing left mounted
    kill -TERM $PID
    wait $PID
    expect_eq "$label: exit after SIGTERM" $? 0
    CHECKS=$((CHECKS + 1))
    mountpoint -q parts && fail "$label: still mounted after SIGTERM"
    rm -f pt.vhdx
  done
else
  echo "note: sfdisk not installed, skipping partitions"
fi

# ---- background mode (the default) and usage errors ----
mkdir -p bg && MOUNTS+=(bg)
expect_exit 0 timeout 30 "$VHDX" mount probe.vhdx bg
expect_eq "background mount" "$(sha bg/disk)" "$(sha probe.raw)"
fusermount3 -u bg
expect_exit 2 "$VHDX" mount probe.vhdx
expect_exit 2 "$HRL" mount --point 1 logs bg
expect_exit 2 "$VHDX" mount missing.vhdx bg
finish
