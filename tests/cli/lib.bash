# lib.sh: helpers for CLI tests. Each test script sources this, runs checks,
# and calls `finish`. A failed check prints what ran and what came out.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvk-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# run CMD...: captures stdout, stderr and the exit code into $TMP/out, $TMP/err, $RC.
# With HVK_JSON_DIR set, every --json output is also kept there (NAME-N.json
# and the command line in NAME-N.json.cmd) for the schema test (json_schema.sh).
JSON_SEQ=0
run() {
  "$@" >"$TMP/out" 2>"$TMP/err"; RC=$?
  if [ -n "${HVK_JSON_DIR:-}" ] && [ -s "$TMP/out" ]; then
    local a
    for a in "$@"; do
      if [ "$a" = --json ]; then
        JSON_SEQ=$((JSON_SEQ + 1))
        local f="$HVK_JSON_DIR/$(basename "$0" .sh)-$JSON_SEQ.json"
        mkdir -p "$HVK_JSON_DIR" && cp "$TMP/out" "$f" && echo "$* (exit $RC)" > "$f.cmd"
        break
      fi
    done
  fi
}

expect_exit() {
  local want=$1; shift
  CHECKS=$((CHECKS + 1))
  run "$@"
  if [ "$RC" != "$want" ]; then
    fail "exit $RC (want $want): $*"; sed 's/^/  stderr: /' "$TMP/err" | head -5 >&2
  fi
}

expect_stdout_has() {
  local pat=$1; shift
  CHECKS=$((CHECKS + 1))
  run "$@"
  grep -qF -- "$pat" "$TMP/out" || { fail "stdout lacks '$pat': $*"; head -20 "$TMP/out" >&2; }
}

expect_stderr_has() {
  local pat=$1; shift
  CHECKS=$((CHECKS + 1))
  run "$@"
  grep -qF -- "$pat" "$TMP/err" || { fail "stderr lacks '$pat': $*"; head -5 "$TMP/err" >&2; }
}

# expect_eq NAME GOT WANT
expect_eq() {
  CHECKS=$((CHECKS + 1))
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

skip() { echo "SKIP: $*"; exit 77; }

finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed"
  [ "$FAILS" = 0 ]
}
