# contract_cli.sh: the command-line contract of vhdx and hrl: arguments,
# messages, help, man pages, completions and JSON, one check per problem
# the contract fixed.
. "$(dirname "$0")/lib.bash"
cd "$TMP" || exit 2

# ---- setup: a base, two logs over it, a raw file ----
head -c 1048576 /dev/urandom > r0.raw
"$VHDX" create base.vhdx --size 8M || exit 2
G=$("$VHDX" info --json base.vhdx | python3 -c 'import json,sys; print(json.load(sys.stdin)["data_write_guid"])')
"$VHDX" cat base.vhdx > s0.raw && cp s0.raw s1.raw
printf 'AAAA' | dd of=s1.raw bs=1 seek=4096 conv=notrunc status=none
cp s1.raw s2.raw && printf 'BBBB' | dd of=s2.raw bs=1 seek=8192 conv=notrunc status=none
U1='{11111111-2222-3333-4444-555555555555}'
mkdir logs
"$HRL" make --from s0.raw --to s1.raw --vhd2-guid "$G" --unique-id $U1 --time @1795600800 -o logs/log1.hrl >/dev/null || exit 2
"$HRL" make --from s1.raw --to s2.raw --vhd2-guid "$G" --previous $U1 --time 2026-11-27T11:00:00+01:00 \
  -o logs/log2.hrl >/dev/null || exit 2

# ---- exit statuses (the rest is in contract_matrix.sh) ----
for c in points restore verify seal; do
  expect_exit 2 "$HRL" $c --base r0.raw --out x.avhdx -o m.txt logs
done
expect_exit 2 "$HRL" info r0.raw
expect_exit 2 "$VHDX" info r0.raw
expect_exit 2 "$VHDX" check r0.raw
expect_stdout_has "Exit status: 0 clean, 1 problems (errors or warnings) found, 2 the file" "$VHDX" check --help

# ---- foreign formats refused by name ----
{ printf 'QFI\373'; head -c 4092 /dev/zero; } > q.qcow2
expect_stderr_has "'q.qcow2': is a qcow2 image" "$HRL" make --from q.qcow2 --to s1.raw -o q.hrl
expect_eq "make --from qcow2 exit" "$RC" 2
expect_exit 0 "$HRL" make --format raw --from q.qcow2 --to q.qcow2 -o q2.hrl   # --format raw forces raw
expect_exit 2 "$HRL" apply --target logs logs
expect_eq "apply --target DIR: one message" "$(wc -l < "$TMP/err")" 1
expect_stderr_has "'logs': is a directory" "$HRL" apply --target logs logs

# ---- messages name the user's files ----
expect_exit 2 "$VHDX" create /nonexist/dir/x.vhdx --size 1M
grep -q "tmp" "$TMP/err" && fail "create names a temporary file: $(cat "$TMP/err")"
grep -qF "/nonexist/dir/x.vhdx" "$TMP/err" || fail "create does not name OUT"
printf '0 logs/log1.hrl\n# comment\n4096 missing.bin\n' > list
expect_exit 2 "$HRL" make --writes list -o w3.hrl
grep -qF "'list': line 3: cannot read the payload 'missing.bin'" "$TMP/err" || fail "list error: $(cat "$TMP/err")"
grep -q "tmp" "$TMP/err" && fail "make names a temporary file"
expect_stderr_has "--size: 100 bytes is not a non-zero multiple of the logical sector size 512" \
  "$VHDX" create x.vhdx --size 100
expect_exit 2 "$VHDX" info --bogus base.vhdx
expect_eq "unknown option: one message" "$(grep -c "bogus" "$TMP/err")" 1
grep -q "unrecognized" "$TMP/err" && fail "getopt's own message printed"
expect_stdout_has "w1.hrl: 1 write, 512 bytes" "$HRL" make --from s0.raw --to s1.raw -o w1.hrl --time @1795600800

# ---- arguments ----
expect_exit 0 "$VHDX" create a.vhdx --size 1.5G
expect_eq "1.5G" "$("$VHDX" info --json a.vhdx | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_size"])')" 1610612736
expect_stderr_has "'-1G' is negative" "$VHDX" create b.vhdx --size -1G
expect_stderr_has "not a whole number of bytes" "$VHDX" create b.vhdx --size 1.1K
expect_stderr_has "--fixed and --dynamic exclude each other" "$VHDX" create b.vhdx --size 1M --fixed --dynamic
expect_exit 2 "$HRL" restore --base base.vhdx --out p.avhdx --point -1 logs
grep -q 18446744073709551615 "$TMP/err" && fail "--point -1 wrapped"
expect_exit 2 "$HRL" restore --base base.vhdx --out p.avhdx --point 99999999999999999999 logs
expect_exit 0 "$HRL" restore --base base.vhdx --out u.avhdx --until 2026-11-27T10:30:00+01:00 logs
grep -qF "point 1 of 2" "$TMP/out" || fail "--until with an offset: $(cat "$TMP/out")"
expect_exit 0 "$HRL" restore --base base.vhdx --out u2.avhdx --until @1795600800 logs
grep -qF "point 1 of 2" "$TMP/out" || fail "--until @UNIX"
expect_exit 0 "$HRL" make --from s0.raw --to s1.raw -o g.hrl --vhd2-guid 0123456789abcdef0123456789ABCDEF
expect_exit 0 "$HRL" make --from s0.raw --to s1.raw -o g2.hrl --unique-id 01234567-89ab-cdef-0123-456789abcdef
expect_stdout_has "logs/log1.hrl" "$HRL" points --base base.vhdx logs//
grep -qF "logs//" "$TMP/out" && fail "doubled slash in points output"
expect_exit 0 "$HRL" verify logs/
grep -qF "chain: ok" "$TMP/out" || fail "verify DIR chain"
expect_exit 0 "$HRL" timeline logs/
expect_stderr_has "--manifest needs --base BASE" "$HRL" verify --manifest F logs/
echo keep > existing.bin
expect_exit 2 "$HRL" extract logs/log1.hrl --entry 0 -o existing.bin
expect_eq "extract kept existing" "$(cat existing.bin)" keep
expect_exit 0 "$HRL" extract logs/log1.hrl --entry 0 -o existing.bin --force

# ---- recovery points with a damaged later log ----
mkdir dmg && cp logs/log1.hrl dmg/ && cp logs/log2.hrl dmg/ && truncate -s 6000 dmg/log2.hrl
expect_exit 0 "$HRL" restore --base base.vhdx --out p1.avhdx --point 1 dmg
grep -qF "warning" "$TMP/err" || fail "no warning about the damaged later log"
"$HRL" restore --base base.vhdx --out ref1.avhdx --point 1 logs >/dev/null 2>&1
expect_eq "point 1 despite log 2" "$("$VHDX" digest p1.avhdx | cut -d' ' -f4)" "$("$VHDX" digest ref1.avhdx | cut -d' ' -f4)"
expect_exit 1 "$HRL" restore --base base.vhdx --out p2.avhdx --point 2 dmg
expect_exit 1 "$HRL" restore --base base.vhdx --out p3.avhdx dmg
# x.hrl and x.hrl.gz side by side: one log
mkdir gz && cp logs/* gz/ && gzip -k gz/log1.hrl
expect_exit 0 "$HRL" points --base base.vhdx --json gz
expect_eq "gz counted once" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["points"]))' "$TMP/out")" 3
expect_stdout_has "needs 'base.vhdx'" "$HRL" restore --base base.vhdx --out d.avhdx logs
expect_stdout_has "standalone" "$HRL" restore --base base.vhdx --out f.vhdx --flatten logs
expect_exit 0 "$HRL" restore --base base.vhdx --out w.avhdx --parent-win-path 'D:\VMs\base.vhdx' logs
expect_stdout_has 'D:\VMs\base.vhdx' "$VHDX" info w.avhdx

# ---- merge, relink ----
"$VHDX" create kid.avhdx --parent base.vhdx --parent-win-path 'E:\b\base.vhdx' || exit 2
cp base.vhdx base2.vhdx
expect_exit 0 "$VHDX" relink kid.avhdx --parent base2.vhdx
expect_stdout_has 'E:\b\base.vhdx' "$VHDX" info kid.avhdx
expect_exit 0 "$VHDX" relink kid.avhdx --parent base.vhdx --no-win-path
grep -qF 'E:\b' <("$VHDX" info kid.avhdx) && fail "--no-win-path kept the path"
# ---- a signal removes the temporary file ----
mkfifo wl
"$HRL" make --writes - -o sig.hrl < wl & pid=$!
exec 3>wl
for _ in $(seq 50); do ls -a | grep -q '^\.sig\.hrl\.tmp-' && break; sleep 0.1; done
ls -a | grep -q '^\.sig\.hrl\.tmp-' || fail "hrl make made no temporary file"
kill -INT $pid; wait $pid; rc=$?; exec 3>&-
expect_eq "SIGINT exit" "$rc" 130
expect_eq "temporary files left" "$(ls -a | grep -c 'sig\.hrl')" 0

# ---- terminal output ----
if command -v script >/dev/null; then
  script -qec "$VHDX cat base.vhdx" /dev/null > tty.out 2>&1; rc=$?
  expect_eq "cat to a terminal exit" "$rc" 2
  [ "$(wc -c < tty.out)" -lt 2000 ] || fail "cat wrote disk bytes to a terminal"
fi

# ---- help, man pages, completion: all from the option tables ----
for prog in "$VHDX" "$HRL"; do
  cmds=$("$prog" --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1} /^$/{if(f)exit}')
  [ -n "$cmds" ] || fail "no command list"
  comp=$("$prog" --completion bash)
  for c in $cmds; do
    expect_exit 0 "$prog" $c --help
    cmp -s "$TMP/out" <("$prog" help $c) || fail "$(basename "$prog") help $c differs from $c --help"
    # commands not on an option table yet (their man page says "See ... --help")
    "$prog" --man $c | grep -q '^See$' && continue
    grep -q "^examples:" "$TMP/out" || [ $c = version ] || fail "$c --help has no examples"
    # every option of the table (the completion lists them) is in --help
    for o in $(echo "$comp" | sed -n "s/^    $c) opts=\"\(.*\)\" ;;/\1/p"); do
      grep -qE -- "(^|[ ,])$o( |$)" "$TMP/out" || fail "$c --help lacks $o"
    done
  done
done
for o in --base --digest --manifest --ignore-guid; do
  expect_stdout_has "$o" "$HRL" verify --help
done
mkdir man && "$VHDX" --gen-docs man && "$HRL" --gen-docs man || fail "--gen-docs"
expect_eq "man pages" "$(ls man/*.1 | wc -l)" $(( $("$VHDX" --help | grep -c "^  [a-z]") + $("$HRL" --help | grep -c "^  [a-z]") + 2 ))
if command -v man >/dev/null; then
  for f in man/*.1; do
    w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
    [ -z "$w" ] || fail "man $f: $w"
  done
fi
bash -n man/vhdx.bash || fail "bash completion syntax"
expect_eq "completion" "$(bash -c ". man/hrl.bash; COMP_WORDS=(hrl ver); COMP_CWORD=1; _hrl; echo \${COMPREPLY[*]}")" \
  "verify version"

# ---- JSON ----
expect_exit 2 "$VHDX" info --json r0.raw
expect_eq "error JSON" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["version"], d["error"]["code"], d["error"]["file"], d["exit_status"])' "$TMP/out")" \
  "1 FORMAT r0.raw 2"
expect_exit 0 "$VHDX" map --json base.vhdx
expect_eq "map JSON" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["version"], type(d["runs"]).__name__)' "$TMP/out")" "1 list"
expect_exit 0 "$VHDX" chain --json base.vhdx
expect_exit 0 "$VHDX" create --json j.vhdx --size 4M
expect_eq "create JSON" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["action"], d["file"], d["virtual_size"])' "$TMP/out")" "create j.vhdx 4194304"
expect_exit 0 "$VHDX" replay --json j.vhdx
expect_exit 0 "$HRL" points --json --base base.vhdx logs
expect_exit 0 "$HRL" restore --json --base base.vhdx --out jr.avhdx logs
expect_exit 1 "$HRL" verify --json dmg
if [ -n "${HVK_JSON_DIR:-}" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  mkdir js && cp "$HVK_JSON_DIR"/contract_cli-* js/ 2>/dev/null
  python3 "$HVK_SRC/docs/json/validate.py" js > js.out || fail "JSON schema: $(cat js.out)"
fi

finish
