# contract_matrix.sh: every command that reads an image or a log gets the same
# bad inputs, and for each class of input all commands answer with one exit
# status (docs: README "Exit status") and a message that names the user's file.
. "$(dirname "$0")/lib.bash"
cd "$TMP" || exit 2

# ---- inputs ----
head -c 1048576 /dev/urandom > raw.img
if command -v qemu-img >/dev/null; then
  qemu-img create -q -f vpc v1.vhd 64M
  qemu-img create -q -f qcow2 q.qcow2 64M
else  # the signatures are all the probe looks at
  { printf 'conectix'; head -c 1016 /dev/zero; } > v1.vhd
  { printf 'QFI\373'; head -c 1020 /dev/zero; } > q.qcow2
fi
{ head -c 64 /dev/zero; printf '\177\020\332\276'; head -c 956 /dev/zero; } > d.vdi
mkdir dir emptydir
mkfifo fifo
"$VHDX" create base.vhdx --size 8M || exit 2
head -c 65536 /dev/urandom > data
"$VHDX" write base.vhdx 0 data || exit 2
cp base.vhdx trunc.vhdx && truncate -s 100K trunc.vhdx
cp base.vhdx badbat.vhdx
python3 - badbat.vhdx <<'PY' || exit 2
import struct, sys, uuid
f = open(sys.argv[1], 'r+b'); f.seek(0x30000); rt = f.read(0x10000)
bat = uuid.UUID('2DC27766-F623-4200-9D64-115E9BFD4A08').bytes_le
for i in range(struct.unpack_from('<I', rt, 8)[0]):
    e = rt[16 + 32 * i:48 + 32 * i]
    if e[:16] == bat:
        f.seek(struct.unpack_from('<Q', e, 16)[0]); f.write(struct.pack('<Q', (0xFFFFF << 20) | 6))
PY
mkdir mp && cp base.vhdx mp/base.vhdx && "$VHDX" create mp/kid.avhdx --parent mp/base.vhdx && rm mp/base.vhdx

# logs over base.vhdx: a sound one, a truncated one, one of another disk
G=$("$VHDX" info --json base.vhdx | python3 -c 'import json,sys; print(json.load(sys.stdin)["data_write_guid"])')
"$VHDX" cat base.vhdx > old.raw && cp old.raw new.raw
printf 'XXXX' | dd of=new.raw bs=1 seek=4096 conv=notrunc status=none
"$HRL" make --from old.raw --to new.raw --vhd2-guid "$G" --time @1795600800 -o good.hrl >/dev/null || exit 2
cp good.hrl trunc.hrl && truncate -s 6000 trunc.hrl
"$HRL" make --from old.raw --to new.raw --vhd2-guid 0123456789abcdef0123456789abcdef --time @1795600800 \
  -o foreign.hrl >/dev/null || exit 2

# matrix WANT INPUT CMD...: the command line with @ replaced by INPUT
matrix() {
  local want=$1 input=$2; shift 2
  local args=() a
  for a in "$@"; do args+=("${a//@/$input}"); done
  CHECKS=$((CHECKS + 1))
  run timeout 20 "${args[@]}"
  if [ "$RC" != "$want" ]; then
    fail "exit $RC (want $want) for $input: ${args[*]}"; head -3 "$TMP/err" >&2
  elif [ "$RC" != 0 ] && ! grep -qF -- "'$input'" "$TMP/err" "$TMP/out"; then
    fail "no message names '$input': ${args[*]}"; head -3 "$TMP/err" >&2
  fi
}

# (convert and merge still parse by themselves and are not in the matrix yet)
VCMDS=("info @" "check @" "map @" "cat @" "chain @" "digest @" "replay --dry-run @"
       "relink @ --parent base.vhdx" "write @ 0 data")
for cmd in "${VCMDS[@]}"; do
  read -ra c <<<"$cmd"
  for bad in raw.img v1.vhd q.qcow2 d.vdi dir fifo good.hrl; do
    matrix 2 "$bad" "$VHDX" "${c[@]}"
  done
  for bad in trunc.vhdx badbat.vhdx; do matrix 1 "$bad" "$VHDX" "${c[@]}"; done
  case ${c[0]} in info|replay|relink|write) ;; *) matrix 2 mp/kid.avhdx "$VHDX" "${c[@]}" ;; esac
  rm -f out.vhdx
done
# hrl make takes raw input, but no foreign format
for bad in v1.vhd q.qcow2 d.vdi dir fifo good.hrl; do
  matrix 2 "$bad" "$HRL" make --from @ --to new.raw -o never.hrl
done
matrix 1 badbat.vhdx "$HRL" make --from @ --to base.vhdx -o never.hrl
[ -e never.hrl ] && fail "hrl make left never.hrl"

HCMDS=("info @" "dump @" "verify @" "extract @ --entry 0 -o x.bin" "timeline @")
for cmd in "${HCMDS[@]}"; do
  read -ra c <<<"$cmd"
  for bad in raw.img base.vhdx fifo v1.vhd; do matrix 2 "$bad" "$HRL" "${c[@]}"; done
  matrix 1 trunc.hrl "$HRL" "${c[@]}"
  rm -f x.bin
done
for cmd in "info @" "dump @" "extract @ --entry 0 -o x.bin"; do
  read -ra c <<<"$cmd"; matrix 2 dir "$HRL" "${c[@]}"
done
matrix 2 emptydir "$HRL" verify @
matrix 2 emptydir "$HRL" timeline @

# recovery-point commands: the base, and the logs
PCMDS=("points --base base.vhdx @" "restore --base base.vhdx --out r.avhdx @" "verify --base base.vhdx @"
       "seal --base base.vhdx -o m.txt @" "apply --target t.vhdx @")
for cmd in "${PCMDS[@]}"; do
  read -ra c <<<"$cmd"
  for bad in raw.img base.vhdx emptydir fifo; do cp base.vhdx t.vhdx; matrix 2 "$bad" "$HRL" "${c[@]}"; done
  for bad in trunc.hrl foreign.hrl; do cp base.vhdx t.vhdx; matrix 1 "$bad" "$HRL" "${c[@]}"; done
  rm -f r.avhdx m.txt
done
for cmd in "points --base @ good.hrl" "restore --base @ --out r.avhdx good.hrl" "verify --base @ good.hrl" \
           "seal --base @ -o m.txt good.hrl"; do
  read -ra c <<<"$cmd"
  for bad in raw.img v1.vhd dir fifo good.hrl; do matrix 2 "$bad" "$HRL" "${c[@]}"; done
  matrix 1 trunc.vhdx "$HRL" "${c[@]}"
done
matrix 2 q.qcow2 "$HRL" apply --target @ good.hrl
matrix 2 dir "$HRL" apply --target @ good.hrl
expect_exit 0 "$HRL" points --base base.vhdx good.hrl

finish
