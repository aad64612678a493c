#!/usr/bin/env bash
# forensics_files.sh: `hrl files`, `hrl diff` and `vhdx files` name exactly the
# guest files that changed, with the right kind of change, on real file
# systems built by their own tools (ext4: mkfs.ext4 -d + debugfs; FAT:
# mkfs.vfat + mtools; NTFS: mkntfs + ntfscp) inside MBR and GPT partition
# tables (sfdisk). Attributions are cross-checked with The Sleuth Kit's own
# tools (fls, ifind, istat) on materialised points; damaged file systems give
# a per-partition message and the other partitions are still attributed.
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] && [ -n "${VHDX:-}" ] || skip "hrl or vhdx not built"
for t in mkfs.ext4 debugfs mkfs.vfat mcopy mren mdel mmd sfdisk fls ifind istat python3; do
  command -v "$t" >/dev/null || skip "$t not installed (Debian: e2fsprogs dosfstools mtools fdisk sleuthkit python3)"
done
"$HRL" files --help >/dev/null 2>&1 || skip "hrl built without libtsk (install libtsk-dev)"
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export MTOOLS_SKIP_CHECK=1 E2FSPROGS_FAKE_TIME=1600000000
cd "$TMP" || exit 2
T=1600000000

# place PART.img DISK START_SECTOR: copy a file-system image into a disk image.
place() { dd if="$1" of="$2" bs=512 seek="$3" conv=notrunc status=none; }
# rows CSV: "point change kind path [old]" for files and directories, sorted.
rows() { python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["kind"] in ("file", "dir"):
        print(r["to_point"], r["change"], r["kind"], r["path"], r["old_path"]) ' "$1" | sed 's/ $//' | sort; }
guid_of() { "$VHDX" info --json "$1" 2>/dev/null |
            sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p'; }
U1='{aaaaaaaa-0000-4000-8000-000000000001}'
U2='{aaaaaaaa-0000-4000-8000-000000000002}'

# ---------------- MBR: ext4 (partition 1) + FAT (partition 2) ----------------
mkdir tree tree/sub
echo hello >tree/a.txt; echo old >tree/old.txt; echo meta >tree/meta.txt; echo keep >tree/sub/keep.txt
head -c 20000 /dev/urandom >tree/big.bin
mkfs.ext4 -q -F -b 1024 -d tree -E root_owner=0:0 -U 11111111-2222-3333-4444-555555555555 e0.img 8M ||
  fail "mkfs.ext4 -d"
mkfs.vfat -i 12345678 -n FXT -C f0.img 6144 >/dev/null || fail "mkfs.vfat"
echo alpha >alpha.txt; echo gone >gone.txt; head -c 9000 /dev/urandom >blob.bin
mcopy -i f0.img -m alpha.txt blob.bin gone.txt ::/ && mmd -i f0.img ::/docs || fail "mcopy"
truncate -s 16M m0.raw
printf 'label: dos\nlabel-id: 0x12345678\nstart=2048, size=16384, type=83\nstart=18432, size=12288, type=c\n' |
  sfdisk -q m0.raw || fail "sfdisk mbr"
place e0.img m0.raw 2048; place f0.img m0.raw 18432

# state 1: ext4 changes (create, delete, rename, overwrite in place, metadata only)
cp e0.img e1.img
echo newfile >new.txt
debugfs -w -f - e1.img >/dev/null 2>&1 <<'EOF'
write new.txt /new.txt
rm /old.txt
ln /a.txt /renamed.txt
unlink /a.txt
set_inode_field /meta.txt mtime 20200101000000
EOF
BIGBLK=$(debugfs -R "bmap /big.bin 3" e1.img 2>/dev/null)
head -c 1024 /dev/urandom | dd of=e1.img bs=1024 seek="$BIGBLK" conv=notrunc status=none
cp m0.raw m1.raw; place e1.img m1.raw 2048
# state 2: FAT changes (create in a subdirectory, rename, delete, overwrite)
cp f0.img f1.img
echo beta >beta.txt; head -c 9000 /dev/urandom >blob.bin
mcopy -i f1.img beta.txt ::/docs/ && mren -i f1.img ::/alpha.txt ::/omega.txt &&
  mdel -i f1.img ::/gone.txt && mcopy -o -i f1.img blob.bin ::/ || fail "mtools changes"
cp m1.raw m2.raw; place f1.img m2.raw 18432

"$VHDX" convert m0.raw m.vhdx >/dev/null || fail "convert m0"
G=$(guid_of m.vhdx)
"$HRL" make --from m.vhdx --to m1.raw -o m1.hrl --time $((T + 60)) --unique-id "$U1" >/dev/null || fail "make m1"
"$HRL" make --from m1.raw --to m2.raw -o m2.hrl --time $((T + 120)) --unique-id "$U2" --previous "$U1" \
  --vhd2-guid "$G" >/dev/null || fail "make m2"

expect_exit 0 "$HRL" files --csv --base m.vhdx m1.hrl m2.hrl
cp "$TMP/out" files.csv
expect_eq "hrl files (MBR: ext4 + FAT)" "$(rows files.csv | tr '\n' ';')" \
"1 created file /new.txt;1 deleted file /old.txt;1 metadata file /meta.txt;1 modified dir /;\
1 modified file /big.bin;1 renamed file /renamed.txt /a.txt;2 created file /docs/beta.txt;\
2 deleted file /gone.txt;2 modified dir /;2 modified dir /docs;2 modified file /blob.bin;\
2 renamed file /omega.txt /alpha.txt;"
# bytes and times: the in-place overwrite is one 1 KiB block; metadata-only writes no file data
expect_eq "big.bin bytes" "$(awk -F, '$9=="/big.bin"{print $12}' files.csv)" 1024
expect_eq "meta.txt bytes" "$(awk -F, '$9=="/meta.txt"{print $12}' files.csv)" 0
expect_eq "big.bin times" "$(awk -F, '$9=="/big.bin"{print $14, $15}' files.csv)" \
  "2020-09-13T12:27:40Z 2020-09-13T12:27:40Z"
expect_eq "ext4 metadata rows" "$(awk -F, '$1==0 && $7=="written" && $8=="fs-metadata"{print $6; exit}' files.csv)" ext4
expect_eq "FAT tables" "$(awk -F, '$2==2 && $7=="written"{print $9}' files.csv | tr '\n' ' ')" "/\$FAT1 /\$FAT2 "

# a directory of logs is the same chain (order from the headers, not the names)
mkdir logs && cp m1.hrl logs/b.hrl && cp m2.hrl logs/a.hrl
expect_exit 0 "$HRL" files --csv --base m.vhdx logs
expect_eq "logs as a directory" "$(rows "$TMP/out" | tr '\n' ';')" "$(rows files.csv | tr '\n' ';')"
expect_exit 2 "$HRL" files --base m.vhdx tree

# one log only, and the points A..B as a whole
expect_exit 0 "$HRL" files --csv --base m.vhdx --point 2 m1.hrl m2.hrl
expect_eq "--point 2 rows" "$(rows "$TMP/out" | cut -d' ' -f1 | sort -u)" 2
expect_exit 0 "$HRL" diff --csv --base m.vhdx --from 0 --to 2 m1.hrl m2.hrl
expect_eq "hrl diff 0..2" "$(rows "$TMP/out" | grep -v ' dir ' | tr '\n' ';')" \
"2 created file /docs/beta.txt;2 created file /new.txt;2 deleted file /gone.txt;2 deleted file /old.txt;\
2 metadata file /meta.txt;2 modified file /big.bin;2 modified file /blob.bin;\
2 renamed file /omega.txt /alpha.txt;2 renamed file /renamed.txt /a.txt;"
expect_exit 2 "$HRL" diff --base m.vhdx --from 2 --to 1 m1.hrl m2.hrl
expect_exit 2 "$HRL" files --base m.vhdx --point 3 m1.hrl m2.hrl
expect_exit 2 "$HRL" files --json --csv --base m.vhdx m1.hrl

# JSON: one object with a version; body file for mactime
expect_exit 0 "$HRL" files --json --base m.vhdx m1.hrl m2.hrl
expect_eq "json" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(d["version"], len(d["groups"]), [v["fs"] for v in d["groups"][0]["volumes"]])' "$TMP/out")" \
  "1 2 ['ext4', 'fat12']"
expect_exit 0 "$HRL" files --bodyfile --base m.vhdx --point 1 m1.hrl m2.hrl
NEWINO=$(awk -F, '$9=="/new.txt"{print $11}' files.csv)
expect_eq "bodyfile new.txt" "$(grep '|/new.txt|' "$TMP/out" | cut -d'|' -f1-4,7)" "0|/new.txt|$NEWINO|r/rrw-r--r--|8"
expect_eq "bodyfile deleted" "$(grep -c '|/old.txt (deleted)|' "$TMP/out")" 1

# cross-check against TSK's tools on the materialised point 1
expect_exit 0 "$HRL" restore --base m.vhdx --out p1.vhdx --point 1 --flatten m1.hrl m2.hrl
"$VHDX" cat p1.vhdx >p1.raw
expect_eq "fls: new.txt inode" "$(fls -r -o 2048 p1.raw | awk '$NF=="new.txt"{sub(":","",$2); print $2}')" "$NEWINO"
expect_eq "istat: new.txt size" "$(istat -o 2048 p1.raw "$NEWINO" | awk '/^size:/{print $2}')" \
  "$(awk -F, '$9=="/new.txt"{print $13}' files.csv)"
OFF=$((1048576 + BIGBLK * 1024))
expect_exit 0 "$VHDX" files --json p1.vhdx --range "$OFF:1024"
expect_eq "vhdx files = ifind -d" "$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["pieces"];
print(len(p), p[0]["path"], p[0]["inode"], p[0]["file_offset"])' "$TMP/out")" \
  "1 /big.bin $(ifind -o 2048 -d "$BIGBLK" p1.raw) 3072"
expect_stdout_has "partition-table (partition table)" "$VHDX" files p1.vhdx --range 0:512

# ---------------- GPT: ext4 (partition 1) + NTFS (partition 2) ----------------
have_ntfs=1
command -v mkntfs >/dev/null && command -v ntfscp >/dev/null || have_ntfs=0
truncate -s 32M g0.raw
printf 'label: gpt\nlabel-id: 11111111-2222-3333-4444-555555555555\nstart=2048, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-2222-3333-4444-000000000001\nstart=18432, size=32768, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=11111111-2222-3333-4444-000000000002\n' |
  sfdisk -q g0.raw || fail "sfdisk gpt"
place e0.img g0.raw 2048
if [ $have_ntfs = 1 ]; then
  truncate -s 16M n0.img
  mkntfs -q -F -f -s 512 -c 4096 -L fxt -p 18432 -H 255 -S 63 n0.img >/dev/null 2>&1 || fail "mkntfs"
  echo hi >x.txt; head -c 30000 /dev/urandom >y.bin
  ntfscp -f n0.img x.txt x.txt >/dev/null && ntfscp -f n0.img y.bin y.bin >/dev/null || fail "ntfscp"
  place n0.img g0.raw 18432
fi
# state 1: NTFS: overwrite y.bin, create a small (resident) z.txt, change the resident
# x.txt in place; ext4: create one file
cp g0.raw g1.raw; cp e0.img ge1.img
debugfs -w -R "write new.txt /gpt-new.txt" ge1.img >/dev/null 2>&1; place ge1.img g1.raw 2048
if [ $have_ntfs = 1 ]; then
  cp n0.img n1.img; head -c 30000 /dev/urandom >y.bin; echo zed >z.txt; echo ho >x.txt
  ntfscp -f n1.img y.bin y.bin >/dev/null && ntfscp -f n1.img z.txt z.txt >/dev/null &&
    ntfscp -f n1.img x.txt x.txt >/dev/null || fail "ntfscp 1"
  place n1.img g1.raw 18432
fi
# state 2: the ext4 superblock destroyed; NTFS: one more file
cp g1.raw g2.raw
head -c 1024 /dev/zero | dd of=g2.raw bs=1 seek=$((1048576 + 1024)) conv=notrunc status=none
if [ $have_ntfs = 1 ]; then
  cp n1.img n2.img; echo later >w.txt; ntfscp -f n2.img w.txt w.txt >/dev/null || fail "ntfscp 2"
  place n2.img g2.raw 18432
fi
"$VHDX" convert g0.raw g.vhdx >/dev/null || fail "convert g0"
G=$(guid_of g.vhdx)
"$HRL" make --from g.vhdx --to g1.raw -o g1.hrl --time $((T + 60)) --unique-id "$U1" >/dev/null || fail "make g1"
"$HRL" make --from g1.raw --to g2.raw -o g2.hrl --time $((T + 120)) --unique-id "$U2" --previous "$U1" \
  --vhd2-guid "$G" >/dev/null || fail "make g2"
expect_exit 0 "$HRL" files --csv --base g.vhdx --point 1 g1.hrl g2.hrl
if [ $have_ntfs = 1 ]; then
  expect_eq "hrl files (GPT: ext4 + NTFS)" "$(rows "$TMP/out" | grep -v ' dir ' | tr '\n' ';')" \
    "1 created file /gpt-new.txt;1 created file /z.txt;1 modified file /x.txt;1 modified file /y.bin;"
  expect_eq "NTFS \$MFT written" "$(awk -F, '$9=="/$MFT"{print $7, $8, $6}' "$TMP/out")" "written fs-metadata ntfs"
  # ntfscp writes into an image without mounting it; renaming and deleting would need
  # ntfs-3g through FUSE, which a test may not have, so NTFS covers create and overwrite.
  echo "NOTE: NTFS rename/delete not covered (needs an ntfs-3g FUSE mount)"
else
  echo "NOTE: NTFS part skipped: mkntfs/ntfscp not installed (Debian: ntfs-3g)"
fi
# log 2 destroyed partition 1's superblock: a message naming it, exit 1, the NTFS side still attributed
expect_exit 1 "$HRL" files --csv --base g.vhdx --point 2 g1.hrl g2.hrl
cp "$TMP/out" g2.csv
grep -qF "no file system could be read" "$TMP/err" && grep -qF "'g.vhdx' point 2, partition 1" "$TMP/err" ||
  fail "damaged ext4: message: $(cat "$TMP/err")"
expect_eq "damaged ext4: no crash, partition 1 listed as such" \
  "$(awk -F, '$4==1 && $8=="no-filesystem"{print $7}' g2.csv)" "written"
[ $have_ntfs = 1 ] && expect_eq "damaged ext4: NTFS still attributed" \
  "$(rows g2.csv | grep -v ' dir ' | tr '\n' ';')" "2 created file /w.txt;"
if [ $have_ntfs = 1 ]; then
  # a destroyed $MFT record 0 (the MFT's own record): NTFS cannot be read, ext4 still is
  cp g1.raw gm.raw
  MFT=$(( $(od -An -t u8 -j $((9437184 + 48)) -N 8 gm.raw) * 4096 + 9437184 ))
  head -c 1024 /dev/zero | dd of=gm.raw bs=1 seek="$MFT" conv=notrunc status=none
  "$VHDX" convert gm.raw gm.vhdx >/dev/null || fail "convert gm"
  expect_exit 1 "$VHDX" files gm.vhdx --range "$((1048576 + 1024)):1024"
  grep -qF "in 'gm.vhdx', partition 2" "$TMP/err" || fail "damaged NTFS message: $(cat "$TMP/err")"
  grep -qF "fs-metadata" "$TMP/out" || fail "damaged NTFS: ext4 superblock not attributed"
fi

# seeded random damage inside both file systems: every run attributes or reports, never crashes
cat >damage.py <<'EOF'
import random, sys
random.seed(int(sys.argv[1]))
with open("fz.raw", "r+b") as f:
    for _ in range(300):
        f.seek(random.choice([1048576, 9437184]) + random.randrange(0, 2 * 1048576))
        f.write(bytes([random.randrange(256)]))
EOF
for seed in 1 2 3 4 5; do
  cp m1.raw fz.raw; python3 damage.py "$seed"
  rm -f fz.vhdx; "$VHDX" convert fz.raw fz.vhdx >/dev/null || fail "convert fz (seed $seed)"
  run "$VHDX" files fz.vhdx --range 0:16M
  CHECKS=$((CHECKS + 1))
  [ "$RC" = 0 ] || [ "$RC" = 1 ] || { fail "damaged file systems (seed $seed): exit $RC"; head -5 "$TMP/err" >&2; }
done

# usage and unreadable input
expect_exit 2 "$HRL" files --base missing.vhdx m1.hrl
expect_exit 2 "$HRL" files m1.hrl
expect_exit 2 "$VHDX" files m.vhdx --range 1M
expect_exit 2 "$VHDX" files m.vhdx --range 1G:1
finish
