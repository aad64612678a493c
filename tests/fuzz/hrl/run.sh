#!/usr/bin/env bash
# run.sh [SECONDS]: a bounded libFuzzer run of fuzz_hrl_read with clang
# (default 60 s), starting from the checked-in corpus; new inputs go to
# build-fuzz/hrl-corpus, crashes to build-fuzz/.
set -eu
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
SECS=${1:-60}
B="$SRC/build-fuzz"
CC=${CC:-clang} cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Debug -DHVK_FUZZ=ON -DCMAKE_C_COMPILER="${CC:-clang}" >/dev/null
cmake --build "$B" -j2 --target fuzz_hrl_read >/dev/null
mkdir -p "$B/hrl-corpus"
cp -n "$SRC"/tests/fuzz/hrl/corpus/* "$B/hrl-corpus/" 2>/dev/null || true
cd "$B"
exec ./tests/fuzz/hrl/fuzz_hrl_read -max_total_time="$SECS" -max_len=65536 -timeout=10 hrl-corpus
