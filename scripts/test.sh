#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine, as root: installs what the tests need, starts the
# real servers the tests talk to, runs every test of the workspace, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Nothing in the repository may need a file outside it (CONTRIBUTING.md).
scripts/check-standalone.sh

scripts/install-test-deps.sh

# Microsoft's client libraries for Python (pinned), in a virtual environment under target/: the twin's
# tests run them against the twin over HTTPS (crates/twin/tests/it/microsoft_clients.rs).
ANCHORSYNC_TEST_PYTHON=$(scripts/microsoft-clients.sh)
export ANCHORSYNC_TEST_PYTHON

# The test Samba AD DC: provisioned in a temporary directory on a loopback address of its own, seeded
# with the fixture directory, and stopped again however the tests end.
dc_started=$SECONDS
dc_dir=$(scripts/samba-dc.sh start)
trap 'scripts/samba-dc.sh stop "$dc_dir"' EXIT
# shellcheck source=/dev/null
source "$dc_dir/env"
echo "test.sh: Samba AD DC ready in $((SECONDS - dc_started)) s at $ANCHORSYNC_TEST_LDAP_URL" >&2

suite_started=$SECONDS
# --no-fail-fast: a failure in one crate's tests does not hide the results of the others.
cargo test --workspace --locked --no-fail-fast "$@"
echo "test.sh: cargo test took $((SECONDS - suite_started)) s" >&2
