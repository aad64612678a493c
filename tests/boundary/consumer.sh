#!/usr/bin/env bash
# consumer.sh: install hvkit into a temporary prefix, build tests/boundary/consumer.c
# with nothing but `pkg-config --cflags --libs hvkit`, and check that it reads a
# differencing chain and restores a recovery point exactly as the programs do.
source "$(dirname "$0")/../cli/lib.bash"
command -v pkg-config >/dev/null || skip "pkg-config not installed"
PREFIX=$TMP/prefix
cmake --install "$HVK_BUILD" --prefix "$PREFIX" >/dev/null || { fail "cmake --install"; finish; exit; }
PC=$(find "$PREFIX" -name hvkit.pc | head -1)
export PKG_CONFIG_PATH=$(dirname "$PC")
LIBDIR=$(pkg-config --variable=libdir hvkit)
# shellcheck disable=SC2046,SC2086
expect_exit 0 ${CC:-cc} ${HVK_CONSUMER_CFLAGS:-} -std=c11 -Wall -Wextra -Werror -o "$TMP/consumer" \
  "$HVK_SRC/tests/boundary/consumer.c" $(pkg-config --cflags --libs hvkit) -Wl,-rpath,"$LIBDIR"
[ -x "$TMP/consumer" ] || { finish; exit; }
# The consumer must use the installed libraries, not the build tree's.
expect_eq "consumer links the installed libvhdx" \
  "$(ldd "$TMP/consumer" | grep -c "$PREFIX/.*libvhdx.so")" 1

cd "$TMP"
V=$PREFIX/bin/vhdx; H=$PREFIX/bin/hrl
head -c $((8 << 20)) /dev/urandom > s0.raw
cp s0.raw s1.raw; head -c 65536 /dev/urandom | dd of=s1.raw bs=65536 seek=7 conv=notrunc 2>/dev/null
cp s1.raw s2.raw; head -c 4096 /dev/zero | dd of=s2.raw bs=4096 seek=100 conv=notrunc 2>/dev/null
expect_exit 0 "$V" convert s0.raw base.vhdx
expect_exit 0 "$V" create child.avhdx --parent base.vhdx
expect_exit 0 "$V" write child.avhdx 0 s1.raw
"$PREFIX/bin/vhdx" cat child.avhdx > want.raw
"$TMP/consumer" cat child.avhdx > got.raw
expect_eq "consumer reads the chain" "$(sha got.raw)" "$(sha want.raw)"

G=$("$V" info --json base.vhdx | sed -n 's/.*"data_write_guid": *"\([^"]*\)".*/\1/p')
U1=$("$H" make --from base.vhdx --to s1.raw -o l1.hrl | sed -n 's/.*unique id //p')
expect_exit 0 "$H" make --from s1.raw --to s2.raw -o l2.hrl --previous "$U1" --vhd2-guid "$G"
expect_exit 0 "$TMP/consumer" restore base.vhdx p2.vhdx 2 l2.hrl l1.hrl
"$V" cat p2.vhdx > p2.raw 2>/dev/null
expect_eq "consumer restores point 2" "$(sha p2.raw)" "$(sha s2.raw)"
finish
