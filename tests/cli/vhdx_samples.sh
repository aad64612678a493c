#!/usr/bin/env bash
# Real third-party VHDX samples ($HVK_SAMPLES, see its README.md): every
# virtual disk must hash to ground-truth.tsv; the dirty-log sample must be
# replayed in memory without touching the file; the differencing sample must
# fail clearly without its parent and read right with a substituted one.
. "$(dirname "$0")/lib.bash"

[ -n "${HVK_SAMPLES:-}" ] && [ -f "$HVK_SAMPLES/ground-truth.tsv" ] ||
  skip "no samples at '${HVK_SAMPLES:-}'"

vsha() { python3 "$HVK_SRC/tests/cli/helpers/sha256.py" "$@"; }

unpack() { # unpack FILE MEMBER OUT
  case "$1" in
  *.bz2) bzip2 -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.gz) gzip -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.zip) unzip -p "$HVK_SAMPLES/$1" "$2" >"$3" ;;
  esac
}

while IFS=$'\t' read -r file member producer type vsize bsize lss pss exercises hash; do
  [ "$file" = file ] && continue
  out=$TMP/$(basename "$file" | sed 's/\.\(bz2\|gz\|zip\)$//')
  [ "$member" != - ] && out=$TMP/$member
  unpack "$file" "$member" "$out"
  case "$file" in *differencing*) DIFF=$out; continue ;; esac
  before=$(sha "$out")
  expect_eq "cat $file" "$("$VHDX" cat "$out" | vsha)" "$hash"
  if [ "$vsize" -le 1073741824 ] && [ -z "${DID_SPARSE:-}" ]; then
    DID_SPARSE=1 # one regular-file (sparse output) run is enough
    "$VHDX" cat "$out" >"$TMP/disk.raw"
    expect_eq "cat to a regular file (sparse) $file" "$(vsha "$TMP/disk.raw")" "$hash"
    expect_eq "size $file" "$(stat -c %s "$TMP/disk.raw")" "$vsize"
    rm -f "$TMP/disk.raw"
  fi
  expect_exit 0 "$VHDX" check "$out"
  expect_stdout_has "block size:           $bsize" "$VHDX" info "$out"
  expect_stdout_has "logical sector size:  $lss" "$VHDX" info "$out"
  expect_stdout_has "physical sector size: $pss" "$VHDX" info "$out"
  expect_exit 0 "$VHDX" map "$out"
  case "$file" in
  *dirtylog*)
    expect_stdout_has "replay pending" "$VHDX" info "$out"
    expect_stdout_has "6 stale entries ignored" "$VHDX" info "$out"
    expect_stdout_has '"bat_entries_changed": 1' "$VHDX" info --json "$out"
    expect_stdout_has "FULLY_PRESENT       18" "$VHDX" info "$out"
    expect_eq "dirty log file unchanged" "$(sha "$out")" "$before"
    ;;
  *disk2vhd*)
    expect_stdout_has "sequence" "$VHDX" info "$out"
    ;;
  esac
  rm -f "$out"
done <"$HVK_SAMPLES/ground-truth.tsv"

# Differencing sample, parent absent: exit 2 naming every path tried.
[ -n "${DIFF:-}" ] || { fail "no differencing sample"; finish; exit; }
expect_exit 0 "$VHDX" info "$DIFF"
expect_stdout_has "present sectors:      6200" "$VHDX" info "$DIFF"
expect_stdout_has "parent_linkage = {ff34003b-11ed-4cf8-a166-b2be05e20b80}" "$VHDX" info "$DIFF"
for cmd in chain cat map; do
  expect_exit 2 "$VHDX" $cmd "$DIFF"
  expect_stderr_has "parent chain" "$VHDX" $cmd "$DIFF"
  expect_stderr_has "parent not found; tried: '$TMP/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx' (relative_path)" "$VHDX" $cmd "$DIFF"
done
expect_exit 2 "$VHDX" check "$DIFF"   # a missing parent: 2, as chain, cat and map say
mkdir -p "$TMP/srv/Virtual hard disks" "$TMP/search"
expect_stderr_has "'$TMP/srv/Virtual hard disks/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx' (absolute_win32_path via map)" \
  "$VHDX" cat --map 'c:\users\public\documents\hyper-v\='"$TMP/srv/" "$DIFF"
expect_stderr_has "'$TMP/search/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx' (relative_path via search-path)" \
  "$VHDX" cat --search-path "$TMP/search" "$DIFF"

# An all-zero 8 GiB parent carrying the linkage GUID, found four ways.
command -v qemu-img >/dev/null || { finish; exit; }
PARENT="$TMP/parent.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic "$PARENT" 8G
python3 "$HVK_SRC/tests/cli/helpers/vhdx_set_guid.py" "$PARENT" '{ff34003b-11ed-4cf8-a166-b2be05e20b80}'
WANT=fc5c91bfd8f7ee388cf482dc7eb6cef64b39a7e1bd043516ee95887b839f2b78
cp "$PARENT" "$TMP/search/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx"
expect_stdout_has "(from relative_path via search-path; identity: parent_linkage)" "$VHDX" chain --search-path "$TMP/search" "$DIFF"
mv "$TMP/search/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx" "$TMP/srv/Virtual hard disks/"
expect_stdout_has "(from absolute_win32_path via map; identity: parent_linkage)" "$VHDX" chain --map 'C:\Users\Public\Documents\Hyper-V\='"$TMP/srv/" "$DIFF"
mv "$TMP/srv/Virtual hard disks/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx" "$TMP/"
expect_eq "chain via relative_path" "$("$VHDX" cat "$DIFF" | vsha)" "$WANT"
expect_exit 0 "$VHDX" chain "$DIFF"
expect_stdout_has "(from relative_path via locator; identity: parent_linkage)" "$VHDX" chain "$DIFF"
expect_exit 0 "$VHDX" check "$DIFF"
# 6200 sectors in the child, the rest from the parent.
child=$("$VHDX" map --json "$DIFF" | python3 -c 'import json, sys; print(sum(r["length"] for r in json.load(sys.stdin)["runs"] if r["layer"] == 0) // 512)')
expect_eq "sectors served by the child" "$child" 6200
# Identity mismatch is refused unless ignored.
python3 "$HVK_SRC/tests/cli/helpers/vhdx_set_guid.py" "$TMP/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx" '{00000000-0000-0000-0000-000000000001}'
expect_exit 2 "$VHDX" cat "$DIFF"
expect_stderr_has "parent does not match" "$VHDX" cat "$DIFF"
finish
