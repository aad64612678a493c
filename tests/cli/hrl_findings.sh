#!/usr/bin/env bash
# hrl_findings.sh: the hostile logs of tests/corpus/hrl, each with its exact
# exit code and message, and the two cost bounds: salvage of a 32 MiB unclosed
# log of 1-byte payloads (linear scan), and a .hrl.gz whose stream goes on far
# past the log's end (inflation stops at EOLLocation + 1 MiB).
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] || skip "hrl not built"
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
C="$HVK_SRC/tests/corpus/hrl"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
cd "$TMP" || exit 2
cp "$C"/* .
gunzip -k salvage_misparse_valid.hrl.gz

# expect_err WANT_EXIT EXACT_STDERR CMD...
expect_err() {
  local want=$1 msg=$2; shift 2
  expect_exit "$want" "$@"
  expect_eq "stderr of $*" "$(cat "$TMP/err")" "$msg"
}

# ---- timeline: no undefined behaviour on an unreadable or an empty log ----
expect_err 2 "hrl: 'timeline-ubsan-cookie.hrl': is not a replica log (no 'msctlog' header cookie at offset 0)" \
  "$HRL" timeline timeline-ubsan-cookie.hrl
expect_exit 0 "$HRL" timeline empty.hrl
expect_eq "empty timeline" "$(grep total: "$TMP/out")" "total: 0 writes, 0 bytes"
expect_exit 0 "$HRL" timeline --json empty.hrl
expect_eq "empty timeline json" "$($PY -c 'import json,sys; d=json.load(sys.stdin); print(d["writes"], d["buckets"], d["hottest_regions"])' < "$TMP/out")" "0 [] []"

# ---- untrusted text: CreatorApplication is '"', '\', 0x01, 0xff ----
expect_exit 0 "$HRL" info j.hrl
expect_eq "escaped creator" "$(grep '^creator:' "$TMP/out")" 'creator:               "\"\\\x01\xff" version 10.0'
expect_exit 0 "$HRL" info --json j.hrl
expect_eq "json creator" "$($PY -c 'import json,sys; print(ascii(json.load(sys.stdin)["header"]["creator_application"]))' < "$TMP/out")" \
  "'\"\\\\\\x01\\ufffd'"
for c in "dump --json" "verify --json" "timeline --json"; do
  expect_exit 0 "$HRL" $c j.hrl
  $PY -c 'import json,sys; json.load(sys.stdin)' < "$TMP/out" || fail "$c j.hrl: invalid JSON"
done

# ---- a disk range that wraps past 2^64 ----
R="hrl: 'off_overflow.hrl': metadata entry 0 of block at 0x2400: disk range 0xfffffffffffffe00 + 1024 bytes wraps past 2^64 [entry-range at 0x2420]"
expect_err 1 "$R" "$HRL" verify off_overflow.hrl
expect_exit 1 "$HRL" info off_overflow.hrl
expect_stdout_has "verdict:               1 problem" "$HRL" info off_overflow.hrl
head -c 1024 /dev/zero > k.bin
printf '0xfffffffffffffe00 k.bin\n' > wrap.list
expect_err 2 "hrl: 'wrap.list': line 1: disk range 0xfffffffffffffe00 + 1024 bytes wraps past 2^64" \
  "$HRL" make --writes wrap.list -o wrap.hrl
[ -e wrap.hrl ] && fail "wrap.hrl written"
ls wrap.hrl.tmp.* 2>/dev/null && fail "temporary left behind"

# ---- a payload holding a block-like pattern: salvage keeps the whole chain ----
S=salvage_misparse_valid.hrl
expect_exit 0 "$HRL" verify $S
expect_eq "verify" "$(cat "$TMP/out")" "$S: ok (257 metadata blocks, 256 entries, 131156 bytes written)"
expect_exit 0 "$HRL" verify --salvage $S
expect_eq "verify --salvage" "$(head -1 "$TMP/out")" \
  "$S: salvaged 257 metadata blocks, 256 entries, 131156 bytes written, log ends at 151700; 0 bytes lost"
"$HRL" dump --csv $S > plain.csv 2>/dev/null
"$HRL" dump --csv --salvage $S.gz > salvaged.csv 2>/dev/null
cmp -s plain.csv salvaged.csv || fail "salvage of a clean log is not the log itself"

# ---- the same log twice ----
expect_exit 1 "$HRL" verify $S $S
expect_stderr_has "log chain: the same log as file 1 (UniqueId" "$HRL" verify $S $S
grep -q "missing" "$TMP/err" && fail "same log twice reported as a missing previous log"

# ---- salvage is linear: 32 MiB of 1-byte payloads (516222 blocks at odd offsets) ----
expect_eq "generator" "$($PY "$HVK_SRC/tests/cli/helpers/hrl_unclosed.py" u32.hrl 32)" 516222
t0=$(date +%s%N)
expect_exit 1 "$HRL" verify --salvage u32.hrl
t1=$(date +%s%N)
expect_eq "salvage 32 MiB" "$(head -1 "$TMP/out")" \
  "u32.hrl: salvaged 516222 metadata blocks, 516222 entries, 516222 bytes written, log ends at 33558526; 0 bytes lost"
ms=$(((t1 - t0) / 1000000))
echo "salvage of 32 MiB: $ms ms"
[ "$ms" -lt 20000 ] || fail "salvage of 32 MiB took $ms ms"   # quadratic took ~100 s
rm -f u32.hrl

# ---- gzip: inflation stops at the log's end ----
# S + 256 MiB of zeros (~250 KiB compressed); the reader may write at most
# the log to $TMPDIR, so a 16 MiB file-size limit makes a full inflation fail.
$PY - <<'EOF'
import zlib
log = open("salvage_misparse_valid.hrl", "rb").read()
for name, zeros in (("zeros.hrl.gz", 256 << 20), ("short-tail.hrl.gz", 512 << 10)):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(name, "wb") as f:
        f.write(c.compress(log))
        for _ in range(zeros >> 19):
            f.write(c.compress(bytes(1 << 19)))
        f.write(c.flush())
EOF
t0=$(date +%s%N)
CHECKS=$((CHECKS + 1))
(ulimit -f 16384; exec "$HRL" info zeros.hrl.gz) >"$TMP/out" 2>"$TMP/err"
RC=$?
t1=$(date +%s%N)
expect_eq "gz trailing exit" "$RC" 1
expect_eq "gz trailing message" "$(cat "$TMP/err")" \
  "hrl: 'zeros.hrl.gz': gzip: more than 1048576 bytes follow the end of the log (EOLLocation 0x25094) in the compressed stream: refused"
ms=$(((t1 - t0) / 1000000))
echo "gz with 256 MiB of trailing zeros refused in $ms ms"
[ "$ms" -lt 5000 ] || fail "gz refusal took $ms ms"
expect_exit 0 "$HRL" verify short-tail.hrl.gz
expect_eq "short tail" "$(cat "$TMP/out")" "short-tail.hrl.gz: ok (257 metadata blocks, 256 entries, 131156 bytes written)"
finish
