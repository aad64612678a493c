#!/usr/bin/env bash
# run.sh [SECONDS] [TARGET]: a bounded libFuzzer run (TARGET read or roundtrip) with clang
# (default 60 s), starting from the checked-in corpus; new inputs go to
# build-fuzz/hrl-corpus, crashes to build-fuzz/.
set -eu
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
SECS=${1:-60}
T=fuzz_hrl_${2:-read}
B="$SRC/build-fuzz"
CC=${CC:-clang} cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVK_FUZZ=ON -DCMAKE_C_COMPILER="${CC:-clang}" >/dev/null
cmake --build "$B" -j2 --target "$T" >/dev/null
mkdir -p "$B/hrl-corpus-$T"
cp -n "$SRC"/tests/fuzz/hrl/corpus/* "$B/hrl-corpus-$T/" 2>/dev/null || true
cd "$B"
exec ./tests/fuzz/hrl/"$T" -max_total_time="$SECS" -max_len=65536 -timeout=10 "hrl-corpus-$T"
