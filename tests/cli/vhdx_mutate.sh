#!/usr/bin/env bash
# Structure-aware mutation sweep (fixtures/gen_mutate.py through
# tests/cli/helpers/mutate_run.py): 300 mutated images (BAT entries, metadata
# items, header and region table fields, checksums fixed up) from four base
# images, fixed seed. The reader and the writer must agree on every one: a
# file the reader refuses is refused by `vhdx write` and left byte-identical;
# a file it accepts is written correctly (no new check error, content as
# expected) or refused byte-identical.
. "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null || skip "python3 missing"
# Writes flush several times each: a RAM-backed directory keeps that cheap.
W=$TMP/mut
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  W=$(mktemp -d /dev/shm/hvk-mutate.XXXXXX)
  trap 'rm -rf "$TMP" "$W"' EXIT
fi
run python3 "$HVK_SRC/tests/cli/helpers/mutate_run.py" "$VHDX" "$W" 300 20261202
CHECKS=$((CHECKS + 1))
[ "$RC" = 0 ] || { fail "mutate_run.py exits $RC"; grep -E "DISAGREE|Error|error" "$TMP/out" "$TMP/err" | head -20 >&2; }
tail -1 "$TMP/out"
expect_eq "mutations run" "$(tail -1 "$TMP/out" | sed -n 's/^mutations \([0-9]*\):.*/\1/p')" 300
expect_eq "disagreements" "$(tail -1 "$TMP/out" | sed -n 's/.*disagreements \([0-9]*\)$/\1/p')" 0
finish
