#!/usr/bin/env bash
# symbols.sh: the library boundary. Every name a shared library exports carries
# a public prefix and is declared in an installed header; no global symbol of a
# static library lacks a project prefix (internal functions are static or carry
# their module's prefix and stay hidden).
source "$(dirname "$0")/../cli/lib.bash"
B=$HVK_BUILD
HEADERS="$HVK_SRC/vhdx/include/*.h $HVK_SRC/hrl/include/*.h"

for so in "$B/vhdx/libvhdx.so" "$B/hrl/libhrl.so"; do
  # Sanitizer builds add their own bookkeeping symbols (__odr_asan.*, __asan_*).
  names=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^__\(odr_\)\?[at]san' || true)
  expect_eq "$(basename "$so") exports something" "$([ -n "$names" ] && echo yes)" yes
  for n in $names; do
    CHECKS=$((CHECKS + 1))
    case $n in
      vhdx_* | hrl_* | hv_* | hvk_*) ;;
      *) fail "$(basename "$so") exports '$n' without a public prefix"; continue ;;
    esac
    # shellcheck disable=SC2086
    grep -qw -- "$n" $HEADERS || fail "$(basename "$so") exports '$n', declared in no installed header"
  done
done

for a in "$B/vhdx/libvhdx.a" "$B/hrl/libhrl.a"; do
  bad=$(nm --defined-only "$a" | awk '$2 ~ /^[TDRBCGSV]$/ {print $3}' |
        grep -Ev '^(vhdx_|hrl_|hv_|hvk_|VHDX_|HRL_|__odr_asan|__asan|__ubsan)' || true)
  expect_eq "$(basename "$a") globals without a project prefix" "$bad" ""
done

# Private headers are never installed: the include folders hold exactly the
# public headers, and no public header includes a private one.
for h in $HEADERS; do
  for inc in $(grep -o '#include "[^"]*"' "$h" | cut -d'"' -f2); do
    CHECKS=$((CHECKS + 1))
    ls $HEADERS | grep -q "/$inc\$" || fail "$(basename "$h") includes private header $inc"
  done
done
finish
