#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12 machine (issue 10).
#
#   scripts/fresh-machine.sh [REF]     REF: the commit or branch to test (default: HEAD)
#
# Builds a clean Debian 12 (bookworm) root with debootstrap, puts a clean `git clone` of REF in it (not
# this working tree: no target/, nothing uncommitted), and runs there, as root, exactly the README's
#
#   cargo run --release -- demo
#   scripts/test.sh
#
# then prints each command's wall time and exit status (also in $FRESH_WORK/logs/<time>-<commit>/, with
# each command's whole output). Exit status 0 when both succeeded.
#
# What the root holds, and why:
#   - debootstrap's `minbase` variant (the packages of Priority `required`, and apt: what the `debian:12`
#     container image holds), the main, updates and security suites configured as a Debian install does;
#   - the prerequisites the README's "Install" section states, installed with apt-get
#     (`readme_prerequisites` below; the script refuses a README that does not state exactly these);
#   - the host's Rust toolchain (~/.rustup, ~/.cargo/bin, read-only) and cargo's download cache
#     (~/.cargo/registry, ~/.cargo/git), bind-mounted: a toolchain cannot be downloaded on the machines
#     this runs on. Everything else comes from the project's own install step (scripts/test.sh runs
#     scripts/install-test-deps.sh).
#   - the CAs the host added to its own trust store (/usr/local/share/ca-certificates), if any: a network
#     that inspects TLS needs them, and the root uses the host's network;
#   - /usr/sbin/policy-rc.d refusing to start services, as in Debian's container images: the root shares
#     the host's network (and the Samba DC of scripts/test.sh adds its address to the host's `lo`), so the
#     smbd and nmbd that installing samba would start must not bind the host's ports.
#
# The root is made from a cache of the freshly debootstrapped root (never one that had the project's
# packages installed), so later runs skip the download. Mounts are removed, processes left in the root
# stopped and its loopback addresses given back however the script ends; the root is then deleted.
#
# Environment:
#   FRESH_WORK     where the cache and the roots live (default /var/tmp/anchorsync-fresh)
#   FRESH_MIRROR   the Debian mirror (default http://deb.debian.org/debian)
#   FRESH_REFRESH  1: debootstrap again even when a cached root exists
#   FRESH_KEEP     1: keep the root after the run, for a look inside
#
# Needs root and debootstrap (`apt-get install debootstrap`), on a Debian or Ubuntu host.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
ref=${1:-HEAD}
work=${FRESH_WORK:-/var/tmp/anchorsync-fresh}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
variant=minbase
cache="$work/$suite-$variant.tar.gz"
# The README's "Install" prerequisites besides Rust itself: what building and running anchorsync need.
readme_prerequisites=(gcc libc6-dev ca-certificates)

log() { echo "fresh-machine: $*" >&2; }
die() { echo "fresh-machine: error: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and mounts need it)"
command -v debootstrap >/dev/null || die "debootstrap is missing; install it with: apt-get install debootstrap"
for path in "$HOME/.rustup" "$HOME/.cargo/bin" "$HOME/.cargo/registry"; do
    [ -d "$path" ] || die "$path is missing: the host's Rust toolchain and cargo cache are mounted into the root"
done
commit=$(git -C "$repo" rev-parse --verify --quiet "$ref^{commit}") || die "no commit \`$ref\` in $repo"
mkdir -p "$work"

# ---- the cached pristine root -----------------------------------------------------------------------
if [ ! -f "$cache" ] || [ "${FRESH_REFRESH:-0}" = 1 ]; then
    staging=$(mktemp -d "$work/debootstrap.XXXXXX")
    log "debootstrap --variant=$variant $suite from $mirror (cached as $cache)"
    started=$SECONDS
    if ! debootstrap --variant="$variant" "$suite" "$staging" "$mirror" >"$staging.log" 2>&1; then
        tail -n 30 "$staging.log" >&2
        rm -rf --one-file-system "$staging"
        die "debootstrap failed (log: $staging.log)"
    fi
    # The suites a Debian 12 install configures.
    cat >"$staging/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://security.debian.org/debian-security $suite-security main
EOF
    printf '#!/bin/sh\n# No services start inside this root: it shares the host'"'"'s network.\nexit 101\n' \
        >"$staging/usr/sbin/policy-rc.d"
    chmod 755 "$staging/usr/sbin/policy-rc.d"
    rm -f "$staging/etc/resolv.conf"
    tar -C "$staging" --numeric-owner -czf "$cache.partial" .
    mv "$cache.partial" "$cache"
    rm -rf --one-file-system "$staging" "$staging.log"
    log "debootstrap took $((SECONDS - started)) s"
fi

# ---- this run's root --------------------------------------------------------------------------------
root=$(mktemp -d "$work/root.XXXXXX")
mounts=()

mounted_under_root() { awk -v root="$root" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/mounts; }

cleanup() {
    local status=$?
    set +e
    # Processes still running inside the root (a Samba DC, a browser left by a failed test): ours.
    local pid
    for signal in TERM KILL; do
        for pid in $(ls /proc | grep -E '^[0-9]+$'); do
            [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill "-$signal" "$pid" 2>/dev/null
        done
        sleep 1
    done
    # Loopback addresses of DCs that were not stopped (scripts/samba-dc.sh keeps one per DC directory).
    local address_file
    for address_file in "$root"/tmp/anchorsync-dc.*/address; do
        [ -f "$address_file" ] && ip addr del "$(cat "$address_file")/32" dev lo 2>/dev/null
    done
    local index
    for ((index = ${#mounts[@]} - 1; index >= 0; index--)); do
        umount "${mounts[index]}" 2>/dev/null || umount --lazy "${mounts[index]}"
    done
    if [ -n "$(mounted_under_root)" ]; then
        # Never delete through a mount: the toolchain is the host's.
        log "still mounted, $root left in place: $(mounted_under_root | tr '\n' ' ')"
    elif [ "${FRESH_KEEP:-0}" = 1 ]; then
        log "kept $root"
    else
        rm -rf --one-file-system "$root"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

log "unpacking the $suite root into $root"
tar -C "$root" --numeric-owner -xzf "$cache"
# mktemp made it 0700: the root directory of a machine is 0755 (apt's _apt user, daemons' own users).
chmod 755 "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"

mount_in_root() {
    # mount_in_root TARGET MOUNT-ARGS...: records the mount point first, so cleanup covers a half-done one.
    local target="$root$1"
    shift
    mkdir -p "$target"
    mounts+=("$target")
    mount "$@" "$target"
}
mount_in_root /proc -t proc proc
mount_in_root /sys --bind /sys
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts
mount_in_root /dev/shm -t tmpfs -o mode=1777,nosuid,nodev tmpfs
# The host's Rust toolchain (read-only) and cargo's download cache, where rustup and cargo expect them.
mount_in_root /root/.rustup --bind -o ro "$HOME/.rustup"
mount -o remount,bind,ro "$root/root/.rustup"
mount_in_root /root/.cargo/bin --bind -o ro "$HOME/.cargo/bin"
mount -o remount,bind,ro "$root/root/.cargo/bin"
mount_in_root /root/.cargo/registry --bind "$HOME/.cargo/registry"
if [ -d "$HOME/.cargo/git" ]; then
    mount_in_root /root/.cargo/git --bind "$HOME/.cargo/git"
fi

clone="$root/root/anchorsync"
git clone --quiet --no-checkout "$repo" "$clone"
git -C "$clone" checkout --quiet --detach "$commit"
log "cloned $ref ($commit) into /root/anchorsync"

# Runs a command in the root as a root login on a fresh machine would: HOME, a PATH with rustup's
# ~/.cargo/bin, the C.UTF-8 locale of Debian's images; nothing inherited from this shell.
network_env=()
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 "${network_env[@]}" \
        PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/anchorsync && $1"
}

# The README of the commit under test must state exactly these prerequisites.
grep -qF "\`apt-get install ${readme_prerequisites[*]}\`" "$clone/README.md" ||
    die "the README of $commit does not state \`apt-get install ${readme_prerequisites[*]}\`: keep readme_prerequisites in step with it"
logs="$work/logs/$(date -u +%Y%m%dT%H%M%SZ)-${commit:0:8}"
mkdir -p "$logs"
log "installing the README's prerequisites: ${readme_prerequisites[*]}"
in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${readme_prerequisites[*]}" \
    >"$logs/prerequisites.log" 2>&1 || { tail -n 20 "$logs/prerequisites.log" >&2; die "installing the prerequisites failed"; }

# Some machines reach the Internet only through a TLS-inspecting proxy whose CA the host added to its
# trust store (/usr/local/share/ca-certificates). The root shares the host's network, so it trusts what
# the host added there (the network's trust, not a package the project installs), and pip, which carries
# its own CA bundle, is pointed at the system's store. On a machine without such CAs this does nothing.
host_cas=(/usr/local/share/ca-certificates/*.crt)
if [ -e "${host_cas[0]}" ]; then
    log "trusting the host's locally added CAs (its network's): ${host_cas[*]##*/}"
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp "${host_cas[@]}" "$root/usr/local/share/ca-certificates/"
    in_root "update-ca-certificates" >>"$logs/prerequisites.log" 2>&1 || die "update-ca-certificates failed"
    network_env=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
fi

results=()
failed=0
run_readme_command() {
    local command=$1 name=$2
    local logfile="$logs/$name.log"
    log "running \`$command\` (output: $logfile)"
    local started status=0
    started=$(date +%s.%N)
    in_root "$command" >"$logfile" 2>&1 || status=$?
    [ "$status" -eq 0 ] || tail -n 40 "$logfile" >&2
    local seconds
    seconds=$(awk -v start="$started" -v end="$(date +%s.%N)" 'BEGIN { printf "%.0f", end - start }')
    results+=("$(printf '%-30s exit %-3s %6s s' "$command" "$status" "$seconds")")
    [ "$status" -eq 0 ] || failed=1
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_readme_command "cargo run --release -- demo" demo
run_readme_command "scripts/test.sh" test
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "fresh Debian 12 root ($variant), $commit, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
    echo "load average before: $load_before, after: $load_after"
    printf '%s\n' "${results[@]}"
} | tee "$logs/summary.txt"
exit "$failed"
