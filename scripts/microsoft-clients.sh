#!/usr/bin/env bash
# Makes (or reuses) the virtual environment holding Microsoft's client libraries for Python that the
# twin's tests run (MSAL, azure-identity, msgraph-sdk: crates/twin/tests/python/requirements.txt,
# every version pinned), and prints the path of its python on stdout. It is made again whenever the
# requirements change. Needs python3 with its venv module (Debian: python3-venv, which
# scripts/install-test-deps.sh installs) and PyPI.
#
#   ANCHORSYNC_TEST_PYTHON=$(scripts/microsoft-clients.sh) cargo test -p anchorsync-twin --test it microsoft_clients
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=crates/twin/tests/python/requirements.txt
venv=${ANCHORSYNC_MICROSOFT_CLIENTS_VENV:-target/microsoft-clients-venv}
python=${ANCHORSYNC_PYTHON:-python3}
stamp="$venv/requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    if ! command -v "$python" >/dev/null; then
        echo "error: \`$python\` is not installed; the twin's tests run Microsoft's Python libraries" >&2
        echo "hint: run scripts/install-test-deps.sh as root (it installs python3 and python3-venv)" >&2
        exit 2
    fi
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >&2; then
        echo "error: \`$python -m venv\` failed" >&2
        echo "hint: on Debian, install python3-venv (scripts/install-test-deps.sh does)" >&2
        exit 2
    fi
    echo "installing Microsoft's client libraries into \`$venv\`" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --requirement "$requirements" >&2
    echo "$wanted" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"
