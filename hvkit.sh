#!/usr/bin/env bash
# hvkit.sh: the two quick-start commands of the README, and what CI runs.
#   ./hvkit.sh demo   install what is missing, build, restore and verify a recovery point
#   ./hvkit.sh test   install what is missing, build, run the whole suite (also under ASan+UBSan)
#   ./hvkit.sh build  install what is missing and build (build/release)
set -euo pipefail
cd "$(dirname "$0")"
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian 12 packages: build tools, libraries, the test framework and the peers
# the tests cross-check against (qemu-img/qemu-io, libvhdi; The Sleuth Kit's tools
# and the file-system tools the forensics tests build disks with; rsvg-convert).
PACKAGES="build-essential cmake pkg-config zlib1g-dev uuid-dev libssl-dev libisal-dev
          libcmocka-dev qemu-utils libvhdi-utils python3 python3-libvhdi python3-jsonschema clang
          libtsk-dev sleuthkit ntfs-3g e2fsprogs dosfstools mtools fdisk librsvg2-bin
          nbdkit nbdkit-plugin-dev libnbd-bin fuse3 libfuse3-dev"

install_missing() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "hvkit.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

START=$(date +%s)
step() { echo "== [$(( $(date +%s) - START ))s] $*"; }

build() { # build DIR [cmake args...]
  local dir=$1; shift
  step "building $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS" >/dev/null
}

# Every libFuzzer target runs FUZZ_RUNS inputs (default 20000; at most
# FUZZ_SECONDS, default 10) from its committed corpus with a fixed seed, so a
# finding reproduces: a smoke run that catches what the corpus replay cannot.
fuzz_smoke() {
  command -v clang >/dev/null || { step "clang not installed: fuzz smoke run skipped"; return 0; }
  step "building the libFuzzer targets (clang)"
  CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVK_FUZZ=ON >/dev/null
  local targets t corpus seeds
  targets=$(cmake --build build/fuzz --target help | sed -n 's/^\.\.\. \(fuzz_[a-z_]*\)$/\1/p' | grep -v _regress)
  # shellcheck disable=SC2086
  cmake --build build/fuzz -j"$JOBS" --target $targets >/dev/null
  for t in $(find build/fuzz/tests -type f -perm -u+x -name 'fuzz_*' ! -name '*_regress*' | sort); do
    case $(basename "$t") in
      fuzz_vhdx*) seeds=tests/fuzz/corpus/vhdx ;;
      *) seeds=tests/fuzz/hrl/corpus ;;
    esac
    corpus=$(mktemp -d)
    step "fuzzing $(basename "$t"): ${FUZZ_RUNS:-20000} runs from $seeds"
    "$t" -seed=1 -runs="${FUZZ_RUNS:-20000}" -max_total_time="${FUZZ_SECONDS:-10}" -max_len=65536 \
         -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build/fuzz/ "$corpus" "$seeds" 2>&1 | tail -1
    rm -rf "$corpus"
  done
}

case "${1:-}" in
  build)
    install_missing
    build build/release
    ;;
  demo)
    install_missing
    build build/release
    exec bash examples/demo.sh build/release
    ;;
  test)
    step "installing what is missing"
    install_missing
    build build/release
    step "the whole suite (Release)"
    (cd build/release && ctest --output-on-failure -j"$JOBS")
    build build/asan -DHVK_SANITIZE=ON
    step "the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
    # The generators' self-check runs Python only (no hvkit code), so once is enough.
    (cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -j"$JOBS" -E '^generators$')
    fuzz_smoke
    step "done"
    ;;
  *)
    echo "usage: ./hvkit.sh demo|test|build" >&2
    exit 2
    ;;
esac
