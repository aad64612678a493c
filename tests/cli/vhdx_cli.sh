#!/usr/bin/env bash
# The vhdx commands' conventions: --help for each, usage errors exit 2, the HRL
# probe hint, JSON that parses, sparse/regular/pipe output of cat agreeing.
. "$(dirname "$0")/lib.bash"

for c in info check map cat chain; do
  expect_exit 0 "$VHDX" $c --help
  expect_stdout_has "usage: vhdx $c" "$VHDX" $c --help
  expect_exit 2 "$VHDX" $c
  expect_exit 2 "$VHDX" $c --bogus x
done
expect_stdout_has "--search-path DIR" "$VHDX" cat --help
expect_stdout_has "--map WIN=LOCAL" "$VHDX" chain --help
expect_exit 2 "$VHDX" cat --map nonsense x.vhdx

printf 'msctlog\0\1\0\0\0%4088s' "" >"$TMP/x.hrl"
expect_exit 2 "$VHDX" info "$TMP/x.hrl"
expect_stderr_has "this looks like a Hyper-V Replica log; try 'hrl info'" "$VHDX" info "$TMP/x.hrl"
expect_exit 2 "$VHDX" check "$TMP/x.hrl"
expect_exit 2 "$VHDX" info "$TMP/absent.vhdx"
expect_exit 2 "$VHDX" check "$TMP/absent.vhdx"

command -v qemu-img >/dev/null || { finish; exit; }
img=$TMP/a.vhdx
qemu-img create -q -f vhdx -o block_size=1M "$img" 64M
qemu-io -f vhdx -c "write -P 0x42 1000 3000000" "$img" >/dev/null
for c in info map check chain; do
  "$VHDX" $c --json "$img" >"$TMP/j" 2>&1
  CHECKS=$((CHECKS + 1))
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/j" 2>/dev/null || fail "$c --json is not JSON"
done
expect_stdout_has '"errors": 0' "$VHDX" check --json "$img"
# cat: to a pipe, to a regular file (sparse), appended to a non-empty file.
"$VHDX" cat "$img" | cat >"$TMP/p.raw"
"$VHDX" cat "$img" >"$TMP/f.raw"
printf 'X' >"$TMP/a.raw"; "$VHDX" cat "$img" >>"$TMP/a.raw"
expect_eq "pipe = file" "$(sha "$TMP/p.raw")" "$(sha "$TMP/f.raw")"
expect_eq "appended" "$(tail -c +2 "$TMP/a.raw" | sha256sum | cut -d' ' -f1)" "$(sha "$TMP/f.raw")"
expect_eq "sparse output" "$([ "$(du -k "$TMP/f.raw" | cut -f1)" -lt 16384 ] && echo yes)" yes
finish
