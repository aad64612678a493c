#!/usr/bin/env bash
# vhdx prestage copy [--relink] [--replace-stale] against another process that
# swaps a target directory (or the file itself) for a symbolic link pointing
# outside the target root at an exact moment: while the parent is being
# copied, or as the copy is renamed into place (just before the relink).
# tests/race/race_hook.c (an LD_PRELOAD shim built with the tests only) runs
# the swap when the program first calls copy_file_range / renameat2, so every
# run hits the window. Each case: the command exits 2 naming the path that
# changed, and a decoy tree outside the root is byte-for-byte unchanged.
# Then the state checks of plan/copy (missing root, free space, report), an
# interrupted copy resumed (and not resumed from an altered or hard-linked
# partial file), and a kill loop: SIGKILL at random moments leaves no partial
# file under a final name and every source unchanged.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
. "$(dirname "$0")/lib.bash"

G=$HVK_SRC/fixtures/gen_vhdx.py
[ -f "$G" ] || skip "fixtures/gen_vhdx.py not present"
command -v python3 >/dev/null || skip "python3 needed"
[ -f "${HVK_RACE_HOOK:-}" ] || skip "race hook not built"
# the shim comes before an ASan runtime in the load order; ASan only warns about that
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

S=$TMP/src T=$TMP/dst OUT=$TMP/outside
python3 - "$G" "$TMP" <<'PY' || fail "gen_vhdx scenario"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("gen_vhdx", sys.argv[1])
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
M = 1 << 20
E = [
  # the parent lives on E:\, which the target lacks: --relink puts it beside the child
  ("src/e/p.vhdx", dict(type="dynamic", size=8 * M, seed=1)),
  ("src/a/VMs/vm1/top.avhdx", dict(type="diff", parent="src/e/p.vhdx", seed=2, absolute_path=r"\\?\E:\p.vhdx")),
  ("stale.vhdx", dict(type="dynamic", size=8 * M, seed=3)),
  # for the kill loop: a larger parent
  ("src/a/Gold/big.vhdx", dict(type="dynamic", size=64 * M, seed=4, block_size=8 * M, writes="0:16M,32M:16M")),
  ("src/a/VMs/vm9/c.avhdx", dict(type="diff", parent="src/a/Gold/big.vhdx", seed=5)),
]
g.build_scenario(E, sys.argv[2])
PY
MAPS=(--source-map "D:\\=$S/a/" --source-map "E:\\=$S/e/" --target-map "D:\\=$T/d/")
CHILD=$T/d/VMs/vm1/top.avhdx
src_shas() { find "$S" -type f -print0 | sort -z | xargs -0 sha256sum; }
out_shas() { (cd "$OUT" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+ | awk '{print $1, $5, $NF}'
              find . -type f -print0 | sort -z | xargs -0 sha256sum); }
src_shas >"$TMP/src.before"
# the decoy: what an attacker would have the copy or the relink write (with
# the right parent beside it, so a relink through the link would succeed)
mkdir -p "$OUT/vm1"
cp "$S/a/VMs/vm1/top.avhdx" "$OUT/vm1/top.avhdx"
cp "$S/e/p.vhdx" "$OUT/vm1/p.vhdx"
out_shas >"$TMP/out.before"

has() { CHECKS=$((CHECKS + 1)); grep -qF -- "$2" "$TMP/$1" || { fail "$1 lacks '$2'"; head -20 "$TMP/$1" >&2; }; }

fresh() { # a target with the VM's own disk moved (and a stale parent with $1=stale)
  rm -rf "$T"; mkdir -p "$T/d/VMs/vm1"; cp "$S/a/VMs/vm1/top.avhdx" "$CHILD"
  [ "${1:-}" != stale ] || cp "$TMP/stale.vhdx" "$T/d/VMs/vm1/p.vhdx"
}
SWAP_DIR="mv '$T/d/VMs/vm1' '$T/d/VMs/vm1.moved' && ln -s '$OUT/vm1' '$T/d/VMs/vm1'"
# race NAME AT CMD WANT-MESSAGE ARGS...: the command fails naming the path; the decoy is untouched
race() {
  local name=$1 at=$2 cmd=$3 want=$4; shift 4
  expect_exit 2 env LD_PRELOAD="$HVK_RACE_HOOK" HVK_RACE_AT="$at" HVK_RACE_CMD="$cmd" \
    "$VHDX" prestage copy "$@" "${MAPS[@]}" "$CHILD"
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$want" "$TMP/err" || { fail "$name: stderr lacks '$want'"; sed 's/^/  /' "$TMP/err" >&2; }
  out_shas >"$TMP/out.after"
  CHECKS=$((CHECKS + 1))
  diff "$TMP/out.before" "$TMP/out.after" >&2 || fail "$name: something outside the target root changed"
  CHECKS=$((CHECKS + 1))
  [ -z "$(find "$T" "$OUT" -name '*.hvkit-partial')" ] || fail "$name: a partial copy was left"
}

# control: without a race the same command copies and relinks
fresh
expect_exit 0 env LD_PRELOAD="$HVK_RACE_HOOK" "$VHDX" prestage copy --relink "${MAPS[@]}" "$CHILD"
expect_eq "control: parent copied" "$(sha "$T/d/VMs/vm1/p.vhdx")" "$(sha "$S/e/p.vhdx")"
CHECKS=$((CHECKS + 1))
[ "$("$VHDX" cat "$CHILD" | sha256sum | cut -d' ' -f1)" = "$(cat "$S/a/VMs/vm1/top.avhdx.sha256")" ] ||
  fail "control: relinked child reads wrong"

# 1. the child's directory swapped for a link while the parent is copied
fresh
race "copy, directory during copy" copy_file_range "$SWAP_DIR" \
  "the directory '$T/d/VMs/vm1' changed while copying" --relink
CHECKS=$((CHECKS + 1))
[ -L "$T/d/VMs/vm1" ] && [ ! -e "$T/d/VMs/vm1.moved/p.vhdx" ] || fail "copy: the copy was put in place anyway"

# 2. ... swapped as the copy is renamed into place: the copy lands in the
#    directory it was walked to (now vm1.moved), and the relink refuses
fresh
race "relink, directory before relink" renameat2 "$SWAP_DIR" \
  "relink '$CHILD': '$T/d/VMs/vm1' is a symbolic link or not a directory; not followed" --relink
expect_eq "relink: copy in the walked directory" "$(sha "$T/d/VMs/vm1.moved/p.vhdx")" "$(sha "$S/e/p.vhdx")"
expect_eq "relink: the moved child untouched" "$(sha "$T/d/VMs/vm1.moved/top.avhdx")" "$(sha "$S/a/VMs/vm1/top.avhdx")"

# 3. the final name of the parent becomes a link while it is copied
fresh
race "copy, final name during copy" copy_file_range "ln -s '$OUT/vm1/p.vhdx' '$T/d/VMs/vm1/p.vhdx'" \
  "something appeared at '$T/d/VMs/vm1/p.vhdx' while copying; not replaced" --relink

# 4. the child itself becomes a link just before the relink
fresh
race "relink, final name before relink" renameat2 \
  "mv '$CHILD' '$CHILD.moved' && ln -s '$OUT/vm1/top.avhdx' '$CHILD'" \
  "cannot open '$CHILD' (a symbolic link)" --relink

# 5. --replace-stale: the directory, then the stale file, swapped during the copy
fresh stale
race "replace-stale, directory during copy" copy_file_range "$SWAP_DIR" \
  "the directory '$T/d/VMs/vm1' changed while copying" --replace-stale --relink
fresh stale
race "replace-stale, final name during copy" copy_file_range \
  "mv '$T/d/VMs/vm1/p.vhdx' '$T/d/VMs/vm1/p.old' && ln -s '$OUT/vm1/p.vhdx' '$T/d/VMs/vm1/p.vhdx'" \
  "'$T/d/VMs/vm1/p.vhdx' changed since the plan (renamed or replaced); not replaced" --replace-stale --relink
expect_eq "replace-stale: stale file kept" "$(sha "$T/d/VMs/vm1/p.old")" "$(sha "$TMP/stale.vhdx")"

# ---- vhdx relink / merge open their file once and never through a link
fresh
cp "$S/e/p.vhdx" "$T/d/VMs/vm1/p.vhdx"
ln -s "$OUT/vm1/top.avhdx" "$T/d/VMs/vm1/link.avhdx"
expect_exit 2 "$VHDX" relink "$T/d/VMs/vm1/link.avhdx" --parent "$T/d/VMs/vm1/p.vhdx"
has err "(a symbolic link)"
expect_exit 2 "$VHDX" merge "$T/d/VMs/vm1/link.avhdx"
has err "(a symbolic link)"
out_shas >"$TMP/out.after"
CHECKS=$((CHECKS + 1))
diff "$TMP/out.before" "$TMP/out.after" >&2 || fail "relink/merge through a link changed the decoy"
expect_exit 0 "$VHDX" relink "$CHILD" --parent "$T/d/VMs/vm1/p.vhdx"
CHECKS=$((CHECKS + 1))
[ "$("$VHDX" cat "$CHILD" | sha256sum | cut -d' ' -f1)" = "$(cat "$S/a/VMs/vm1/top.avhdx.sha256")" ] ||
  fail "relink by descriptor: child reads wrong"
expect_exit 0 "$VHDX" merge "$CHILD"
CHECKS=$((CHECKS + 1))
[ "$("$VHDX" cat "$T/d/VMs/vm1/p.vhdx" | sha256sum | cut -d' ' -f1)" = "$(cat "$S/a/VMs/vm1/top.avhdx.sha256")" ] &&
  [ ! -e "$CHILD" ] || fail "merge by descriptor: parent reads wrong or child left"

# ---- plan/copy state checks: a missing target root is never "ready"; copies must fit
rm -rf "$T"
expect_exit 1 "$VHDX" prestage plan "${MAPS[@]}" --relink "$S/a/VMs/vm1/top.avhdx"
has out "[error]     target root '$T/d/' does not exist"
has out "result: problems (see above)"
fresh
expect_exit 1 env LD_PRELOAD="$HVK_RACE_HOOK" HVK_FAKE_AVAIL=4096 "$VHDX" prestage copy --relink "${MAPS[@]}" "$CHILD"
has err "vhdx prestage: not copying: the copies need "
has err "bytes on the file system of '$T/d/', 4096 are free"
CHECKS=$((CHECKS + 1))
[ ! -e "$T/d/VMs/vm1/p.vhdx" ] || fail "copied although it did not fit"
# after a copy the report shows the new state; a stale verdict gives its reason once
expect_exit 0 "$VHDX" prestage copy --relink "${MAPS[@]}" "$CHILD"
has out "now: ok 1, missing 0, stale 0, conflict 0, unmapped 0"
fresh stale
expect_exit 1 "$VHDX" prestage plan --relink "${MAPS[@]}" "$CHILD"
expect_eq "stale reason once" "$(grep -c 'DataWriteGuid .* need ' "$TMP/out")" "1"
has out "; --replace-stale replaces it (the old file is kept)"

# ---- kill loop: SIGKILL at random moments of a copy
BIGMAPS=(--source-map "D:\\=$S/a/" --target-map "D:\\=$T/d/")
BIG=$T/d/Gold/big.vhdx
rm -rf "$T"; mkdir -p "$T/d"
WANT=$(sha "$S/a/Gold/big.vhdx")
PART=$T/d/Gold/.big.vhdx.hvkit-partial
copy_big() { "$VHDX" prestage copy "${BIGMAPS[@]}" "$S/a/VMs/vm9/c.avhdx"; }
# "copied; resumed at byte P, N bytes copied" -> "P N" ("" when not resumed)
resumed() { sed -n 's/.*; resumed at byte \([0-9]*\), \([0-9]*\) bytes copied$/\1 \2/p' "$TMP/out"; }
kill_at_first_record() { # SIGKILL right after the copy recorded its first verified prefix
  env LD_PRELOAD="$HVK_RACE_HOOK" HVK_RACE_AT=fsetxattr HVK_RACE_CMD='kill -9 $PPID' \
    "$VHDX" prestage copy "${BIGMAPS[@]}" "$S/a/VMs/vm9/c.avhdx" >/dev/null 2>&1
  expect_eq "killed" "$?" "137"
  CHECKS=$((CHECKS + 1)); [ -f "$PART" ] && [ ! -e "$BIG" ] || fail "after the kill: want a partial file only"
}
# ---- resume: the second run copies only what the first did not prove
kill_at_first_record
expect_exit 0 copy_big
ALLOC=$(( $(stat -c %b "$S/a/Gold/big.vhdx") * 512 ))
read -r FROM COPIED <<<"$(resumed)"
CHECKS=$((CHECKS + 1))
[ "${FROM:-0}" -gt 0 ] && [ "${COPIED:-$ALLOC}" -lt "$ALLOC" ] ||
  fail "resume: resumed at '${FROM:-}', copied '${COPIED:-}' of $ALLOC"
expect_eq "resumed copy" "$(sha "$BIG")" "$WANT"
# a partial whose proved prefix was altered is not trusted: the copy restarts
rm -f "$BIG"; kill_at_first_record
printf 'X' | dd of="$PART" bs=1 seek=$((1024 * 1024 + 7)) conv=notrunc status=none
expect_exit 0 copy_big
expect_eq "altered partial: restarted" "$(resumed)" ""
expect_eq "altered partial: copy right" "$(sha "$BIG")" "$WANT"
# a partial hard-linked to a file elsewhere is never written through: removed, restarted
rm -f "$BIG"; kill_at_first_record
ln "$PART" "$OUT/hardlink"; HL=$(sha "$OUT/hardlink")
expect_exit 0 copy_big
expect_eq "hard-linked partial: restarted" "$(resumed)" ""
expect_eq "hard-linked partial: other name untouched" "$(sha "$OUT/hardlink")" "$HL"
expect_eq "hard-linked partial: copy right" "$(sha "$BIG")" "$WANT"
rm -f "$BIG" "$OUT/hardlink"

start=$SECONDS
for i in $(seq 1 20); do
  "$VHDX" prestage copy "${BIGMAPS[@]}" "$S/a/VMs/vm9/c.avhdx" >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  CHECKS=$((CHECKS + 1))
  if [ -e "$BIG" ]; then
    [ "$(sha "$BIG")" = "$WANT" ] || fail "kill $i: a partial file under the final name"
    rm -f "$BIG"   # start over so later kills land mid-copy too
  fi
  [ $((SECONDS - start)) -lt 60 ] || { fail "kill loop too slow"; break; }
done
expect_exit 0 "$VHDX" prestage copy "${BIGMAPS[@]}" "$S/a/VMs/vm9/c.avhdx"
expect_eq "after the kills" "$(sha "$BIG")" "$WANT"
expect_eq "no partial left" "$(find "$T" -name '*.hvkit-partial' | wc -l)" "0"

src_shas >"$TMP/src.after"
CHECKS=$((CHECKS + 1))
diff "$TMP/src.before" "$TMP/src.after" >&2 || fail "a source file changed"
finish
