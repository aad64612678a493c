#!/usr/bin/env bash
# run.sh [SECONDS]: build the libFuzzer target with clang (ASan+UBSan) and fuzz
# it for a bounded time, seeded from fixtures/gen_vhdx.py, a qemu-img image and
# the committed corpus. New crashers land in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DHVK_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_vhdx_open >/dev/null
SEEDS=build-fuzz/seeds
rm -rf "$SEEDS"; mkdir -p "$SEEDS" build-fuzz/crashes
cp tests/fuzz/corpus/vhdx/* "$SEEDS"/
if [ -f fixtures/gen_vhdx.py ]; then
  python3 fixtures/gen_vhdx.py --fixtures build-fuzz/fx >/dev/null 2>&1 || true
  for f in build-fuzz/fx/*.vhdx build-fuzz/fx/chain512/layers/child/child.vhdx; do
    [ -f "$f" ] && python3 tests/fuzz/make_seed.py "$f" "$SEEDS/$(basename "$f").sprs"
  done
fi
if command -v qemu-img >/dev/null; then
  rm -f build-fuzz/q.vhdx
  qemu-img create -q -f vhdx -o block_size=1M build-fuzz/q.vhdx 64M
  python3 tests/fuzz/make_seed.py build-fuzz/q.vhdx "$SEEDS/qemu.sprs"
fi
build-fuzz/tests/fuzz/fuzz_vhdx_open -max_total_time="$SECS" -max_len=16384 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/crashes/ "$SEEDS"
