#!/usr/bin/env bash
# vhdx create: fixed/dynamic/differencing images that qemu-img and libvhdi
# accept, and bad requests refused with exit 2 and inputs untouched.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || skip "qemu-img not installed"
PY=/usr/bin/python3
have_vhdi() { "$PY" -c 'import pyvhdi' 2>/dev/null; }

# qemu-img accepts every 512-byte-sector image we create, and reads zeros
n=0
for args in "--size 1G" "--size 64M --fixed" "--size 100M --block-size 1M" \
            "--size 3G --block-size 256M --physical-sector 512" "--size 65M --fixed --block-size 8M"; do
  n=$((n + 1)); f="$TMP/img-$n.vhdx"
  expect_exit 0 "$VHDX" create "$f" $args
  expect_exit 0 qemu-img check "$f"
  [ "$(qemu-img info --output=json "$f" | grep -o '"virtual-size": [0-9]*' | grep -o '[0-9]*$')" -le $((128 << 20)) ] || continue
  qemu-img convert -O raw "$f" "$TMP/q.raw"
  CHECKS=$((CHECKS + 1))
  cmp -s -n "$(stat -c %s "$TMP/q.raw")" "$TMP/q.raw" /dev/zero || fail "not all zeros: $args"
  rm -f "$TMP/q.raw"
done
expect_eq "fixed size" "$(stat -c %s "$TMP/img-2.vhdx")" $((4 * 1048576 + 64 * 1048576))

# 4096-byte logical sectors (qemu 7 refuses them; libvhdi reads them)
expect_exit 0 "$VHDX" create "$TMP/4k.vhdx" --size 256M --logical-sector 4096
if have_vhdi; then
  expect_eq "libvhdi 4k sector" "$("$PY" -c "import pyvhdi; f=pyvhdi.file(); f.open('$TMP/4k.vhdx'); print(f.get_bytes_per_sector(), f.get_media_size())")" "4096 268435456"
fi

# differencing child in another directory: locator, identity, copied geometry
mkdir -p "$TMP/vms/base" "$TMP/vms/kids"
expect_exit 0 "$VHDX" create "$TMP/vms/base/base.vhdx" --size 48M --block-size 1M
expect_exit 0 "$VHDX" create "$TMP/vms/kids/kid.vhdx" --parent "$TMP/vms/base/base.vhdx" \
  --parent-win-path 'D:\VMs\base\base.vhdx'
strings -el "$TMP/vms/kids/kid.vhdx" >"$TMP/strings"
for want in 'parent_linkage' '..\base\base.vhdx' '\\?\D:\VMs\base\base.vhdx' 'absolute_win32_path'; do
  CHECKS=$((CHECKS + 1)); grep -qF -- "$want" "$TMP/strings" || fail "locator lacks '$want'"
done
if have_vhdi; then
  expect_eq "libvhdi child" "$("$PY" - "$TMP/vms/kids/kid.vhdx" "$TMP/vms/base/base.vhdx" <<'PYEOF'
import sys, pyvhdi
c = pyvhdi.file(); c.open(sys.argv[1]); p = pyvhdi.file(); p.open(sys.argv[2])
print(c.get_disk_type(), c.get_media_size(), c.get_parent_identifier() == p.get_identifier() or 'id')
PYEOF
)" "4 50331648 True"
fi
# the child flattens (through our reader) to the parent's zeros
expect_exit 0 "$VHDX" convert "$TMP/vms/kids/kid.vhdx" "$TMP/kid.raw"
expect_eq "child size" "$(stat -c %s "$TMP/kid.raw")" 50331648

# bad requests: exit 2, a message, nothing created or changed
before=$(sha "$TMP/vms/kids/kid.vhdx")
expect_exit 2 "$VHDX" create "$TMP/vms/kids/kid.vhdx" --size 1G
expect_stderr_has "file exists" "$VHDX" create "$TMP/vms/kids/kid.vhdx" --parent "$TMP/vms/base/base.vhdx"
expect_eq "existing target untouched" "$(sha "$TMP/vms/kids/kid.vhdx")" "$before"
expect_exit 2 "$VHDX" create "$TMP/huge.vhdx" --size 65T
expect_exit 2 "$VHDX" create "$TMP/odd.vhdx" --size 1000
expect_exit 2 "$VHDX" create "$TMP/bs.vhdx" --size 1G --block-size 3M
expect_exit 2 "$VHDX" create "$TMP/ls.vhdx" --size 1G --logical-sector 1024
expect_exit 2 "$VHDX" create "$TMP/ps.vhdx" --size 1G --physical-sector 2048
expect_exit 2 "$VHDX" create "$TMP/np.vhdx" --parent "$TMP/missing.vhdx"
echo "not a vhdx" >"$TMP/text"
expect_exit 2 "$VHDX" create "$TMP/np.vhdx" --parent "$TMP/text"
expect_exit 2 "$VHDX" create "$TMP/x.vhdx"
expect_exit 2 "$VHDX" create "$TMP/x.vhdx" --size 1G --parent "$TMP/vms/base/base.vhdx"
expect_exit 2 "$VHDX" create "$TMP/nodir/x.vhdx" --size 1G
CHECKS=$((CHECKS + 1))
ls "$TMP" | grep -qE '^(huge|odd|bs|ls|ps|np|x)\.vhdx$|\.tmp-' && fail "a refused create left a file: $(ls "$TMP")"
finish
