#!/usr/bin/env bash
# The conventions every program shares: --help, --version, exit 2 on misuse.
. "$(dirname "$0")/lib.bash"

expect_exit 0 "$VHDX" --help
expect_exit 0 "$VHDX" --version
expect_stdout_has "hvkit" "$VHDX" --version
expect_exit 2 "$VHDX"
expect_exit 2 "$VHDX" no-such-command
expect_stderr_has "'no-such-command' is not a command" "$VHDX" no-such-command
if [ -n "${HRL:-}" ]; then
  expect_exit 0 "$HRL" --help
  expect_exit 0 "$HRL" --version
  expect_exit 2 "$HRL" no-such-command
fi
finish
