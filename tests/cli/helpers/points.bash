# points.bash: a recovery-point scenario for the serve/mount tests, built the
# way restore.sh builds it: a qemu-made 32 MiB base.vhdx, three logs from
# tests/hrl_gen.py in logs/, WANT_SHA[k] the generator's SHA-256 of point k,
# G the base's DataWriteGuid. Also corrupt/ (log2 payload damaged) and
# other.hrl (a foreign log: another Vhd2DataWriteGuid). Run in the test's $TMP.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
points_setup() {
  qemu-img create -q -f vhdx -o subformat=dynamic base.vhdx 32M
  qemu-io -f vhdx -c "write -P 0x5a 0 3M" -c "write -P 0x11 20M 1M" base.vhdx >/dev/null
  qemu-img convert -O raw base.vhdx base.raw
  G=$("$VHDX" info --json base.vhdx 2>/dev/null |
    sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p')
  [ -n "$G" ] || return 1
  $PY "$HVK_SRC/tests/hrl_gen.py" --out-dir logs --base-raw base.raw --vhd2-guid "$G" --logs 3 \
    --writes-per-log 80 --seed 11 --data-checksum computed >/dev/null || return 1
  eval "$($PY - <<'PYEOF'
import json
m = json.load(open("logs/manifest.json"))
for p in m["points"]:
    print("WANT_SHA[%d]=%s" % (p["k"], p["sha256"]))
e = m["logs"][1]["entry_list"][5]
print("CORRUPT_AT=%d" % (e["file_offset"] + 7))
PYEOF
)"
  mkdir -p corrupt && cp logs/*.hrl corrupt/
  $PY -c 'import sys
with open("corrupt/log2.hrl", "r+b") as f:
    o = int(sys.argv[1]); f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xff]))' "$CORRUPT_AT"
  head -c 4096 /dev/urandom >blk
  "$HRL" make --writes <(echo "0 blk") -o other.hrl --vhd2-guid "{0badc0de-0000-4000-8000-000000000001}" >/dev/null
}

# inputs_sha: one line per input file and its SHA-256, to show nothing was written.
inputs_sha() { sha256sum base.vhdx logs/*.hrl corrupt/*.hrl other.hrl "$@"; }
