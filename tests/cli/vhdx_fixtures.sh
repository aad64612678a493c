#!/usr/bin/env bash
# fixtures/gen_vhdx.py's standard set (an independent Python writer): fixed,
# dynamic, 512/4096-byte sectors, chains 3 deep with PARTIALLY_PRESENT blocks,
# dirty logs (wrap/split/simple), a dirty child. Every file must read to the
# generator's expected SHA-256, check clean, and be left unmodified.
# Cross-check: where libvhdi is right (spec 14.2: clean base images), its
# vhdiinfo must agree with our geometry.
. "$(dirname "$0")/lib.bash"

GEN=$HVK_SRC/fixtures/gen_vhdx.py
[ -f "$GEN" ] || skip "fixtures/gen_vhdx.py not present"
python3 "$GEN" --fixtures "$TMP/fx" >/dev/null 2>&1 || { fail "gen_vhdx.py --fixtures failed"; finish; exit; }
cd "$TMP/fx" || exit 1

python3 - "$VHDX" <<'PY' >"$TMP/list"
import json, sys
for path, v in sorted(json.load(open("fixtures.json")).items()):
    print(path, v["sha256"], v["type"], v["logical_sector_size"], len(v.get("layers", [])))
PY
n=0
while read -r path want type lss depth; do
  n=$((n + 1))
  before=$(sha "$path")
  expect_eq "cat $path" "$("$VHDX" cat "$path" | sha256sum | cut -d' ' -f1)" "$want"
  expect_exit 0 "$VHDX" check "$path"
  expect_stdout_has "logical sector size:  $lss" "$VHDX" info "$path"
  if [ "$depth" -ge 2 ]; then
    "$VHDX" chain --json "$path" >"$TMP/chain.json"
    expect_eq "chain depth $path" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["layers"]))' "$TMP/chain.json")" "$depth"
  fi
  case "$path" in dirty_*|dirtychain/child/*) expect_stdout_has "replay pending" "$VHDX" info "$path" ;; esac
  expect_eq "$path unchanged" "$(sha "$path")" "$before"
done <"$TMP/list"
expect_eq "fixtures read" "$([ "$n" -ge 15 ] && echo yes)" yes

# 3-deep chains with 512 and 4096-byte sectors, found through --search-path
# after moving the middle layer away from where relative_path points.
for c in chain512 chain4096; do
  want=$(python3 -c 'import json,sys; print(json.load(open("fixtures.json"))[sys.argv[1]]["sha256"])' "$c/layers/grand/gc.vhdx")
  mkdir -p "$TMP/elsewhere/$c"
  mv "$c/layers/child/child.vhdx" "$TMP/elsewhere/$c/"
  expect_exit 2 "$VHDX" cat "$c/layers/grand/gc.vhdx"
  expect_stderr_has "parent not found; tried: '$c/layers/grand/../child/child.vhdx' (relative_path)" "$VHDX" cat "$c/layers/grand/gc.vhdx"
  expect_eq "$c via --search-path" "$("$VHDX" cat --search-path "$TMP/elsewhere/$c" --search-path "$c/base" "$c/layers/grand/gc.vhdx" | sha256sum | cut -d' ' -f1)" "$want"
  mv "$TMP/elsewhere/$c/child.vhdx" "$c/layers/child/"
done

# libvhdi cross-check on clean base images (it ignores logs and mis-reads
# fixed images beyond one chunk, spec 14.2; these are single-chunk, clean).
if command -v vhdiinfo >/dev/null; then
  for f in dynamic512.vhdx dynamic4096.vhdx fixed512.vhdx; do
    vs=$("$VHDX" info --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_size"])')
    vhdiinfo "$f" >"$TMP/vi" 2>&1
    CHECKS=$((CHECKS + 1))
    grep -q "$vs bytes" "$TMP/vi" || fail "vhdiinfo disagrees on $f size $vs: $(grep -i 'media size' "$TMP/vi")"
  done
fi
finish
