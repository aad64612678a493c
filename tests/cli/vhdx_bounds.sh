#!/usr/bin/env bash
# Bounded resources: every vhdx command over every VHDX corpus case (the fuzz
# seeds, tests/corpus/vhdx, the corruption corpus of fixtures/gen_corrupt.py)
# finishes within `ulimit -v 1048576` (1 GiB of address space; skipped under
# ASan, whose shadow memory alone exceeds it) and a time limit, with no
# sanitizer report and an exit code that agrees with the reader: every command
# exits 0, 1 or 2, and check says 2 (not a VHDX it can judge) only when cat
# says 2 too; when check finds no error every read
# command succeeds; when the reader refuses a file (for itself, not for its
# parent), write and replay refuse it too and leave it byte-identical.
. "$(dirname "$0")/lib.bash"

cd "$TMP" || exit 1
mkdir in
for f in "$HVK_SRC"/tests/fuzz/corpus/vhdx/*; do
  case $f in *README) continue ;; esac
  python3 "$HVK_SRC/tests/cli/helpers/sprs_expand.py" "$f" "in/fuzz-$(basename "$f").vhdx"
done
for f in "$HVK_SRC"/tests/corpus/vhdx/*.gz; do zcat "$f" >"in/$(basename "$f" .gz)"; done
python3 "$HVK_SRC/fixtures/gen_corrupt.py" gc >/dev/null 2>&1 || fail "gen_corrupt.py failed"
for f in gc/*.vhdx gc/*.avhdx; do [ -f "$f" ] && cp "$f" in/; done
printf 'x' >in/tiny.vhdx
: >in/empty.vhdx

TIME=5
if (ulimit -v 1048576; "$VHDX" --version) >/dev/null 2>&1; then
  ulimit -v 1048576   # for the rest of the test: every command runs under it
else
  TIME=30             # a sanitizer build: no address-space limit, more time
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:exitcode=86 UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:halt_on_error=1:exitcode=86

# bounded CMD...: runs under the limits; sets RC, stderr in $TMP/err, stdout
# in $OUT (default /dev/null: cat writes whole virtual disks).
OUT=/dev/null
bounded() {
  timeout $TIME "$@" >"$OUT" 2>"$TMP/err"
  RC=$?
  CHECKS=$((CHECKS + 1))
  if [ "$RC" -gt 2 ] || grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$TMP/err"; then
    fail "exit $RC: $*"; head -3 "$TMP/err" >&2
  fi
}

head -c 4096 /dev/zero | tr '\0' 'w' >w4k
n=0
for f in in/*; do
  n=$((n + 1))
  bounded "$VHDX" check "$f"; crc=$RC
  bounded "$VHDX" cat "$f"; irc=$RC   # the reader's verdict on the file...
  CHECKS=$((CHECKS + 1))
  [ "$crc" != 2 ] || [ "$irc" = 2 ] || fail "check exits 2 on $f but cat exits $irc"
  # ...not on its parent: writes never read the parent, so a child whose
  # parent is missing or mismatched may be written (and relinked later).
  grep -q "parent chain" "$TMP/err" && irc=0
  if [ "$crc" = 0 ] && [ "$RC" != 0 ]; then fail "check accepts $f but cat exits $RC"; fi
  for cmd in info map chain digest "replay --dry-run"; do
    OUT=$TMP/out bounded "$VHDX" $cmd "$f"
    if [ "$crc" = 0 ] && [ "$RC" != 0 ]; then fail "check accepts $f but '$cmd' exits $RC"; fi
  done
  ops=("write @ 0 w4k")
  # replay itself only where there is something to replay or the reader refuses
  grep -q "nothing to replay" "$TMP/out" && [ "$irc" = 0 ] || ops+=("replay @")
  for op in "${ops[@]}"; do
    cp "$f" rw.vhdx
    before=$(sha rw.vhdx)
    # shellcheck disable=SC2086
    set -- ${op/@/rw.vhdx}
    bounded "$VHDX" "$@"
    if [ "$irc" != 0 ]; then
      CHECKS=$((CHECKS + 1))
      [ "$RC" != 0 ] && [ "$(sha rw.vhdx)" = "$before" ] ||
        fail "the reader refuses $f but '$1' exits $RC$([ "$(sha rw.vhdx)" = "$before" ] || echo ' and changed it')"
    fi
  done
done
echo "$n files"
CHECKS=$((CHECKS + 1)); [ "$n" -ge 100 ] || fail "only $n corpus files"
finish
