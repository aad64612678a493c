#!/usr/bin/env bash
# hrl_gen.sh: logs written by tests/hrl_gen.py (an independent generator
# written from the spec, sharing no code with libhrl) must verify clean, form
# one chain, dump exactly the generator's write list, and replay to the disk
# digest the generator recorded.
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] || skip "hrl not built"
# In sanitizer builds a report must not pass for exit 1 ("input has problems").
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
GEN="$HVK_SRC/tests/hrl_gen.py"
[ -f "$GEN" ] || skip "tests/hrl_gen.py not present"
cd "$TMP" || exit 2

# compare_dump LOG MANIFEST INDEX: dump --csv vs the manifest's entry_list
compare_dump() {
  "$HRL" dump --csv "$1" > dump.csv 2>dump.err || { fail "dump $1 exit $?"; return; }
  python3 - "$2" "$3" dump.csv <<'PY' || fail "dump of $1 differs from the generator's write list"
import csv, json, sys
m = json.load(open(sys.argv[1]))
log = m["logs"][int(sys.argv[2])]
want = [(e["byte_offset"], e["length"], e["file_offset"], "ok" if e["data_checksum"] else "none")
        for e in log["entry_list"]]
rows = list(csv.DictReader(open(sys.argv[3])))
got = [(int(r["disk_offset"]), int(r["length"]), int(r["payload_offset"]), r["data_checksum"])
       for r in rows]
bad = [r for r in rows if r["entry_checksum"] != "ok"]
blocks = sorted({int(r["block_offset"]) for r in rows})
want_blocks = sorted(b["offset"] for b in log["metadata_blocks"] if b["entries"])
if got != want or bad or blocks != want_blocks:
    print("got %d rows, want %d; first diff:" % (len(got), len(want)),
          next(((g, w) for g, w in zip(got, want) if g != w), None), file=sys.stderr)
    sys.exit(1)
PY
}

run_set() { # NAME GENERATOR-ARGS...
  local name=$1; shift
  mkdir -p "$name"
  python3 "$GEN" --out-dir "$name" "$@" >/dev/null || { fail "hrl_gen.py $*"; return; }
}

# 1. a chain of 3 with mixed DataChecksums, 1 KiB metadata blocks
run_set a --size 4M --logs 3 --writes-per-log 100 --seed 11 --data-checksum mixed --metadata-size 1024
expect_exit 0 "$HRL" verify a/log3.hrl a/log1.hrl a/log2.hrl
grep -qxF "chain: ok: a/log1.hrl a/log2.hrl a/log3.hrl" "$TMP/out" || fail "chain order of a/"
for k in 0 1 2; do compare_dump "a/log$((k + 1)).hrl" a/manifest.json $k; done
# replaying log 1 over zeros gives the generator's point 1
size=$(python3 -c 'import json; print(json.load(open("a/manifest.json"))["virtual_size"])')
expect_exit 0 "$HRL" extract a/log1.hrl --range 0:$size -o disk1.raw
want=$(python3 -c 'import json; print(json.load(open("a/manifest.json"))["points"][1]["sha256"])')
expect_eq "replay of log1" "$(sha disk1.raw)" "$want"
expect_exit 0 "$HRL" info --json a/log2.hrl
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); m = json.load(open("a/manifest.json"))["logs"][1]
print(d["header"]["unique_id"] == m["unique_id"], d["header"]["previous_unique_id"] == m["previous_unique_id"],
      d["entries"] == m["entries"], d["header"]["eol_location"] == m["eol"],
      d["metadata_blocks"] == len(m["metadata_blocks"]), d["verdict"])' "$TMP/out")
expect_eq "info vs manifest" "$got" "True True True True True ok"

# 2. gzip, 8 KiB metadata blocks, computed DataChecksums, slack after EOL, no empty first block
run_set b --size 4M --logs 2 --writes-per-log 150 --seed 5 --gzip --metadata-size 8192 \
  --data-checksum computed --slack 5000 --no-empty-first-block --full-hash-limit 1M
expect_exit 0 "$HRL" verify b/log1.hrl.gz b/log2.hrl.gz
for k in 0 1; do compare_dump "b/log$((k + 1)).hrl.gz" b/manifest.json $k; done

# 3. the last log never closed: plain verify reports it, --salvage recovers every entry
run_set c --size 4M --logs 2 --writes-per-log 120 --seed 9 --unclosed-last --data-checksum computed
expect_exit 0 "$HRL" verify c/log1.hrl
expect_exit 1 "$HRL" verify c/log2.hrl
grep -qF "[unclosed at 0x2c]" "$TMP/err" || fail "unclosed not reported"
expect_exit 1 "$HRL" verify --salvage c/log2.hrl
grep -qE "salvaged [0-9]+ metadata blocks, 120 entries, .* 0 bytes lost" "$TMP/out" || fail "salvage of c/log2"
"$HRL" dump --csv --salvage c/log2.hrl > /dev/null 2>&1
[ $? = 1 ] || fail "dump --salvage of an unclosed log should exit 1"

# 4. the spec example layout
run_set d --spec-example
expect_exit 0 "$HRL" verify d/spec_example.hrl
expect_stdout_has "ok (2 metadata blocks, 58 entries, 320000 bytes written)" "$HRL" verify d/spec_example.hrl
finish
