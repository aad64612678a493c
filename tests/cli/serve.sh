#!/usr/bin/env bash
# The nbdkit plugin (tools/serve): every export read whole with nbdcopy must
# hash like `vhdx cat` / `hrl restore --flatten` / the generator's manifest;
# qemu-img map over it must agree with `vhdx map`; bad logs are refused before
# the export opens, as `hrl restore` refuses them; no input is ever written.
# Each nbdkit runs under `timeout` with a private socket (nbdkit -U - --run),
# which nbdkit removes when it exits.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.bash"

for t in nbdkit nbdcopy qemu-img qemu-io; do
  command -v $t >/dev/null || skip "$t not installed (apt-get install nbdkit libnbd-bin qemu-utils)"
done
[ -n "${HRL:-}" ] || skip "no hrl program"
PLUGIN=$(find "$HVK_BUILD" -name nbdkit-hvkit-plugin.so -print -quit)
[ -n "$PLUGIN" ] || skip "nbdkit plugin not built (install nbdkit-plugin-dev)"
# An ASan build's plugin needs the sanitizer runtimes loaded first into nbdkit.
PRELOAD=$(ldd "$PLUGIN" | awk '/libasan|libubsan/ { printf "%s ", $3 }')
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export VSHA="$HVK_SRC/tests/cli/helpers/sha256.py"
vsha() { python3 "$VSHA" "$@"; }

# nbd ARGS... -- CMD: serve the plugin with ARGS, run CMD (sh -c, $uri set), 120 s at most.
nbd() {
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  # the sanitizer runtimes are for nbdkit only, not for the clients --run starts
  LD_PRELOAD="$PRELOAD" timeout 120 nbdkit -U - "$PLUGIN" "${args[@]}" --run "unset LD_PRELOAD; $1"
}
nbd_sha() { nbd "$@" 'nbdcopy "$uri" - | python3 "$VSHA"'; }

cd "$TMP"

# ---- real samples: small ones, and the dirty-log one (replayed in memory only) ----
unpack() { # unpack FILE MEMBER OUT
  case "$1" in
  *.bz2) bzip2 -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.gz) gzip -dc "$HVK_SAMPLES/$1" >"$3" ;;
  *.zip) unzip -p "$HVK_SAMPLES/$1" "$2" >"$3" ;;
  esac
}
if [ -f "${HVK_SAMPLES:-}/ground-truth.tsv" ]; then
  while IFS=$'\t' read -r file member producer type vsize bsize lss pss exercises hash; do
    [ "$file" = file ] || [ "$hash" = - ] && continue
    case "$file" in *dirtylog*) ;; *) [ "$vsize" -le 1073741824 ] || continue ;; esac
    out=s.vhdx
    unpack "$file" "$member" "$out"
    before=$(sha "$out")
    case "$file" in
    *dirtylog*) # 10 GiB: byte-compare with `vhdx cat` (vhdx_samples.sh holds it to the hash)
      nbd file="$out" -- 'nbdcopy "$uri" served.raw'
      "$VHDX" cat "$out" >cat.raw
      CHECKS=$((CHECKS + 1))
      cmp -s served.raw cat.raw || fail "nbd $file differs from vhdx cat"
      rm -f served.raw cat.raw ;;
    *) expect_eq "nbd $file" "$(nbd_sha file="$out" --)" "$hash" ;;
    esac
    "$VHDX" map --json "$out" >ours.json
    nbd file="$out" -- 'qemu-img map -f raw --output=json "$uri"' >qemu.json 2>/dev/null
    CHECKS=$((CHECKS + 1))
    python3 "$HVK_SRC/tests/cli/helpers/map_cmp.py" ours.json qemu.json >/dev/null || fail "map $file differs"
    expect_eq "$file unchanged by serving" "$(sha "$out")" "$before"
    rm -f "$out"
  done <"$HVK_SAMPLES/ground-truth.tsv"
else
  echo "note: no samples at '${HVK_SAMPLES:-}', skipping that part"
fi

# ---- a differencing chain: child over a parent found with search-path= ----
qemu-img create -q -f vhdx -o subformat=dynamic par.vhdx 64M
qemu-io -f vhdx -c "write -P 0x21 0 5M" -c "write -P 0x22 40M 2M" par.vhdx >/dev/null
"$VHDX" create kid.avhdx --parent par.vhdx >/dev/null
head -c 1536 /dev/urandom >k1 && head -c 3M /dev/urandom >k2
"$VHDX" write kid.avhdx 4096 k1 >/dev/null && "$VHDX" write kid.avhdx 39M k2 >/dev/null
mkdir -p away && mv par.vhdx away/
CHAIN_SHA=$(sha kid.avhdx)
expect_eq "nbd chain" "$(nbd_sha file=kid.avhdx search-path=away --)" \
  "$("$VHDX" cat --search-path away kid.avhdx | vsha)"
"$VHDX" map --json --search-path away kid.avhdx >ours.json
nbd file=kid.avhdx search-path=away -- 'qemu-img map -f raw --output=json "$uri"' >qemu.json 2>/dev/null
CHECKS=$((CHECKS + 1))
python3 "$HVK_SRC/tests/cli/helpers/map_cmp.py" ours.json qemu.json >/dev/null || fail "map of the chain differs"
expect_eq "chain unchanged" "$(sha kid.avhdx)" "$CHAIN_SHA"
run nbd file=kid.avhdx -- 'true'
expect_eq "parent missing: refused" "$RC" 1
CHECKS=$((CHECKS + 1))
grep -qF "parent not found" "$TMP/err" || fail "parent missing: message lacks 'parent not found'"

# ---- writable=: writes land in a new child of the chain, nothing else changes ----
expect_exit 0 nbd file=kid.avhdx search-path=away writable=ov.avhdx -- \
  'qemu-io -f raw -c "write -P 0x77 1000 70000" -c "write -P 0x66 50M 4096" "$uri" >/dev/null &&
   qemu-io -f raw -c "read -P 0x77 1000 70000" "$uri" | grep -q "^read 70000"'
"$VHDX" cat --search-path away kid.avhdx >want.raw
python3 -c 'import sys
f = open("want.raw", "r+b"); f.seek(1000); f.write(b"\x77" * 70000); f.seek(50 << 20); f.write(b"\x66" * 4096)'
expect_eq "overlay reads as the chain plus the writes" "$("$VHDX" cat --search-path away ov.avhdx | vsha)" "$(vsha want.raw)"
expect_stdout_has "parent: ./kid.avhdx (from relative_path via locator" "$VHDX" chain --search-path away ov.avhdx
expect_eq "chain untouched by writable=" "$(sha kid.avhdx)" "$CHAIN_SHA"
expect_exit 0 "$VHDX" check --search-path away ov.avhdx
expect_exit 1 nbd file=kid.avhdx search-path=away writable=ov.avhdx -- true   # exists: refused
rm -f want.raw

# ---- recovery points: every point, by number and by time ----
. "$HVK_SRC/tests/cli/helpers/points.bash"
points_setup || { fail "points setup failed"; finish; exit 1; }
inputs_sha >in.before
for k in 0 1 2 3; do
  expect_eq "nbd point $k" "$(nbd_sha base=base.vhdx logs=logs point=$k --)" "${WANT_SHA[$k]}"
  [ "$k" = 0 ] && continue
  "$HRL" restore --base base.vhdx --out "f$k.vhdx" --point $k --flatten logs >/dev/null
  expect_eq "nbd point $k = restore --flatten" "${WANT_SHA[$k]}" "$("$VHDX" cat "f$k.vhdx" | vsha)"
  rm -f "f$k.vhdx"
done
expect_eq "nbd last point (default)" "$(nbd_sha base=base.vhdx logs=logs/log1.hrl,logs/log2.hrl,logs/log3.hrl --)" \
  "${WANT_SHA[3]}"
expect_eq "nbd until=@0 is the base" "$(nbd_sha base=base.vhdx logs=logs until=@0 --)" "${WANT_SHA[0]}"
run nbd base=base.vhdx logs=logs point=2 -- 'nbdinfo "$uri"'
CHECKS=$((CHECKS + 1))
grep -qF '"point": 2, "points": 3' "$TMP/out" || fail "export description lacks the point"
# Argument errors. Not under ASan: there nbdkit can hang at exit in a system
# library's destructor (libp11-kit, freelocale) after the plugin has refused.
if [ -z "$PRELOAD" ]; then
  expect_exit 1 nbd base=base.vhdx logs=logs writable=x.avhdx -- true   # points are read-only
  expect_exit 1 nbd base=base.vhdx logs=nowhere -- true
fi
expect_eq "point 9 refused" "$(nbd base=base.vhdx logs=logs point=9 -- true 2>/dev/null; echo $?)" 1

# ---- damaged and foreign logs: refused before the export opens, as restore refuses ----
refused() { # refused NAME LOGARG RESTORE_LOGS...
  local name=$1 logarg=$2; shift 2
  rm -f opened
  run nbd base=base.vhdx logs="$logarg" -- 'touch opened'
  local nbd_rc=$RC
  sed -n 's/^nbdkit: \(hvkit\[[0-9]*\]: \)\{0,1\}error: //p' "$TMP/err" | grep -v '^refusing' >nbd.msg
  run "$HRL" restore --base base.vhdx --out bad.vhdx "$@"
  sed -n 's/^hrl: //p' "$TMP/err" | grep -v '^refusing' >restore.msg
  expect_eq "$name: exit code as restore" "$nbd_rc" "$RC"
  expect_eq "$name: exit code" "$nbd_rc" 1
  CHECKS=$((CHECKS + 1))
  [ -s nbd.msg ] && cmp -s nbd.msg restore.msg || { fail "$name: messages differ"; diff nbd.msg restore.msg >&2; }
  CHECKS=$((CHECKS + 1))
  [ -e opened ] && fail "$name: the export opened"
  [ -e bad.vhdx ] && fail "$name: restore wrote bad.vhdx"
}
refused "damaged payload" corrupt corrupt
refused "foreign log" other.hrl other.hrl
refused "gap in the chain" logs/log1.hrl,logs/log3.hrl logs/log1.hrl logs/log3.hrl
expect_eq "nothing written" "$(inputs_sha)" "$(cat in.before)"
finish
