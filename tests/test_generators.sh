#!/usr/bin/env bash
# Self-checks of the independent test-data generators (fixtures/gen_vhdx.py,
# fixtures/gen_corrupt.py, tests/hrl_gen.py): spec test vectors, qemu-img and
# libvhdi cross-reads, the HRL spec example.  qemu-img / libvhdi tests are
# skipped when those tools are missing (Debian: qemu-utils, libvhdi1).
# Exit 0 when all pass; prints "N passed, N failed, N skipped".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-python3}"
command -v "$py" >/dev/null 2>&1 || py=/usr/bin/python3
exec "$py" "$here/test_generators.py" "$@"
