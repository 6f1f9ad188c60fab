#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine, as root: installs what the tests need, starts the
# real servers the tests talk to, runs every test of the workspace, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Nothing in the repository may need a file outside it (CONTRIBUTING.md).
scripts/check-standalone.sh

scripts/install-test-deps.sh

# The test Samba AD DC: provisioned in a temporary directory on a loopback address of its own, seeded
# with the fixture directory, and stopped again however the tests end.
dc_started=$SECONDS
dc_dir=$(scripts/samba-dc.sh start)
trap 'scripts/samba-dc.sh stop "$dc_dir"' EXIT
# shellcheck source=/dev/null
source "$dc_dir/env"
echo "test.sh: Samba AD DC ready in $((SECONDS - dc_started)) s at $ANCHORSYNC_TEST_LDAP_URL" >&2

suite_started=$SECONDS
cargo test --workspace --locked "$@"
echo "test.sh: cargo test took $((SECONDS - suite_started)) s" >&2
