#!/usr/bin/env bash
# hrl_make_vhdx.sh: `hrl make --from OLD --to NEW` with VHDX images and chains
# (and raw/VHDX mixes): the log replayed over OLD must give NEW byte for byte,
# and hold exactly the writes a raw/raw diff of the same disks gives.
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] && [ -n "${VHDX:-}" ] || skip "hrl or vhdx not built"
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$TMP" || exit 2
T=1600000000
MiB=1048576

# put FILE OFFSET LEN BYTE: overwrite LEN bytes at OFFSET with BYTE (hex).
put() { head -c "$3" /dev/zero | tr '\0' "\\$(printf '%03o' "0x$4")" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# OLD: 8 MiB, data in MiB 0 and MiB 5, zeros elsewhere (unallocated once
# converted with 1 MiB blocks).
head -c $((8 * MiB)) /dev/zero > old.raw
put old.raw 0 $MiB 41
put old.raw $((5 * MiB)) 4096 42
cp old.raw new.raw
put new.raw 1536 512 61                          # one sector inside data
put new.raw $((2 * MiB - 700)) 1900 62           # a run across a chunk boundary
put new.raw $((6 * MiB + 512 * 3)) 5000 63       # into a block OLD never allocated
put new.raw $((5 * MiB + 1024)) 512 00           # back to zeros inside data
"$VHDX" convert --block-size 1M old.raw old.vhdx >/dev/null || fail "convert old"
"$VHDX" convert --block-size 1M new.raw new.vhdx >/dev/null || fail "convert new"
want=$(sha new.raw)

# the reference: raw/raw
expect_exit 0 "$HRL" make --from old.raw --to new.raw -o rr.hrl --time $T
"$HRL" dump --csv rr.hrl | cut -d, -f4,5 > rr.csv

# VHDX/VHDX: same writes; restore over OLD gives NEW
expect_exit 0 "$HRL" make --from old.vhdx --to new.vhdx -o vv.hrl --time $T
"$HRL" dump --csv vv.hrl | cut -d, -f4,5 > vv.csv
cmp -s rr.csv vv.csv || { fail "vhdx/vhdx writes != raw/raw writes"; diff rr.csv vv.csv >&2; }
expect_eq "vv writes" "$(tail -n +2 vv.csv | tr '\n' ' ')" \
  "1536,512 2096128,2560 5243904,512 6292992,5120 "
expect_exit 0 "$HRL" restore --base old.vhdx --out p.vhdx --point 1 vv.hrl
expect_eq "restore of vv.hrl" "$("$VHDX" cat p.vhdx | sha256sum | cut -d' ' -f1)" "$want"
# the default Vhd2DataWriteGuid is OLD's DataWriteGuid: another one is refused
expect_exit 0 "$HRL" make --from old.vhdx --to new.vhdx -o g.hrl --time $T \
  --vhd2-guid '{11111111-2222-3333-4444-555555555555}'
expect_exit 1 "$HRL" restore --base old.vhdx --out g.vhdx --point 1 g.hrl
[ ! -e g.vhdx ] || fail "refused restore left g.vhdx"

# mixes: raw OLD + VHDX NEW (applied to a raw copy of OLD), VHDX OLD + raw NEW
expect_exit 0 "$HRL" make --from old.raw --to new.vhdx -o rv.hrl --time $T
"$HRL" dump --csv rv.hrl | cut -d, -f4,5 > rv.csv
cmp -s rr.csv rv.csv || fail "raw/vhdx writes != raw/raw writes"
cp old.raw t.raw
expect_exit 0 "$HRL" apply --target t.raw rv.hrl
expect_eq "apply of rv.hrl" "$(sha t.raw)" "$want"
expect_exit 0 "$HRL" make --from old.vhdx --to new.raw -o vr.hrl --time $T
expect_exit 0 "$HRL" restore --base old.vhdx --out q.vhdx --point 1 vr.hrl
expect_eq "restore of vr.hrl" "$("$VHDX" cat q.vhdx | sha256sum | cut -d' ' -f1)" "$want"

# identical images: an empty log
expect_exit 0 "$HRL" make --from old.vhdx --to old.raw -o same.hrl --time $T
expect_stdout_has "same2.hrl: 0 writes, 0 bytes" "$HRL" make --from old.raw --to old.vhdx \
  -o same2.hrl --time $T

# NEW a differencing chain whose parent moved: found only with --search-path
mkdir pa pb
cp old.vhdx pa/base.vhdx
"$VHDX" create child.vhdx --parent pa/base.vhdx >/dev/null || fail "create child"
head -c 3072 /dev/zero | tr '\0' 'k' > k3.bin
"$VHDX" write child.vhdx $((3 * MiB)) k3.bin >/dev/null || fail "write child"
mv pa/base.vhdx pb/
expect_exit 2 "$HRL" make --from old.vhdx --to child.vhdx -o c.hrl --time $T
[ ! -e c.hrl ] || fail "failed make left c.hrl"
expect_exit 0 "$HRL" make --from old.vhdx --to child.vhdx --search-path pb -o c.hrl --time $T
expect_exit 0 "$HRL" dump --csv c.hrl
expect_eq "chain writes" "$(cut -d, -f4,5 "$TMP/out" | tail -n +2)" "3145728,3072"
expect_exit 0 "$HRL" restore --base old.vhdx --out c.vhdx --point 1 c.hrl
expect_eq "restore of c.hrl" "$("$VHDX" cat c.vhdx | sha256sum | cut -d' ' -f1)" \
  "$("$VHDX" cat --search-path pb child.vhdx | sha256sum | cut -d' ' -f1)"

# sizes must match once a VHDX is involved
head -c $((4 * MiB)) /dev/zero > small.raw
"$VHDX" convert --block-size 1M small.raw small.vhdx >/dev/null || fail "convert small"
expect_exit 2 "$HRL" make --from old.vhdx --to small.vhdx -o e.hrl
expect_stderr_has "sizes must match" "$HRL" make --from old.vhdx --to small.vhdx -o e.hrl
expect_exit 2 "$HRL" make --from small.raw --to new.vhdx -o e.hrl
expect_exit 2 "$HRL" make --from old.vhdx --to small.raw -o e.hrl
[ ! -e e.hrl ] || fail "size mismatch left e.hrl"
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary log left behind"
expect_stdout_has "OLD's DataWriteGuid" "$HRL" make --help
expect_stdout_has "--search-path DIR" "$HRL" make --help

finish
