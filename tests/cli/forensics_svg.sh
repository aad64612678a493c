#!/usr/bin/env bash
# forensics_svg.sh: `hrl timeline --svg`, `vhdx map --svg` and `hrl points
# --svg` write self-contained SVG that parses as XML, renders with
# rsvg-convert without a warning, and shows what it should (partitions,
# layers, points, verdicts, legend entries).
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] && [ -n "${VHDX:-}" ] || skip "hrl or vhdx not built"
command -v python3 >/dev/null || skip "python3 not installed"
command -v rsvg-convert >/dev/null || skip "rsvg-convert not installed (Debian: librsvg2-bin)"
export ASAN_OPTIONS="exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$TMP" || exit 2
T=1600000000

# check_svg FILE: well-formed XML, renders to PNG with nothing on stderr.
check_svg() {
  CHECKS=$((CHECKS + 1))
  python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" 2>"$TMP/xml" ||
    { fail "$1 is not well-formed XML: $(cat "$TMP/xml")"; return; }
  rsvg-convert "$1" -o "$1.png" 2>"$TMP/rsvg" || fail "rsvg-convert $1 failed"
  [ ! -s "$TMP/rsvg" ] || fail "rsvg-convert $1 warned: $(cat "$TMP/rsvg")"
  [ -s "$1.png" ] || fail "rsvg-convert $1 wrote no picture"
}
# count FILE XPATH-ish: number of elements of a tag with a given text / attribute (python).
q() { python3 - "$@" <<'EOF'
import sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
root = E.parse(sys.argv[1]).getroot()
what = sys.argv[2]
if what == "texts":
    print("|".join(t.text for t in root.iter(ns + "text")))
elif what == "legend":
    print("|".join(g.find(ns + "text").text for g in root.iter(ns + "g") if g.get("class") == "legend"))
elif what == "circles":
    print("|".join(c.get("fill") + ":" + c.find(ns + "title").text.split(":")[0] for c in root.iter(ns + "circle")))
elif what == "cells":
    print(sum(1 for r in root.iter(ns + "rect") if r.find(ns + "title") is not None and r.find(ns + "title").text.endswith(" bytes")))
EOF
}

# a 16 MiB disk: MBR, one FAT partition (so the timeline can label it)
truncate -s 16M d0.raw
printf 'label: dos\nlabel-id: 0x0badf00d\nstart=2048, size=20480, type=c\n' | sfdisk -q d0.raw 2>/dev/null ||
  skip "sfdisk not installed (Debian: fdisk)"
if command -v mkfs.vfat >/dev/null; then
  mkfs.vfat -i 12345678 -C p.img 10240 >/dev/null && dd if=p.img of=d0.raw bs=512 seek=2048 conv=notrunc status=none
fi
"$VHDX" convert --block-size 1M d0.raw base.vhdx >/dev/null || fail "convert"
G=$("$VHDX" info --json base.vhdx 2>/dev/null | sed -n 's/.*"data_write_guid": "\([^"]*\)".*/\1/p')
head -c 65536 /dev/urandom >blk
printf '2097152:65536 blk\n4194304:4096 blk\n' >w1.list
printf '8388608:65536 blk\n' >w2.list
"$HRL" make --writes w1.list -o l1.hrl --time $T --unique-id '{bbbbbbbb-0000-4000-8000-000000000001}' \
  --vhd2-guid "$G" >/dev/null || fail "make l1"
"$HRL" make --writes w2.list -o l2.hrl --time $((T + 600)) --unique-id '{bbbbbbbb-0000-4000-8000-000000000002}' \
  --previous '{bbbbbbbb-0000-4000-8000-000000000001}' --vhd2-guid "$G" >/dev/null || fail "make l2"

# timeline heat map, partitions labelled from the base
expect_exit 0 "$HRL" timeline --svg tl.svg --base base.vhdx l1.hrl l2.hrl
check_svg tl.svg
texts=$(q tl.svg texts)
case "$texts" in *"hrl timeline: 3 writes, 132.0 KiB, 2 logs"*) ;; *) fail "timeline title: $texts" ;; esac
if command -v mkfs.vfat >/dev/null; then
  case "$texts" in *"partition 1: fat16"*) ;; *) fail "timeline: partition label missing: $texts" ;; esac
fi
case "$texts" in *"2020-09-13T12:26:40Z"*"2020-09-13T12:36:40Z"*) ;; *) fail "timeline axis times: $texts" ;; esac
expect_eq "timeline legend" "$(q tl.svg legend)" "few bytes written|more|most bytes in a cell"
expect_eq "timeline cells (3 writes at 2 times, 3 disk rows)" "$(q tl.svg cells)" 3
expect_exit 2 "$HRL" timeline --base base.vhdx l1.hrl

# map: a differencing child over the base, one band per layer and the merged view
"$VHDX" create child.vhdx --parent base.vhdx >/dev/null || fail "create child"
"$VHDX" write child.vhdx 4194304 blk >/dev/null || fail "write child"
expect_exit 0 "$VHDX" map --svg map.svg child.vhdx
check_svg map.svg
expect_eq "map bands" "$(q map.svg texts | tr '|' '\n' | grep -E '^(layer|merged)' | tr '\n' ';')" \
  "layer 0 (top);layer 1 (base);merged: served by;"
legend=$(q map.svg legend)
for want in NOT_PRESENT FULLY_PRESENT "served by layer 0" "served by layer 1"; do
  case "|$legend|" in *"|$want|"*) ;; *) fail "map legend lacks '$want': $legend" ;; esac
done
expect_exit 0 "$VHDX" map --json child.vhdx   # without --svg the option parsing is unchanged
[ ! -e map.svg.part ] || fail "map left a partial file"

# points on a time axis: the base and two sound points, then a damaged third log
expect_exit 0 "$HRL" points --svg pts.svg --base base.vhdx l1.hrl l2.hrl
check_svg pts.svg
expect_eq "points circles" "$(q pts.svg circles)" "#1565c0:point 0|#43a047:point 1|#43a047:point 2"
expect_eq "points legend" "$(q pts.svg legend)" "ok|problems|unusable"
# a third log stamped for another disk (Vhd2DataWriteGuid): point 3 has problems
"$HRL" make --writes w2.list -o l3.hrl --time $((T + 1200)) --unique-id '{bbbbbbbb-0000-4000-8000-000000000003}' \
  --previous '{bbbbbbbb-0000-4000-8000-000000000002}' --vhd2-guid '{11111111-2222-3333-4444-555555555555}' \
  >/dev/null || fail "make l3"
expect_exit 1 "$HRL" points --svg pts3.svg --base base.vhdx l1.hrl l2.hrl l3.hrl
check_svg pts3.svg
expect_eq "points with a damaged log" "$(q pts3.svg circles)" \
  "#1565c0:point 0|#43a047:point 1|#43a047:point 2|#e53935:point 3"
expect_exit 2 "$HRL" points --svg /nonexistent/dir/p.svg --base base.vhdx l1.hrl
finish
