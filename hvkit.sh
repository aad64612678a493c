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
          libcmocka-dev qemu-utils libvhdi-utils python3 python3-libvhdi clang
          libtsk-dev sleuthkit ntfs-3g e2fsprogs dosfstools mtools fdisk librsvg2-bin"

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

build() { # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS" >/dev/null
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
    install_missing
    build build/release
    (cd build/release && ctest --output-on-failure -j"$JOBS")
    echo "== the same suite under AddressSanitizer + UndefinedBehaviorSanitizer =="
    build build/asan -DHVK_SANITIZE=ON
    # The generators' self-check runs Python only (no hvkit code), so once is enough.
    (cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -j"$JOBS" -E '^generators$')
    ;;
  *)
    echo "usage: ./hvkit.sh demo|test|build" >&2
    exit 2
    ;;
esac
