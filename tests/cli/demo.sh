#!/usr/bin/env bash
# examples/demo.sh (the README's `./hvkit.sh demo`) works on this build.
. "$(dirname "$0")/lib.bash"
[ -n "${HRL:-}" ] || skip "no hrl program"
expect_exit 0 bash "$HVK_SRC/examples/demo.sh" "$HVK_BUILD"
expect_stdout_has "point 2 restored and verified: tree digest" bash "$HVK_SRC/examples/demo.sh" "$HVK_BUILD"
finish
