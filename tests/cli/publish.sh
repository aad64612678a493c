#!/usr/bin/env bash
# publish.sh: every command that creates a file refuses an existing output
# (exit 2, the file unchanged) and leaves no temporary file behind.
source "$(dirname "$0")/lib.bash"
cd "$TMP"
head -c $((4 << 20)) /dev/urandom > s0.raw
cp s0.raw s1.raw; head -c 4096 /dev/zero | dd of=s1.raw bs=4096 seek=9 conv=notrunc 2>/dev/null
"$VHDX" convert s0.raw base.vhdx >/dev/null
G=$("$VHDX" info --json base.vhdx | sed -n 's/.*"data_write_guid": *"\([^"]*\)".*/\1/p')
"$HRL" make --from s0.raw --to s1.raw --vhd2-guid "$G" -o l1.hrl >/dev/null

echo "precious" > existing.img
KEEP=$(sha existing.img)
check_refuses() { # NAME CMD...: CMD would write existing.img
  local name=$1; shift
  expect_exit 2 "$@"
  grep -qF "existing.img" "$TMP/err" || fail "$name: the message does not name existing.img"
  expect_eq "$name leaves existing.img unchanged" "$(sha existing.img)" "$KEEP"
}
check_refuses "vhdx create" "$VHDX" create existing.img --size 16M
check_refuses "vhdx convert" "$VHDX" convert s0.raw existing.img
check_refuses "hrl make" "$HRL" make --from s0.raw --to s1.raw -o existing.img
check_refuses "hrl restore" "$HRL" restore --base base.vhdx --out existing.img l1.hrl
check_refuses "hrl seal" "$HRL" seal --base base.vhdx -o existing.img l1.hrl
expect_eq "no temporary files left" "$(ls -A | grep -c '^\.')" 0
finish
