#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages the tests need, when they are missing.
set -euo pipefail

packages=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || packages+=("$1"); }

# Each package the tests use is named here, even when another one depends on it or recommends it: the
# install below skips Recommends, and a test must not pass only because a package happened to be there.
#
# The test Samba AD DC (scripts/samba-dc.sh): the DC itself, its provisioning files, the VFS modules
# provisioning loads (acl_xattr, for the sysvol ACLs; a Recommends of samba) and Python bindings (the
# fixture loader runs with Debian's python3), ldapsearch (readiness checks, and the tests compare byte
# for byte with what it prints), openssl (the DC's test CA), iproute2 (its loopback address) and
# util-linux (flock, setsid).
need samba
need samba-ad-provision
need samba-dsdb-modules
need samba-vfs-modules
need python3
need python3-samba
need ldap-utils
need openssl
need iproute2
need util-linux
# The twin's command-line tests stop `twin serve` with kill(1).
need procps
# Every Graph client loads the system's CA certificates, and refuses to start without any.
need ca-certificates
# The Graph twin's tests make throwaway certificates (PEM and PFX) for client assertions (openssl, above).
# The HTML report's browser tests (crates/cli/tests/it/html_report.rs): headless Chromium over WebDriver.
need chromium
need chromium-driver

# Microsoft's client libraries for Python (MSAL, azure-identity, msgraph-sdk) run against the Graph twin
# from a virtual environment that scripts/microsoft-clients.sh makes; Debian's python3 (above) needs
# python3-venv.
need python3-venv

if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: the tests need the Debian packages: ${packages[*]}" >&2
        echo "hint: run this script as root, or install them with: sudo apt-get install ${packages[*]}" >&2
        exit 2
    fi
    echo "installing: ${packages[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
fi
