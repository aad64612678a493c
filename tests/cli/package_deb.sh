# package_deb.sh: the Debian packages CPack builds hold what they should, and
# the programs run from an unpacked (not installed) root.
. "$(dirname "$0")/lib.bash"
command -v dpkg-deb >/dev/null && command -v cpack >/dev/null || skip "dpkg-deb or cpack missing"
[ -f "$HVK_BUILD/CPackConfig.cmake" ] || skip "no CPack configuration"
(cd "$HVK_BUILD" && cpack -G DEB -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1) || { cat "$TMP/cpack.log" >&2; fail "cpack"; finish; exit 1; }
V=$("$VHDX" --version | awk '{print $3}')
for p in hvkit libhvkit0 libhvkit-dev; do
  f=$(ls "$TMP"/pkg/${p}_"$V"_*.deb 2>/dev/null | head -1)
  CHECKS=$((CHECKS + 1))
  [ -n "$f" ] || { fail "no $p package"; continue; }
  dpkg-deb -c "$f" | awk '{print $6}' > "$TMP/$p.list"
  dpkg-deb -x "$f" "$TMP/root"
done
has() { CHECKS=$((CHECKS + 1)); grep -qE -- "$2" "$TMP/$1.list" || fail "$1 lacks $2"; }
has hvkit '^\./usr/bin/vhdx$'
has hvkit '^\./usr/bin/hrl$'
has hvkit 'man1/vhdx-convert\.1'
has hvkit 'man1/hrl\.1'
has hvkit 'bash-completion/completions/vhdx$'
has hvkit 'zsh/vendor-completions/_hrl$'
has libhvkit0 'libvhdx\.so\.0'
has libhvkit0 'libhrl\.so\.0'
has libhvkit-dev 'include/hvkit/vhdx\.h$'
has libhvkit-dev 'pkgconfig/hvkit\.pc$'
has libhvkit-dev 'libvhdx\.a$'
CHECKS=$((CHECKS + 1))
grep -q 'include/' "$TMP/libhvkit0.list" && fail "headers in the runtime library package"
expect_stdout_has "vhdx (hvkit) $V" env LD_LIBRARY_PATH= "$TMP/root/usr/bin/vhdx" --version
expect_stdout_has "hrl (hvkit) $V" "$TMP/root/usr/bin/hrl" --version
dpkg-deb -f "$TMP"/pkg/hvkit_"$V"_*.deb Depends > "$TMP/dep"
expect_eq "hvkit depends" "$(cat "$TMP/dep")" "libhvkit0 (= $V)"
finish
