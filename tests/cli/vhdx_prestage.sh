#!/usr/bin/env bash
# vhdx prestage plan|copy: several VMs' chains staged onto a target host.
# Fixtures come from fixtures/gen_vhdx.py (independent writer). Every verdict
# is asserted exactly; copies are checked by reading the whole chain on the
# target (vhdx cat) against the generator's expected SHA-256.
# tmpfs when there is one: fixtures are many small files and fsync is the cost
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
. "$(dirname "$0")/lib.bash"

G=$HVK_SRC/fixtures/gen_vhdx.py
[ -f "$G" ] || skip "fixtures/gen_vhdx.py not present"
command -v python3 >/dev/null || skip "python3 needed"
"$VHDX" prestage --help >/dev/null 2>&1 || skip "no prestage command"

S=$TMP/src T=$TMP/dst
VOL='\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}'
mkdir -p "$T/d" "$T/vol/Parents"
# All fixtures in one generator run (one Python start-up instead of twenty).
python3 - "$G" "$TMP" <<'PY' || fail "gen_vhdx scenario"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("gen_vhdx", sys.argv[1])
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
V2 = "vm2 café 💾"   # non-ASCII, with a character outside the BMP (surrogate pair in the locator)
VOL = r"\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}"
M = 1 << 20
def base(name, size, seed, **kw): return (name, dict(type="dynamic", size=size * M, seed=seed, **kw))
def diff(name, parent, seed, **kw): return (name, dict(type="diff", parent=parent, seed=seed, **kw))
E = [
  # VM1, VM2: three deep, sharing one base; names with spaces and non-ASCII.
  base("src/a/Gold/base 2019.vhdx", 16, 1),
  diff("src/a/VMs/vm1/mid.avhdx", "src/a/Gold/base 2019.vhdx", 2, absolute_path=r"\\?\D:\Gold\base 2019.vhdx"),
  diff("src/a/VMs/vm1/top.avhdx", "src/a/VMs/vm1/mid.avhdx", 3, absolute_path=r"\\?\D:\VMs\vm1\mid.avhdx"),
  diff(f"src/a/VMs/{V2}/mid 💾.avhdx", "src/a/Gold/base 2019.vhdx", 4, absolute_path=r"\\?\D:\Gold\base 2019.vhdx"),
  diff(f"src/a/VMs/{V2}/top.avhdx", f"src/a/VMs/{V2}/mid 💾.avhdx", 5, absolute_path="\\\\?\\D:\\VMs\\" + V2 + "\\mid 💾.avhdx"),
  # VM3: parent on a \\?\Volume{GUID}\ path; its relative path climbs out of D:\;
  # a stale copy (other DataWriteGuid) will sit at the target path.
  base("src/vol/Parents/p3.vhdx", 8, 30),
  diff("src/a/VMs/vm3/c.avhdx", "src/vol/Parents/p3.vhdx", 31, volume_path=VOL + r"\Parents\p3.vhdx"),
  base("stale-p3.vhdx", 8, 39),
  # VM4 (host a) and VM5 (host b): different parents at the same D:\Shared\p.vhdx -> conflict.
  base("src/a/Shared/p.vhdx", 8, 40), diff("src/a/VMs/vm4/c.avhdx", "src/a/Shared/p.vhdx", 41),
  base("src/b/Shared/p.vhdx", 8, 50), diff("src/b/VMs/vm5/c.avhdx", "src/b/Shared/p.vhdx", 51),
  # VM6: parent on E:\, which the target does not have; relative path escapes D:\.
  base("src/e/p6.vhdx", 8, 60),
  diff("src/a/VMs/vm6/c.avhdx", "src/e/p6.vhdx", 61, absolute_path=r"\\?\E:\p6.vhdx"),
  # VM10: an absolute path that climbs out of D:\ through '..' (the relative one does too).
  base("src/e/p10.vhdx", 8, 100),
  diff("src/a/VMs/vm10/c.avhdx", "src/e/p10.vhdx", 101, absolute_path=r"\\?\D:\VMs\..\..\..\p10.vhdx"),
  # VM11: three deep, base on E:\ only: with --relink the base goes beside the
  # copied mid, and the copy of mid (not the source) is relinked.
  base("src/e/p11.vhdx", 8, 110),
  diff("src/a/VMs/vm11/mid.avhdx", "src/e/p11.vhdx", 111, absolute_path=r"\\?\E:\p11.vhdx"),
  diff("src/a/VMs/vm11/top.avhdx", "src/a/VMs/vm11/mid.avhdx", 112),
  # VM9: a larger parent for interrupted copies.
  base("src/a/Gold/big.vhdx", 128, 90, block_size=8 * M, writes="0:16M,32M:16M,64M:16M,96M:16M"),
  diff("src/a/VMs/vm9/c.avhdx", "src/a/Gold/big.vhdx", 91),
]
g.build_scenario(E, sys.argv[2])
PY
V2="vm2 café 💾"
cp "$TMP/stale-p3.vhdx" "$T/vol/Parents/p3.vhdx"
STALE_SHA=$(sha "$T/vol/Parents/p3.vhdx")

SRCMAPS=(--source-map "D:\\=$S/a/" --source-map "D:\\=$S/b/" --source-map "$VOL\\=$S/vol/"
         --source-map "E:\\=$S/e/")
DSTMAPS=(--target-map "D:\\=$T/d/" --target-map "$VOL\\=$T/vol/")
CHILDREN=("$S/a/VMs/vm1/top.avhdx" "$S/a/VMs/$V2/top.avhdx" "$S/a/VMs/vm3/c.avhdx" "$S/a/VMs/vm4/c.avhdx"
          "$S/b/VMs/vm5/c.avhdx" "$S/a/VMs/vm6/c.avhdx" "$S/a/VMs/vm10/c.avhdx")
src_shas() { find "$S" -type f -name '*vhdx' -print0 | sort -z | xargs -0 sha256sum; }
src_shas >"$TMP/src.before"

# verdicts FILE: "verdict<TAB>target-or-source" per parent, sorted
verdicts() {
  python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for p in d["parents"]: print(p["verdict"]+"\t"+(p["target"] or "src:"+p["source"]))' "$1" | LC_ALL=C sort
}
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- plan: every verdict exactly
expect_exit 1 "$VHDX" prestage plan --json "${SRCMAPS[@]}" "${DSTMAPS[@]}" "${CHILDREN[@]}"
cp "$TMP/out" "$TMP/plan1.json"
cat >"$TMP/want1" <<EOF
conflict	$T/d/Shared/p.vhdx
conflict	$T/d/Shared/p.vhdx
missing	$T/d/Gold/base 2019.vhdx
missing	$T/d/VMs/$V2/mid 💾.avhdx
missing	$T/d/VMs/vm1/mid.avhdx
stale	$T/vol/Parents/p3.vhdx
unmapped	src:$S/e/p10.vhdx
unmapped	src:$S/e/p6.vhdx
EOF
LC_ALL=C sort -o "$TMP/want1" "$TMP/want1"
verdicts "$TMP/plan1.json" >"$TMP/got1"
CHECKS=$((CHECKS + 1))
diff "$TMP/want1" "$TMP/got1" >&2 || fail "plan verdicts differ"
# the shared base appears once, needed by both mids
expect_eq "base needed by" "$(jq_py "$TMP/plan1.json" '[len(p["needed_by"]) for p in d["parents"] if p["source"].endswith("base 2019.vhdx")]')" "[2]"
# why VM3 and VM6 are what they are: relative paths climbing out of D:\, E:\ not mapped
expect_eq "vm3 candidates" "$(jq_py "$TMP/plan1.json" '[(c["key"],c["state"]) for p in d["parents"] if p["source"].endswith("p3.vhdx") for c in p["candidates"]]')" \
  "[('relative_path', 'unmapped'), ('volume_path', 'other-file')]"
expect_eq "vm6 candidates" "$(jq_py "$TMP/plan1.json" '[(c["key"],c["state"]) for p in d["parents"] if p["source"].endswith("p6.vhdx") for c in p["candidates"]]')" \
  "[('relative_path', 'unmapped'), ('absolute_win32_path', 'unmapped')]"
expect_eq "vm10 candidates" "$(jq_py "$TMP/plan1.json" '[(c["key"],c["state"]) for p in d["parents"] if p["source"].endswith("p10.vhdx") for c in p["candidates"]]')" \
  "[('relative_path', 'unmapped'), ('absolute_win32_path', 'unmapped')]"
expect_eq "files to copy" "$(jq_py "$TMP/plan1.json" 'd["totals"]["files_to_copy"]')" "3"
# bytes to copy = allocated bytes of the missing parents (st_blocks; on tmpfs a
# read fault through a mapping allocates pages, so compare with some slack)
expect_eq "bytes to copy" "$(jq_py "$TMP/plan1.json" 'd["totals"]["bytes_to_copy"] == sum(p["allocated_bytes"] for p in d["parents"] if p["verdict"] == "missing")')" "True"
ALLOC=$(stat -c '%b*512' "$S/a/Gold/base 2019.vhdx" "$S/a/VMs/vm1/mid.avhdx" "$S/a/VMs/$V2/mid 💾.avhdx" | paste -sd+ | bc)
expect_eq "bytes to copy ~ st_blocks" "$(jq_py "$TMP/plan1.json" "abs(d['totals']['bytes_to_copy'] - $ALLOC) <= (1 << 20)")" "True"
# the text checklist says the same
expect_exit 1 "$VHDX" prestage plan "${SRCMAPS[@]}" "${DSTMAPS[@]}" "${CHILDREN[@]}"
for w in "[missing]   $T/d/Gold/base 2019.vhdx" "[stale]     $T/vol/Parents/p3.vhdx" "[conflict]  $T/d/Shared/p.vhdx" \
         "[unmapped]  $S/e/p6.vhdx" "totals: 3 files to copy"; do
  CHECKS=$((CHECKS + 1)); grep -qF -- "$w" "$TMP/out" || fail "text plan lacks '$w'"
done
# usage errors
expect_exit 2 "$VHDX" prestage plan "${SRCMAPS[@]}" "${CHILDREN[@]}"
expect_exit 2 "$VHDX" prestage plan --target-map 'nonsense' "${CHILDREN[@]}"
expect_exit 2 "$VHDX" prestage plan "${DSTMAPS[@]}" "$S/no-such.avhdx"

# ---- dry run writes nothing
expect_exit 1 "$VHDX" prestage copy --dry-run "${SRCMAPS[@]}" "${DSTMAPS[@]}" "${CHILDREN[@]}"
expect_eq "dry run" "$(find "$T" -type f | wc -l)" "1"

# ---- copy: the three missing parents; problems are skipped
expect_exit 1 "$VHDX" prestage copy --json "${SRCMAPS[@]}" "${DSTMAPS[@]}" "${CHILDREN[@]}"
cp "$TMP/out" "$TMP/copy1.json"
expect_eq "copy actions" "$(jq_py "$TMP/copy1.json" 'sorted(p["verdict"]+":"+p["action"] for p in d["parents"])')" \
  "['conflict:skipped', 'conflict:skipped', 'missing:done', 'missing:done', 'missing:done', 'stale:skipped', 'unmapped:skipped', 'unmapped:skipped']"
expect_eq "no partial files" "$(find "$T" -name '*.hvkit-partial' | wc -l)" "0"
expect_eq "stale untouched" "$(sha "$T/vol/Parents/p3.vhdx")" "$STALE_SHA"
expect_eq "nothing written for unmapped parents" "$(find "$TMP" -name 'p6.vhdx' -o -name 'p10.vhdx' | grep -vc "^$S/")" "0"
expect_eq "nothing written for the conflict" "$(ls "$T/d/Shared" 2>/dev/null | wc -l)" "0"
# holes stay holes: the copy takes no more room than the source, give or take
# 1 MiB of file-system allocation slack (speculative preallocation, xattr
# blocks); a copy that filled the holes would be many MiB larger.
for f in "Gold/base 2019.vhdx" "VMs/vm1/mid.avhdx"; do
  CHECKS=$((CHECKS + 1))
  sync "$S/a/$f" "$T/d/$f"   # settle delayed allocation before comparing st_blocks
  got=$(stat -c %b "$T/d/$f"); src=$(stat -c %b "$S/a/$f")
  [ "$got" -le $((src + 2048)) ] || fail "copy of $f is less sparse ($got blocks, source $src)"
  expect_eq "bytes of $f" "$(sha "$T/d/$f")" "$(sha "$S/a/$f")"
done

# ---- the children open on the target with their whole chain, same virtual disk
cp "$S/a/VMs/vm1/top.avhdx" "$T/d/VMs/vm1/top.avhdx"
cp "$S/a/VMs/$V2/top.avhdx" "$T/d/VMs/$V2/top.avhdx"
for c in "VMs/vm1/top.avhdx" "VMs/$V2/top.avhdx"; do
  CHECKS=$((CHECKS + 1))
  got=$("$VHDX" cat "$T/d/$c" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(cat "$S/a/$c.sha256")" ] || fail "virtual disk of $c on the target: $got"
done
# a second plan: everything ok (from the source paths and from the target paths)
expect_exit 0 "$VHDX" prestage plan --json "${SRCMAPS[@]}" "${DSTMAPS[@]}" "${CHILDREN[@]:0:2}"
expect_eq "second plan" "$(verdicts "$TMP/out" | cut -f1 | sort | uniq -c | tr -s ' ')" " 3 ok"
expect_exit 0 "$VHDX" prestage plan --json "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$T/d/VMs/vm1/top.avhdx" "$T/d/VMs/$V2/top.avhdx"
expect_eq "plan from the target" "$(verdicts "$TMP/out" | cut -f1 | sort | uniq -c | tr -s ' ')" " 3 ok"

# ---- --replace-stale: the stale file is kept beside, the right one copied
expect_exit 0 "$VHDX" prestage copy --replace-stale "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm3/c.avhdx"
kept=$(ls "$T/vol/Parents/" | grep -c '^p3\.vhdx\.stale-')
expect_eq "stale kept" "$kept" "1"
expect_eq "stale kept bytes" "$(sha "$T/vol/Parents/"p3.vhdx.stale-*)" "$STALE_SHA"
expect_eq "replaced" "$(sha "$T/vol/Parents/p3.vhdx")" "$(sha "$S/vol/Parents/p3.vhdx")"
expect_exit 0 "$VHDX" prestage plan "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm3/c.avhdx"

# ---- symbolic links at the target are never followed (a fresh target root)
OUT=$TMP/outside T2=$TMP/dst2; mkdir -p "$OUT" "$T2/d" "$T2/vol/Parents"
DST2=(--target-map "D:\\=$T2/d/" --target-map "$VOL\\=$T2/vol/")
ln -s "$OUT/p3-target" "$T2/vol/Parents/p3.vhdx"    # a link as the file: stale, replaced only by name
expect_exit 1 "$VHDX" prestage plan --json "${SRCMAPS[@]}" "${DST2[@]}" "$S/a/VMs/vm3/c.avhdx"
expect_eq "link is stale" "$(verdicts "$TMP/out" | cut -f1)" "stale"
expect_exit 1 "$VHDX" prestage copy "${SRCMAPS[@]}" "${DST2[@]}" "$S/a/VMs/vm3/c.avhdx"
expect_exit 0 "$VHDX" prestage copy --replace-stale "${SRCMAPS[@]}" "${DST2[@]}" "$S/a/VMs/vm3/c.avhdx"
CHECKS=$((CHECKS + 1)); [ -L "$T2/vol/Parents/p3.vhdx" ] && fail "link still in place"
expect_eq "copied beside the link" "$(sha "$T2/vol/Parents/p3.vhdx")" "$(sha "$S/vol/Parents/p3.vhdx")"
expect_eq "nothing written outside" "$(ls -A "$OUT" | wc -l)" "0"
ln -s "$OUT" "$T2/d/Gold"                           # a link as a directory on the way
expect_exit 1 "$VHDX" prestage plan --json "${SRCMAPS[@]}" "${DST2[@]}" "$S/a/VMs/vm1/top.avhdx"
expect_eq "dir link" "$(verdicts "$TMP/out" | cut -f1 | tr '\n' ' ')" "missing unmapped "
expect_exit 1 "$VHDX" prestage copy --replace-stale "${SRCMAPS[@]}" "${DST2[@]}" "$S/a/VMs/vm1/top.avhdx"
expect_eq "nothing written through the link" "$(ls -A "$OUT" | wc -l)" "0"

# ---- interrupted copies: an injected failure, then kill -9 at random points
expect_exit 2 "$VHDX" prestage copy --inject-fail-after 8M "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm9/c.avhdx"
CHECKS=$((CHECKS + 1)); [ -e "$T/d/Gold/big.vhdx" ] && fail "partial file under the final name"
for i in 1 2 3 4 5; do
  "$VHDX" prestage copy "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm9/c.avhdx" >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 9))"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if [ -e "$T/d/Gold/big.vhdx" ]; then
    CHECKS=$((CHECKS + 1))
    [ "$(sha "$T/d/Gold/big.vhdx")" = "$(sha "$S/a/Gold/big.vhdx")" ] || fail "kill $i: incomplete file under the final name"
    break
  fi
done
expect_exit 0 "$VHDX" prestage copy "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm9/c.avhdx"
expect_eq "rerun finished" "$(sha "$T/d/Gold/big.vhdx")" "$(sha "$S/a/Gold/big.vhdx")"
expect_eq "no partial left" "$(find "$T" -name '*.hvkit-partial' | wc -l)" "0"

# ---- --relink: VM6's parent (E:\ does not exist on the target) goes beside the child
mkdir -p "$T/d/VMs/vm6"; cp "$S/a/VMs/vm6/c.avhdx" "$T/d/VMs/vm6/c.avhdx"   # the VM's own disk moved
expect_exit 0 "$VHDX" prestage plan --json --relink "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$T/d/VMs/vm6/c.avhdx"
expect_eq "relink plan" "$(jq_py "$TMP/out" '[(p["verdict"], p["target"], p["found_by"]) for p in d["parents"]]')" \
  "[('missing', '$T/d/VMs/vm6/p6.vhdx', 'relink')]"
expect_eq "relink wants" "$(jq_py "$TMP/out" '[(r["relative_path"], r["windows_path"], r["child_on_target"]) for r in d["relinks"]]')" \
  "[('p6.vhdx', 'D:\\\\VMs\\\\vm6\\\\p6.vhdx', True)]"
# from the source path the child cannot be relinked (sources are never written): said so
expect_exit 0 "$VHDX" prestage copy --dry-run --json --relink "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$S/a/VMs/vm6/c.avhdx"
expect_eq "source child relink skipped" "$(jq_py "$TMP/out" '[r["action"] for r in d["relinks"]]')" "['skipped']"
{
  expect_exit 0 "$VHDX" prestage copy --relink "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$T/d/VMs/vm6/c.avhdx"
  CHECKS=$((CHECKS + 1))
  got=$("$VHDX" cat "$T/d/VMs/vm6/c.avhdx" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(cat "$S/a/VMs/vm6/c.avhdx.sha256")" ] || fail "relinked child's virtual disk differs"
  # now it resolves on the target with no maps at all, and a plan is clean
  expect_exit 0 "$VHDX" prestage plan --json "${DSTMAPS[@]}" "$T/d/VMs/vm6/c.avhdx"
  expect_eq "after relink" "$(verdicts "$TMP/out" | cut -f1)" "ok"
  # a copied intermediate is relinked; its DataWriteGuid is kept, so the top stays linked
  mkdir -p "$T/d/VMs/vm11"; cp "$S/a/VMs/vm11/top.avhdx" "$T/d/VMs/vm11/top.avhdx"
  expect_exit 0 "$VHDX" prestage copy --json --relink "${SRCMAPS[@]}" "${DSTMAPS[@]}" "$T/d/VMs/vm11/top.avhdx"
  expect_eq "vm11 relinks" "$(jq_py "$TMP/out" 'sorted((r["child"].split("/")[-1], r["relative_path"], r["action"]) for r in d["relinks"])')" \
    "[('mid.avhdx', 'p11.vhdx', 'done'), ('top.avhdx', 'mid.avhdx', 'done')]"
  CHECKS=$((CHECKS + 1))
  got=$("$VHDX" cat "$T/d/VMs/vm11/top.avhdx" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(cat "$S/a/VMs/vm11/top.avhdx.sha256")" ] || fail "vm11 virtual disk on the target differs"
  expect_exit 0 "$VHDX" check "$T/d/VMs/vm11/mid.avhdx"
  expect_exit 0 "$VHDX" prestage plan "${DSTMAPS[@]}" "$T/d/VMs/vm11/top.avhdx"
}

# ---- the source was never written
src_shas >"$TMP/src.after"
CHECKS=$((CHECKS + 1))
diff "$TMP/src.before" "$TMP/src.after" >&2 || fail "a source file changed"
finish
