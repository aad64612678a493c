#!/usr/bin/env bash
# Recovery points restore / apply / points / verify --base / seal,
# checked against tests/hrl_gen.py, an HRL generator written independently from
# the spec that prints the expected SHA-256 and tree digest of every point.
# Readers used to read results back: our `vhdx cat`, libvhdi (differencing,
# parent set through its API), qemu-img (flattened), sha256sum (raw apply).
# Many small files are written and flushed: on tmpfs fsync is free, keeping
# the test well under a minute (TMPDIR is honoured by lib.bash).
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"

[ -n "${HRL:-}" ] || skip "no hrl program"
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || skip "qemu-img/qemu-io not installed"
GEN="$HVK_SRC/tests/hrl_gen.py"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # no version-manager shim: starts 10x faster
[ -f "$GEN" ] || skip "tests/hrl_gen.py not present"
cd "$TMP"

# ---- a qemu-made base with some data, its raw image and GUID ----
qemu-img create -q -f vhdx -o subformat=dynamic base.vhdx 32M
qemu-io -f vhdx -c "write -P 0x5a 0 3M" -c "write -P 0x11 20M 1M" -c "write -P 0x33 31M 512k" base.vhdx >/dev/null
qemu-img convert -O raw base.vhdx base.raw
G=$("$VHDX" info --json base.vhdx 2>/dev/null | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p')
[ -n "$G" ] || G=$($PY - <<'EOF'
import struct, uuid
f = open("base.vhdx", "rb")
best = None
for off in (65536, 131072):
    f.seek(off); h = f.read(64)
    if h[:4] == b"head":
        seq = struct.unpack_from("<Q", h, 8)[0]
        if best is None or seq > best[0]:
            best = (seq, h[32:48])
print("{%s}" % uuid.UUID(bytes_le=best[1]))
EOF
)
$PY "$GEN" --out-dir logs --base-raw base.raw --vhd2-guid "$G" --logs 3 --writes-per-log 120 \
  --seed 7 --data-checksum computed >/dev/null || { fail "hrl_gen.py failed"; finish; exit 1; }
# Expected values per point, read once: WANT_SHA[k], WANT_TREE[k], log UniqueIds.
eval "$($PY - <<'EOF'
import json
m = json.load(open("logs/manifest.json"))
for p in m["points"]:
    print("WANT_SHA[%d]=%s WANT_TREE[%d]=%s" % (p["k"], p["sha256"], p["k"], p["tree_digest"]))
for i, l in enumerate(m["logs"]):
    print("LOGID[%d]='%s'" % (i + 1, l["unique_id"]))
EOF
)"
BASE_SHA=$(sha base.vhdx) RAW_SHA=$(sha base.raw)

# ---- points ----
expect_exit 0 "$HRL" points --base base.vhdx logs
expect_stdout_has "ok logs/log3.hrl" "$HRL" points --base base.vhdx logs
expect_stdout_has '"usable": 3' "$HRL" points --json --base base.vhdx logs/log3.hrl logs/log1.hrl logs/log2.hrl

# tree digest of a raw image, computed independently in the shell
tree_of() { # tree_of RAWFILE
  rm -rf pieces && mkdir pieces && split -b 1M -a 4 "$1" pieces/p.
  local hex; hex=$(sha256sum pieces/p.* | cut -c1-64 | tr -d '\n')
  printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | sha256sum | cut -d' ' -f1
}

# ---- restore every point: differencing, flattened, and apply on a raw copy ----
have_vhdi=0
/usr/bin/python3 -c "import pyvhdi" 2>/dev/null && have_vhdi=1
cat >vhdi_sha.py <<'EOF'
import hashlib, sys, pyvhdi
p = pyvhdi.file(); p.open(sys.argv[2])
c = pyvhdi.file(); c.open(sys.argv[1]); c.set_parent(p)
h = hashlib.sha256(); size = c.get_media_size(); off = 0
while off < size:
    n = min(1 << 20, size - off); h.update(c.read_buffer_at_offset(n, off)); off += n
print(h.hexdigest())
EOF
"$HRL" verify --base base.vhdx --digest logs >verify.out 2>&1
expect_eq "verify --digest exit" "$?" 0
for k in 0 1 2 3; do
  W=${WANT_SHA[$k]}
  expect_exit 0 "$HRL" restore --base base.vhdx --out "p$k.vhdx" --point $k logs
  "$VHDX" cat "p$k.vhdx" >"p$k.raw"
  expect_eq "point $k: vhdx cat of differencing child" "$(sha "p$k.raw")" "$W"
  expect_exit 0 "$VHDX" check "p$k.vhdx"
  if [ $have_vhdi = 1 ] && [ $k != 0 ]; then
    # libvhdi (spec 14.2) reads NOT_PRESENT blocks of a chunk without a sector
    # bitmap from the wrong place. Points 1..3 have partial blocks, so their
    # chunk's bitmap is present and libvhdi reads right; point 0 (an empty
    # child, no bitmap) hits the bug, so it is not compared.
    expect_eq "point $k: libvhdi read of differencing child" \
      "$(/usr/bin/python3 vhdi_sha.py "p$k.vhdx" base.vhdx 2>&1)" "$W"
  fi
  expect_exit 0 "$HRL" restore --base base.vhdx --out "f$k.vhdx" --point $k --flatten logs
  qemu-img convert -O raw "f$k.vhdx" "f$k.raw"
  expect_eq "point $k: qemu-img read of flattened image" "$(sha "f$k.raw")" "$W"
  cp base.raw "d$k.raw"
  expect_exit 0 "$HRL" apply --target "d$k.raw" --guid "$G" --point $k logs
  expect_eq "point $k: apply on a raw copy" "$(sha "d$k.raw")" "$W"
  # tree digests: hrl verify --digest = vhdx digest = shell = generator
  T=$(tree_of "p$k.raw")
  expect_eq "point $k: generator tree digest" "$T" "${WANT_TREE[$k]}"
  expect_eq "point $k: hrl verify --digest" "$(awk -v k=$k '$1=="point" && $2==k {print $6}' verify.out)" "$T"
  expect_eq "point $k: vhdx digest" "$("$VHDX" digest "p$k.vhdx" | awk '{print $2}')" "$T"
  rm -f "p$k.raw" "f$k.raw" "d$k.raw"
done
expect_eq "base untouched by restores" "$(sha base.vhdx)" "$BASE_SHA"
expect_exit 2 "$HRL" restore --base base.vhdx --out p1.vhdx --point 1 logs   # exists: refused
expect_exit 2 "$HRL" restore --base base.vhdx --out x.vhdx --point 9 logs    # no such point
expect_exit 0 "$HRL" restore --base base.vhdx --out u.vhdx --log "${LOGID[2]}" logs
mkdir -p gz && for f in logs/log1.hrl logs/log2.hrl; do gzip -c "$f" >"gz/$(basename "$f").gz"; done
cp logs/log3.hrl gz/   # a mixed directory: .hrl.gz and .hrl
expect_exit 0 "$HRL" restore --base base.vhdx --out gz.vhdx gz
expect_eq ".hrl.gz logs" "$("$VHDX" cat gz.vhdx | sha256sum | cut -d' ' -f1)" "${WANT_SHA[3]}"
# generator times: log k's writes at 2024-01-01T00:0k:00Z onwards, under a minute each
expect_exit 0 "$HRL" restore --base base.vhdx --out until.vhdx --until 2024-01-01T00:03:00Z logs
expect_eq "--until selects point 2" "$("$VHDX" cat until.vhdx | sha256sum | cut -d' ' -f1)" "${WANT_SHA[2]}"
expect_eq "--log selects point 2" "$("$VHDX" cat u.vhdx | sha256sum | cut -d' ' -f1)" "${WANT_SHA[2]}"

# ---- apply into a VHDX in place (through its log) ----
cp base.vhdx tv.vhdx
expect_exit 0 "$HRL" apply --target tv.vhdx --point 2 logs
expect_eq "apply into a VHDX: point 2" "$("$VHDX" cat tv.vhdx | sha256sum | cut -d' ' -f1)" "${WANT_SHA[2]}"
expect_exit 0 "$VHDX" check tv.vhdx
TV_SHA=$(sha tv.vhdx)
# its first write gave it a new DataWriteGuid (VHDX rule): the next log needs --ignore-guid
expect_exit 1 "$HRL" apply --target tv.vhdx logs/log3.hrl
expect_eq "refused apply leaves the VHDX" "$(sha tv.vhdx)" "$TV_SHA"
expect_exit 0 "$HRL" apply --target tv.vhdx --ignore-guid logs/log3.hrl
expect_eq "apply into a VHDX: point 3" "$("$VHDX" cat tv.vhdx | sha256sum | cut -d' ' -f1)" "${WANT_SHA[3]}"

# ---- seal, and a manifest checked against an altered payload ----
expect_exit 0 "$HRL" seal --base base.vhdx logs -o sealed.txt
expect_exit 0 "$HRL" verify --base base.vhdx --manifest sealed.txt logs
mkdir -p alt && cp logs/*.hrl alt/
# Alter the last entry of log 2 (never superseded inside log 2): +1 on one
# byte, -1 on another, so its byte-sum DataChecksum still matches ("fixed up").
$PY - <<'EOF'
import json
m = json.load(open("logs/manifest.json"))
e = m["logs"][1]["entry_list"][-1]
with open("alt/log2.hrl", "r+b") as f:
    f.seek(e["file_offset"]); b = bytearray(f.read(e["length"]))
    i = next(i for i in range(len(b)) if b[i] < 255)
    j = next(j for j in range(len(b)) if j != i and b[j] > 0)
    b[i] += 1; b[j] -= 1
    f.seek(e["file_offset"]); f.write(b)
EOF
expect_exit 1 "$HRL" verify --base base.vhdx --manifest sealed.txt alt
expect_stdout_has "manifest: point 2 differs" "$HRL" verify --base base.vhdx --manifest sealed.txt alt
expect_exit 0 "$HRL" verify --base base.vhdx alt   # structurally sound: only the digest tells

# ---- every bad input is refused before anything is written ----
head -c 4096 /dev/urandom >blk
U1=${LOGID[1]}
refused() { # refused NAME LOGS...: restore and apply both exit 1 and change nothing
  local name=$1; shift
  cp base.raw disk.raw
  expect_exit 1 "$HRL" restore --base base.vhdx --out bad.vhdx "$@"
  [ -e bad.vhdx ] && fail "$name: restore left bad.vhdx"
  expect_exit 1 "$HRL" restore --base base.vhdx --out bad.vhdx --flatten "$@"
  [ -e bad.vhdx ] && fail "$name: flatten left bad.vhdx"
  ls .bad.vhdx.* >/dev/null 2>&1 && fail "$name: temporary file left"
  expect_exit 1 "$HRL" apply --target disk.raw --guid "$G" "$@"
  expect_eq "$name: disk untouched" "$(sha disk.raw)" "$RAW_SHA"
  expect_eq "$name: base untouched" "$(sha base.vhdx)" "$BASE_SHA"
  rm -f bad.vhdx
}
mkdir -p corrupt && cp logs/*.hrl corrupt/
$PY - <<'EOF'
import json
e = json.load(open("logs/manifest.json"))["logs"][1]["entry_list"][5]
with open("corrupt/log2.hrl", "r+b") as f:
    f.seek(e["file_offset"] + 7); b = f.read(1); f.seek(e["file_offset"] + 7); f.write(bytes([b[0] ^ 0xff]))
EOF
refused "corrupt payload" corrupt
expect_stderr_has "data-checksum" "$HRL" restore --base base.vhdx --out bad.vhdx corrupt
refused "gap in the chain" logs/log1.hrl logs/log3.hrl
"$HRL" make --writes <(echo "0 blk") -o fork.hrl --previous "$U1" --vhd2-guid "$G" >/dev/null
refused "forked chain" logs/log1.hrl logs/log2.hrl fork.hrl
"$HRL" make --writes <(echo "0 blk") -o other.hrl --vhd2-guid "{0badc0de-0000-4000-8000-000000000001}" >/dev/null
refused "guid mismatch" other.hrl
expect_stderr_has "guid-mismatch" "$HRL" restore --base base.vhdx --out bad.vhdx other.hrl
expect_exit 0 "$HRL" restore --base base.vhdx --out ig.vhdx --ignore-guid other.hrl
# a later log whose Vhd2DataWriteGuid differs from the chain's (offline change between logs)
"$HRL" make --writes <(echo "4096 blk") -o g2.hrl --previous "$U1" \
  --vhd2-guid "{0badc0de-0000-4000-8000-000000000002}" >/dev/null
refused "guid change inside the chain" logs/log1.hrl g2.hrl
expect_stderr_has "differs from the chain's" "$HRL" restore --base base.vhdx --out bad.vhdx logs/log1.hrl g2.hrl
"$HRL" make --writes <(echo "33554432 blk") -o beyond.hrl --vhd2-guid "$G" >/dev/null
refused "entry beyond the virtual size" beyond.hrl
expect_stderr_has "entry-range" "$HRL" restore --base base.vhdx --out bad.vhdx beyond.hrl
"$HRL" make --writes <(echo "100:512 blk") -o misaligned.hrl --vhd2-guid "$G" >/dev/null
refused "misaligned entry" misaligned.hrl
expect_exit 1 "$HRL" verify --base base.vhdx corrupt
expect_exit 1 "$HRL" points --base base.vhdx corrupt
expect_stdout_has "problems corrupt/log2.hrl" "$HRL" points --base base.vhdx corrupt
expect_stdout_has "unusable corrupt/log3.hrl" "$HRL" points --base base.vhdx corrupt

# ---- a base with 4096-byte logical sectors: bitmaps per 4 KiB, 512-byte entries refused ----
truncate -s 16M k0.raw
head -c 1M /dev/urandom | dd of=k0.raw bs=1M seek=2 conv=notrunc status=none
"$VHDX" convert --logical-sector 4096 k0.raw k.vhdx >/dev/null
G4=$("$VHDX" info --json k.vhdx 2>/dev/null | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p')
cp k0.raw k1.raw
head -c 8192 /dev/urandom | dd of=k1.raw bs=4096 seek=100 conv=notrunc status=none
head -c 4096 /dev/urandom | dd of=k1.raw bs=4096 seek=700 conv=notrunc status=none
"$HRL" make --from k0.raw --to k1.raw -o k1.hrl --vhd2-guid "$G4" >/dev/null
expect_exit 0 "$HRL" restore --base k.vhdx --out kc.vhdx k1.hrl
expect_eq "4K sectors: differencing child" "$("$VHDX" cat kc.vhdx | sha256sum | cut -c1-64)" "$(sha k1.raw)"
[ $have_vhdi = 1 ] && expect_eq "4K sectors: libvhdi" "$(/usr/bin/python3 vhdi_sha.py kc.vhdx k.vhdx 2>&1)" "$(sha k1.raw)"
printf '512:512 k1.raw\n' >k.list
"$HRL" make --writes k.list -o k512.hrl --vhd2-guid "$G4" >/dev/null
expect_exit 1 "$HRL" restore --base k.vhdx --out kbad.vhdx k512.hrl
expect_stderr_has "entry-alignment" "$HRL" restore --base k.vhdx --out kbad.vhdx k512.hrl
finish
