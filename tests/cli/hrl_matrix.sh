#!/usr/bin/env bash
# hrl_matrix.sh: every `hrl` command over every damaged or hostile log we
# know: the corruption table of tests/unit/test_hrl_corrupt.c (dumped by the
# test itself), the fuzz corpus and tests/corpus/hrl. Each run must end with
# an exit code the command may give (0 ok, 1 problems, 2 not an HRL / cannot
# read), within 5 s and 1 GiB, and without a sanitizer report (in the
# sanitizer build this script runs the sanitized programs).
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] && [ -n "${VHDX:-}" ] || skip "hrl/vhdx not built"
CORRUPT="$HVK_BUILD/tests/test_hrl_corrupt"
[ -x "$CORRUPT" ] || skip "tests/unit/test_hrl_corrupt not built"
# A report must not pass for exit 1; ASan reserves terabytes of address
# space, so there its own limits replace ulimit -v.
export ASAN_OPTIONS="exitcode=99:hard_rss_limit_mb=1024:malloc_limit_mb=1024:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
VLIMIT=1048576
(ulimit -v $VLIMIT; "$HRL" version) >/dev/null 2>&1 || VLIMIT=unlimited
cd "$TMP" || exit 2

mkdir cases
"$CORRUPT" --dump cases || { fail "test_hrl_corrupt --dump"; finish; exit 1; }
cp "$HVK_SRC"/tests/fuzz/hrl/corpus/* cases/
cp "$HVK_SRC"/tests/corpus/hrl/*.hrl* cases/
NCASES=$(ls cases | wc -l)
[ "$NCASES" -ge 40 ] || fail "only $NCASES cases"

"$VHDX" create base.vhdx --size 16M >/dev/null || fail "vhdx create"
head -c 16777216 /dev/zero > disk0.raw
printf '0 base.vhdx\n' > list   # any bytes will do as a payload

# check WANT_CODES CMD...: one run under the limits.
check() {
  local want=$1; shift
  CHECKS=$((CHECKS + 1))
  (ulimit -v $VLIMIT; exec timeout 5 "$@") >"$TMP/out" 2>"$TMP/err"
  RC=$?
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$TMP/err"; then
    fail "sanitizer report: $*"; grep -m3 -E 'Sanitizer|runtime error' "$TMP/err" >&2
  elif [ "$RC" = 124 ]; then
    fail "timeout: $*"
  elif ! [[ " $want " == *" $RC "* ]]; then
    fail "exit $RC (want one of $want): $*"; head -3 "$TMP/err" >&2
  fi
}

# Each command once per case, with the options that reach the most code
# (salvage, JSON, both restore forms, files/diff and the SVG outputs
# alternating over the cases); about 650 runs.
n=0
for f in cases/*; do
  n=$((n + 1))
  rm -f o.vhdx o.manifest o.bin o.svg
  cp disk0.raw disk.raw
  check "0 1 2" "$HRL" info --json "$f"
  check "0 1 2" "$HRL" dump --csv --salvage "$f"
  check "0 1 2" "$HRL" verify --json --salvage "$f"
  check "1 2" "$HRL" verify "$f" "$f"
  check "0 1 2" "$HRL" timeline "$f"
  check "0 1 2" "$HRL" timeline --json --per minute "$f" "$f"
  check "0 1 2" "$HRL" extract --salvage --entry 0 -o o.bin "$f"
  check "0 1 2" "$HRL" points --json --base base.vhdx "$f"
  if [ $((n % 2)) = 0 ]; then flat=--flatten; else flat=; fi
  check "0 1 2" "$HRL" restore --ignore-guid $flat --base base.vhdx --out o.vhdx "$f"
  check "0 1 2" "$HRL" apply --target disk.raw "$f"
  check "0 1 2" "$HRL" seal --base base.vhdx "$f" -o o.manifest
  if [ $((n % 2)) = 0 ]; then
    check "0 1 2" "$HRL" files --json --base base.vhdx "$f"
    check "0 1 2" "$HRL" timeline --svg o.svg "$f"
  else
    check "0 1 2" "$HRL" diff --csv --base base.vhdx --from 0 --to 1 "$f"
    check "0 1 2" "$HRL" points --svg o.svg --base base.vhdx "$f"
  fi
done
check 0 "$HRL" make --writes list -o made.hrl

# A FIFO named like a log: refused at once, by name, alone or in a folder.
mkdir fifo && mkfifo fifo/x.hrl
for c in info dump verify timeline; do
  check 2 "$HRL" $c fifo/x.hrl
  grep -qF "'fifo/x.hrl': is a FIFO, not a replica log" "$TMP/err" ||
    fail "$c on a FIFO: $(head -1 "$TMP/err")"
done
check "1 2" "$HRL" points --base base.vhdx fifo
grep -qF "fifo/x.hrl" "$TMP/err" || fail "points over a folder with a FIFO does not name it"
echo "$NCASES cases"
finish
