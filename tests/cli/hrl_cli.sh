#!/usr/bin/env bash
# hrl_cli.sh: every `hrl` command on logs made by `hrl make`: exit codes and
# exact outputs (layouts worked out by hand in the comments).
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] || skip "hrl not built"
# In sanitizer builds a report must not pass for exit 1 ("input has problems").
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$TMP" || exit 2

# Patches a header field (little-endian) and re-seals the header checksum.
patch_header() { # FILE OFFSET WIDTH VALUE
  python3 - "$@" <<'PY'
import struct, sys
path, off, width, val = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
b = bytearray(open(path, 'rb').read())
b[off:off + width] = val.to_bytes(width, 'little')
b[40:44] = b'\0\0\0\0'
b[40:44] = struct.pack('<I', (~sum(b[:4096])) & 0xffffffff)
open(path, 'wb').write(b)
PY
}

UID1='{11111111-2222-3333-4444-555555555555}'
UID2='{66666666-2222-3333-4444-555555555555}'
VHD2='{b9be5c57-f8be-5503-98bb-6c44faf9ac87}'
T=1600000000   # 2020-09-13T12:26:40Z
head -c 4096 /dev/zero | tr '\0' A > a.bin
head -c 2048 /dev/zero | tr '\0' B > b.bin
head -c 512 /dev/zero | tr '\0' C > c.bin
printf '# offset file\n0 a.bin\n8192:1024 b.bin\nflush\n2048 c.bin\n' > list

# --help everywhere
for c in info dump verify extract timeline make version; do expect_exit 0 "$HRL" $c --help; done
expect_stdout_has "usage: hrl make" "$HRL" make --help
# each --help synopsis is the one the usage error prints
for c in info dump verify extract timeline make; do
  h=$("$HRL" $c --help | head -1)
  u=$("$HRL" $c --no-such-option 2>&1 >/dev/null | grep '^usage:')
  expect_eq "$c synopsis" "$u" "$h"
done

# Layout: header 0..4096 | a 4096..8192 | b 8192..9216 | block 9216 | c 13312..13824 | block 13824 | EOL 17920
expect_exit 0 "$HRL" make --writes list -o x.hrl --time $T --unique-id $UID1 --vhd2-guid $VHD2
expect_eq "make output" "$(cat "$TMP/out")" "x.hrl: 3 writes, 5632 bytes, unique id $UID1"
expect_eq "size" "$(stat -c %s x.hrl)" 17920
expect_exit 2 "$HRL" make --writes list -o x.hrl            # exists
expect_exit 2 "$HRL" make --writes list                      # no -o
expect_exit 2 "$HRL" make --from a.bin -o q.hrl              # no --to
expect_exit 2 "$HRL" make --writes list -o q.hrl --metadata-size 100
printf '0 missing.bin\n' > badlist
expect_exit 2 "$HRL" make --writes badlist -o q.hrl
[ -e q.hrl ] && fail "q.hrl left behind"; ls q.hrl.tmp.* 2>/dev/null && fail "temporary left behind"

# info
expect_exit 0 "$HRL" info x.hrl
for want in "eol location:          17920" "metadata blocks:       2" "entries:               3" \
            "bytes written:         5632" "distinct bytes:        5120" \
            "first write:           2020-09-13T12:26:40Z" "created:               2020-09-13T12:26:40Z" \
            "unique id:             $UID1" "vhd2 data write guid:  $VHD2" "verdict:               ok"; do
  grep -qF -- "$want" "$TMP/out" || fail "info lacks '$want'"
done
expect_exit 0 "$HRL" info --json x.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); h=d["header"]; print(h["eol_location"], h["metadata_size"], h["total_metadata_entries"], h["version_major"], d["metadata_blocks"], d["entries"], d["bytes_written"], d["distinct_bytes"], d["verdict"], h["unique_id"], len(d["problems"]))' "$TMP/out")
expect_eq "info --json" "$got" "17920 4096 3 2 2 3 5632 5120 ok $UID1 0"

# dump
expect_exit 0 "$HRL" dump --csv x.hrl
cat > want.csv <<'CSV'
index,block_offset,slot,disk_offset,length,timestamp,payload_offset,entry_checksum,data_checksum
0,9216,0,0,4096,2020-09-13T12:26:40Z,4096,ok,ok
1,9216,1,8192,1024,2020-09-13T12:26:40Z,8192,ok,ok
2,13824,0,2048,512,2020-09-13T12:26:40Z,13312,ok,ok
CSV
cmp -s "$TMP/out" want.csv || { fail "dump --csv differs"; diff "$TMP/out" want.csv >&2; }
expect_exit 0 "$HRL" dump --json x.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(";".join("%d,%d,%d,%d" % (e["index"], e["disk_offset"], e["length"], e["payload_offset"]) for e in d["entries"]))' "$TMP/out")
expect_eq "dump --json" "$got" "0,0,4096,4096;1,8192,1024,8192;2,2048,512,13312"
expect_exit 0 "$HRL" dump x.hrl
expect_exit 2 "$HRL" dump --csv --json x.hrl

# verify
expect_exit 0 "$HRL" verify x.hrl
expect_eq "verify" "$(cat "$TMP/out")" "x.hrl: ok (2 metadata blocks, 3 entries, 5632 bytes written)"
expect_exit 2 "$HRL" verify no-such.hrl
expect_exit 2 "$HRL" verify

# extract
expect_exit 0 "$HRL" extract x.hrl --entry 1 -o e1.bin
cmp -s e1.bin <(head -c 1024 b.bin) || fail "extract --entry 1"
"$HRL" extract x.hrl --entry 2 > e2.bin; cmp -s e2.bin c.bin || fail "extract --entry 2 to stdout"
expect_exit 2 "$HRL" extract x.hrl --entry 3
expect_exit 2 "$HRL" extract x.hrl
expect_exit 0 "$HRL" extract x.hrl --range 0:8192 -o r.bin
python3 -c 'import sys; sys.stdout.buffer.write(b"A"*2048 + b"C"*512 + b"A"*1536 + b"\0"*4096)' > want.bin
cmp -s r.bin want.bin || fail "extract --range 0:8192 content"
grep -qxF "covered: 0:4096" "$TMP/err" || fail "extract coverage line"
grep -qxF "covered 4096 of 8192 bytes" "$TMP/err" || fail "extract coverage total"
expect_exit 0 "$HRL" extract --json x.hrl --range 4000:5000 -o r2.bin
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["covered_bytes"], [(c["offset"], c["length"]) for c in d["covered"]])' "$TMP/out")
expect_eq "extract --json" "$got" "904 [(4000, 96), (8192, 808)]"
expect_exit 2 "$HRL" extract --json x.hrl --range 0:10

# timeline
expect_exit 0 "$HRL" timeline x.hrl
grep -qE "^2020-09-13T12:26:40Z +3 +5632$" "$TMP/out" || fail "timeline bucket"
expect_exit 0 "$HRL" timeline --json --per minute x.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["writes"], d["bytes"], [(b["time"], b["writes"], b["bytes"]) for b in d["buckets"]], [(r["offset"], r["bytes"], r["writes"]) for r in d["hottest_regions"]])' "$TMP/out")
expect_eq "timeline --json" "$got" "3 5632 [('2020-09-13T12:26:00Z', 3, 5632)] [(0, 5632, 3)]"
expect_exit 2 "$HRL" timeline --per hour x.hrl

# damage: a payload byte of entry 0 (file offset 4096 + 100)
cp x.hrl bad.hrl
printf 'Z' | dd of=bad.hrl bs=1 seek=4196 conv=notrunc status=none
expect_exit 1 "$HRL" verify bad.hrl
grep -qF "hrl: 'bad.hrl': payload of metadata entry 0 of block at 0x2400: data checksum" "$TMP/err" ||
  fail "data checksum message"; grep -qF "[data-checksum at 0x1000]" "$TMP/err" || fail "data checksum kind/offset"
expect_exit 1 "$HRL" verify --json bad.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["files"][0]["problems"][0]; print(d["ok"], p["code"], p["offset"])' "$TMP/out")
expect_eq "verify --json" "$got" "False data-checksum 4096"
expect_exit 1 "$HRL" info bad.hrl
expect_exit 1 "$HRL" extract bad.hrl --entry 0 -o bad0.bin
grep -qF "[data-checksum at 0x1000]" "$TMP/err" || fail "extract checks the payload it copies"
expect_exit 0 "$HRL" extract bad.hrl --entry 1 -o bad1.bin     # other payloads are not its business
expect_exit 1 "$HRL" extract bad.hrl --range 0:512 -o bad2.bin
expect_exit 1 "$HRL" dump --csv bad.hrl
grep -qF "0,9216,0,0,4096,2020-09-13T12:26:40Z,4096,ok,bad" "$TMP/out" || fail "dump shows the bad payload"

# an entry checksum: byte 2 of entry 1 of the first block (0x2400 + 64 + 2)
cp x.hrl bad2.hrl
printf '\x77' | dd of=bad2.hrl bs=1 seek=$((9216 + 66)) conv=notrunc status=none
expect_exit 1 "$HRL" verify bad2.hrl
grep -qE "metadata entry 1 of block at 0x2400: checksum 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8} \[entry-checksum at 0x2448\]" "$TMP/err" ||
  fail "entry checksum message"

# never closed: EOLLocation 0
cp x.hrl open.hrl; patch_header open.hrl 44 8 0
expect_exit 1 "$HRL" verify open.hrl
expect_stderr_has "[unclosed at 0x2c]" "$HRL" verify open.hrl
expect_exit 1 "$HRL" verify --salvage open.hrl
grep -qF "open.hrl: salvaged 2 metadata blocks, 3 entries, 5632 bytes written, log ends at 17920; 0 bytes lost" "$TMP/out" ||
  fail "salvage summary"
"$HRL" dump --csv --salvage open.hrl > salv.csv 2>/dev/null
cmp -s salv.csv want.csv || fail "salvaged dump differs"
# torn: cut inside the second batch
head -c 13500 x.hrl > torn.hrl
expect_exit 1 "$HRL" verify torn.hrl
expect_exit 1 "$HRL" verify --salvage torn.hrl
grep -qF "torn.hrl: salvaged 1 metadata blocks, 2 entries, 5120 bytes written, log ends at 13312; 188 bytes lost" "$TMP/out" ||
  { fail "torn salvage summary"; cat "$TMP/out" >&2; }

# not a log: exit 2, as every command answers for input of another format
{ printf 'vhdxfile'; head -c 8192 /dev/zero; } > disk.vhdx
expect_exit 2 "$HRL" info disk.vhdx
expect_stderr_has "this looks like a VHDX image; try 'vhdx info'" "$HRL" info disk.vhdx
expect_exit 2 "$HRL" verify disk.vhdx
head -c 100 /dev/zero > tiny
expect_exit 2 "$HRL" verify tiny

# gzip
gzip -k x.hrl
expect_exit 0 "$HRL" info x.hrl.gz
expect_stdout_has "file:                  x.hrl.gz (gzip)" "$HRL" info x.hrl.gz
"$HRL" dump --csv x.hrl.gz > gz.csv; cmp -s gz.csv want.csv || fail "gzip dump differs"

# chains
expect_exit 0 "$HRL" make --writes list -o y.hrl --time $((T + 60)) --unique-id $UID2 --previous $UID1 --vhd2-guid $VHD2
expect_exit 0 "$HRL" verify y.hrl x.hrl
grep -qxF "chain: ok: x.hrl y.hrl" "$TMP/out" || fail "chain order"
expect_exit 0 "$HRL" make --writes list -o z.hrl --time $T --previous '{99999999-2222-3333-4444-555555555555}' --vhd2-guid $VHD2
expect_exit 1 "$HRL" verify x.hrl y.hrl z.hrl
grep -qF "hrl: 'z.hrl': log chain: previous log {99999999-2222-3333-4444-555555555555} is missing [chain-gap at 0x2]" "$TMP/err" ||
  fail "chain gap"
expect_exit 2 "$HRL" verify tiny y.hrl x.hrl     # one file not a log: the others still chain
grep -qxF "chain: ok: x.hrl y.hrl" "$TMP/out" || fail "chain over the files that opened"
expect_exit 0 "$HRL" make --writes list -o w.hrl --time $T --previous $UID1 --vhd2-guid $VHD2
expect_exit 1 "$HRL" verify x.hrl y.hrl w.hrl
grep -qF "[chain-fork at 0x2]" "$TMP/err" || fail "chain fork"
expect_exit 1 "$HRL" verify x.hrl x.hrl
grep -qF "[chain-duplicate at 0x1]" "$TMP/err" || fail "chain duplicate"
expect_exit 0 "$HRL" make --writes list -o v.hrl --time $T --previous $UID1
expect_exit 1 "$HRL" verify x.hrl v.hrl
grep -qF "[chain-foreign at 0x1]" "$TMP/err" || fail "chain foreign"
expect_exit 0 "$HRL" timeline x.hrl y.hrl
grep -qE "^2020-09-13T12:27:40Z +3 +5632$" "$TMP/out" || fail "timeline over two logs"

# distinct bytes through the spill path of the interval union (tiny buffer)
{ echo "0 a.bin"; for i in $(seq 0 99); do echo "$((i * 8192)) c.bin"; done; echo "0 a.bin"; } > many
expect_exit 0 "$HRL" make --writes many -o many.hrl --time $T
expect_stdout_has "distinct bytes:        54784" "$HRL" info many.hrl
HVK_TEST_IVSET_CAP=16 expect_stdout_has "distinct bytes:        54784" "$HRL" info many.hrl
expect_exit 1 "$HRL" verify --salvage --json open.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["files"][0]; print(d["lost_bytes"], [(b["offset"], b["data_start"], b["entries"]) for b in d["recovered_blocks"]], [p["code"] for p in d["problems"]])' "$TMP/out")
expect_eq "salvage --json" "$got" "0 [(9216, 4096, 2), (13824, 13312, 1)] ['unclosed']"

# from/to raw images: sectors 1 and 8..9 differ, and 2 sectors past OLD's end
head -c 65536 /dev/zero > old.raw
cp old.raw new.raw
printf 'x' | dd of=new.raw bs=1 seek=700 conv=notrunc status=none
printf 'yy' | dd of=new.raw bs=1 seek=4097 conv=notrunc status=none
printf 'z' | dd of=new.raw bs=1 seek=4700 conv=notrunc status=none
printf 'w' | dd of=new.raw bs=1 seek=66000 status=none   # grows NEW to 66001 bytes
expect_exit 0 "$HRL" make --from old.raw --to new.raw -o d.hrl --time $T --metadata-size 8192 \
  --no-data-checksum --empty-first-block
"$HRL" dump --csv d.hrl | cut -d, -f4,5,9 > d.csv
printf 'disk_offset,length,data_checksum\n512,512,none\n4096,1024,none\n65536,465,none\n' > want_d.csv
cmp -s d.csv want_d.csv || { fail "make --from/--to entries"; diff d.csv want_d.csv >&2; }
expect_exit 0 "$HRL" info --json d.hrl
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["header"]["metadata_size"], d["metadata_blocks"], d["entries"])' "$TMP/out")
expect_eq "make options" "$got" "8192 2 3"
expect_exit 0 "$HRL" extract d.hrl --range 0:66001 -o back.raw
cmp -s back.raw new.raw || fail "replay of d.hrl over zeros != new.raw"
expect_exit 1 "$HRL" make --from disk.vhdx --to new.raw -o e.hrl   # a damaged (truncated) VHDX

finish
