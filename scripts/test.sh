#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine, as root: installs what the tests need, starts the
# real servers the tests talk to, runs every test of the workspace, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

cargo test --workspace --locked "$@"
