#!/usr/bin/env bash
# Untrusted VHDX: the adversarial corpus (tests/corpus/vhdx) and files with a
# corrupt region table or metadata. A writable open (write, relink, merge,
# replay) runs the reader's whole validation first, so a file the reader
# refuses is refused and stays byte-identical; structures past the end of the
# file are never overwritten by new blocks; a log never grows a file beyond
# what its metadata can address; text output escapes control characters;
# a FIFO named by a locator does not hang.
. "$(dirname "$0")/lib.bash"

C=$HVK_SRC/tests/corpus/vhdx
cd "$TMP" || exit 1
for f in "$C"/*.gz; do b=$(basename "$f" .gz); zcat "$f" >"$b"; done
python3 -c "import random,sys; sys.stdout.buffer.write(random.Random(7).randbytes(3*1048576))" >in3m
head -c 4096 in3m >in4k

# unchanged FILE CMD...: CMD exits $WANT and FILE keeps its SHA-256.
unchanged() {
  local want=$1 file=$2; shift 2
  local before; before=$(sha "$file")
  expect_exit "$want" "$@"
  expect_eq "$* leaves $file unchanged" "$(sha "$file")" "$before"
}

# ---- placement of the log whatever LogGuid says (header 2 puts it at 2^50)
expect_exit 1 "$VHDX" check log-offset-2p50.vhdx
expect_stdout_has "header at 0x20048: log at 0x4000000000000+0x100000 ends beyond the 0x2500000 bytes this image can use" \
  "$VHDX" check log-offset-2p50.vhdx
unchanged 1 log-offset-2p50.vhdx "$VHDX" write log-offset-2p50.vhdx 0 in4k
unchanged 1 log-offset-2p50.vhdx "$VHDX" write log-offset-2p50.vhdx 0 --discard 1048576
unchanged 1 log-offset-2p50.vhdx "$VHDX" replay log-offset-2p50.vhdx

# ---- descriptors past LastFileOffset make the entry invalid: nothing grows
for f in log_zero_4g log_zero_huge log_desc_beyond_2p50; do
  expect_exit 1 "$VHDX" check $f.vhdx
  expect_stdout_has "beyond the entry's last file offset 0x500000; no valid log sequence, log treated as clean" \
    "$VHDX" check $f.vhdx
  expect_stdout_has "file size:            5242880" "$VHDX" info $f.vhdx
  expect_stdout_has "log is clean, nothing to replay" "$VHDX" replay --dry-run $f.vhdx
  expect_exit 0 "$VHDX" replay $f.vhdx
  expect_eq "$f size after replay" "$(stat -c %s $f.vhdx)" 5242880
  expect_exit 0 "$VHDX" write $f.vhdx 0 in4k
  expect_eq "$f size after write (block 0 is allocated)" "$(stat -c %s $f.vhdx)" 5242880
  expect_stdout_has "0 errors" "$VHDX" check $f.vhdx
done
# A LastFileOffset past what the image can use: refused, nothing written.
expect_stdout_has "log entry at 0x100038: last file offset 0x2000000000000 beyond the 0xd00000 bytes this image can use" \
  "$VHDX" check log_last_offset_huge.vhdx
unchanged 1 log_last_offset_huge.vhdx "$VHDX" replay log_last_offset_huge.vhdx
unchanged 1 log_last_offset_huge.vhdx "$VHDX" replay --dry-run log_last_offset_huge.vhdx
unchanged 1 log_last_offset_huge.vhdx "$VHDX" write log_last_offset_huge.vhdx 0 in4k
expect_eq "log_last_offset_huge size" "$(stat -c %s log_last_offset_huge.vhdx)" 5242880

# ---- 4,000 zero descriptors over one range: the invalid original and a valid
# one (ends at LastFileOffset); opening is O(n log n), far under a second.
expect_stdout_has "descriptor 0 writes up to 0x4400000, beyond the entry's last file offset 0x1400000" \
  "$VHDX" check log-4000-zero-descriptors.vhdx
V=log-4000-zero-descriptors-valid.vhdx
start=$(date +%s%N)
expect_stdout_has "  descriptors:        0 data, 4000 zero (67108864000 bytes)" "$VHDX" info $V
ms=$(( ($(date +%s%N) - start) / 1000000 ))
CHECKS=$((CHECKS + 1)); [ "$ms" -lt 1000 ] || fail "info on 4000 zero descriptors took $ms ms"
expect_stdout_has "would change:       4096 sectors, 0 BAT entries, file growth 0 bytes" "$VHDX" info $V
"$VHDX" cat $V >before.raw
expect_stdout_has "would replay 1 log entry: 0 data sectors, 67108864000 bytes zeroed" "$VHDX" replay --dry-run $V
expect_exit 0 "$VHDX" replay $V
expect_stdout_has "log state:            clean" "$VHDX" info $V
"$VHDX" cat $V >after.raw
expect_eq "replayed content = in-memory replay" "$(sha after.raw)" "$(sha before.raw)"
expect_eq "replayed file size" "$(stat -c %s $V)" 20971520

# ---- memory: a 4 GiB metadata region is refused by its length, not read
expect_stdout_has "region table at 0x30048: metadata region of 4293918720 bytes above the 33554432 bytes hvkit accepts" \
  "$VHDX" check amp.vhdx
unchanged 1 amp.vhdx "$VHDX" write amp.vhdx 0 in4k

# ---- new blocks never land on structures placed past the end of the file
for f in hdr_log_beyond_eof_clean64 region_unknown_beyond_eof64; do
  expect_exit 0 "$VHDX" check $f.vhdx
  expect_exit 0 "$VHDX" write $f.vhdx 1048576 in3m
  expect_stdout_has "0 errors, 0 problems listed" "$VHDX" check $f.vhdx
  "$VHDX" cat $f.vhdx | tail -c +1048577 | head -c 3145728 >got.raw
  expect_eq "$f data written" "$(sha got.raw)" "$(sha in3m)"
done
# The log at 16+2 MiB and the unknown region at 10+1 MiB lie past the end of
# their files: the three new 1 MiB blocks start after them.
expect_eq "log kept: file size" "$(stat -c %s hdr_log_beyond_eof_clean64.vhdx)" $(( (18 + 3) * 1048576 ))
expect_eq "unknown region kept: file size" "$(stat -c %s region_unknown_beyond_eof64.vhdx)" $(( (11 + 3) * 1048576 ))

# ---- terminal escapes from locator values are printed escaped
for cmd in info chain check; do
  run "$VHDX" $cmd esc.avhdx
  CHECKS=$((CHECKS + 1))
  if cat "$TMP/out" "$TMP/err" | grep -q $'\x1b'; then fail "$cmd prints a raw ESC"; fi
  CHECKS=$((CHECKS + 1))
  cat "$TMP/out" "$TMP/err" | grep -qF '\x1b]0;pwned\x07\x1b[2J\x1b[31mparent.vhdx' ||
    fail "$cmd does not show the escaped value"
done

# ---- a corrupt region table or metadata: every writable open refuses
"$VHDX" create p.vhdx --size 8M --block-size 1M >/dev/null
"$VHDX" write p.vhdx 0 in3m
"$VHDX" create c.vhdx --parent p.vhdx >/dev/null
"$VHDX" write c.vhdx 1048576 in4k
cp c.vhdx c-good.vhdx
cp p.vhdx p-good.vhdx
# corrupt_at FILE OFFSET: one byte flipped (a signature: no checksum to fix)
corrupt_at() { printf '\xff' | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none; }
cp c-good.vhdx c.vhdx; corrupt_at c.vhdx 0x30000; corrupt_at c.vhdx 0x40000   # both region tables
unchanged 1 c.vhdx "$VHDX" check c.vhdx
unchanged 1 c.vhdx "$VHDX" write c.vhdx 0 in4k
unchanged 1 c.vhdx "$VHDX" relink c.vhdx --parent p.vhdx
unchanged 1 c.vhdx "$VHDX" merge c.vhdx --keep-child
unchanged 1 c.vhdx "$VHDX" replay c.vhdx
expect_eq "merge left the parent" "$(sha p.vhdx)" "$(sha p-good.vhdx)"
cp c-good.vhdx c.vhdx; corrupt_at c.vhdx 0x200000                              # metadata signature
unchanged 1 c.vhdx "$VHDX" check c.vhdx
expect_stdout_has "metadata table at 0x200000: bad signature" "$VHDX" check c.vhdx
unchanged 1 c.vhdx "$VHDX" write c.vhdx 0 in4k
unchanged 1 c.vhdx "$VHDX" relink c.vhdx --parent p.vhdx
unchanged 1 c.vhdx "$VHDX" merge c.vhdx --keep-child
unchanged 1 c.vhdx "$VHDX" replay c.vhdx
# A corrupt parent: merge refuses (2: the parent cannot be used, as for every
# chain command) and neither file changes.
cp c-good.vhdx c.vhdx; corrupt_at p.vhdx 0x200000
unchanged 2 c.vhdx "$VHDX" merge c.vhdx --keep-child
expect_eq "merge left the corrupt parent" "$(sha p.vhdx)" "$(cmp -s p.vhdx p-good.vhdx; sha p.vhdx)"
cp p-good.vhdx p.vhdx
# A pending log over a corrupt metadata region: refused before the header
# update (the writer used to rewrite headers before parsing metadata).
zcat "$C/log-4000-zero-descriptors-valid.vhdx.gz" >pend.vhdx
corrupt_at pend.vhdx 0x200000
unchanged 1 pend.vhdx "$VHDX" write pend.vhdx 0 in4k
unchanged 1 pend.vhdx "$VHDX" replay pend.vhdx

# ---- a FIFO named by a parent locator: refused at once, naming the path
mkdir fifo && "$VHDX" create fifo/p.vhdx --size 8M >/dev/null &&
  "$VHDX" create fifo/c.vhdx --parent fifo/p.vhdx >/dev/null && rm fifo/p.vhdx && mkfifo fifo/p.vhdx
expect_exit 2 timeout 5 "$VHDX" check fifo/c.vhdx
expect_stdout_has "'fifo/p.vhdx': open: not a regular file (a FIFO)" timeout 5 "$VHDX" check fifo/c.vhdx
expect_exit 2 timeout 5 "$VHDX" chain fifo/c.vhdx
expect_exit 2 timeout 5 "$VHDX" info fifo/p.vhdx
expect_stderr_has "'fifo/p.vhdx': is a FIFO, not a VHDX image" timeout 5 "$VHDX" info fifo/p.vhdx

finish
