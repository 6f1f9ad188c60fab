#!/usr/bin/env bash
# Benchmark (issue 3): read N seeded users from a Samba AD DC with anchorsync and with OpenLDAP's
# ldapsearch, in the same invocation, same attributes, same page size, same filter; print users per
# second for both, the ratio, and anchorsync's peak memory. Not part of the test suite.
#
#   scripts/bench-ad-read.sh [USERS...]     default: 10000 50000
#
# For each size it starts its own DC (scripts/samba-dc.sh, ANCHORSYNC_DC_BULK_USERS=N), reads
# OU=Bulk (exactly N users) ROUNDS times with each tool, alternating, and stops the DC. anchorsync runs
# `anchorsync snapshot ad` (release build) with its output, the LDIF, going to /dev/null, as does
# `ldapsearch -LLL`. Needs root, like scripts/samba-dc.sh, and GNU time and bc (`apt-get install time bc`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000)
# Best of ROUNDS alternating runs: the least disturbed sample on a shared machine; medians are printed too.
rounds=${ROUNDS:-7}
page_size=1000

cargo build --release --locked --quiet -p anchorsync
anchorsync="$repo/target/release/anchorsync"

# anchorsync's attribute list for the default configuration, spelled as anchorsync sends it.
attributes=(objectGUID mS-DS-ConsistencyGuid objectSid userPrincipalName sAMAccountName mail
    proxyAddresses mailNickname displayName givenName sn title department employeeID employeeNumber
    telephoneNumber mobile physicalDeliveryOfficeName userAccountControl distinguishedName whenChanged
    uSNChanged)
filter='(&(objectCategory=person)(objectClass=user))'

# Runs a command under GNU time; prints "seconds peak_kib".
measure() {
    local stats
    stats=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$stats" "$@" >/dev/null
    cat "$stats"
    rm -f "$stats"
}

summary=()
peaks=()
for users in "${sizes[@]}"; do
    echo "== $users users: starting a DC" >&2
    dc_dir=$(ANCHORSYNC_DC_BULK_USERS=$users scripts/samba-dc.sh start)
    trap 'scripts/samba-dc.sh stop "$dc_dir"' EXIT
    # shellcheck source=/dev/null
    source "$dc_dir/env"
    export LDAPTLS_CACERT="$ANCHORSYNC_TEST_LDAP_CA"
    base="OU=Bulk,OU=Fixture,$ANCHORSYNC_TEST_LDAP_BASE"
    config="$dc_dir/bench.toml"
    cat >"$config" <<EOF
[ad]
servers = ["$ANCHORSYNC_TEST_LDAP_URL"]
bind = "$ANCHORSYNC_TEST_LDAP_BIND"
password_file = "$ANCHORSYNC_TEST_LDAP_PASSWORD_FILE"
ca_file = "$ANCHORSYNC_TEST_LDAP_CA"
base_dns = ["$base"]
page_size = $page_size
EOF
    # Both tools must see exactly the same users.
    ours=$("$anchorsync" --config "$config" snapshot ad | grep -c '^dn')
    theirs=$(ldapsearch -LLL -x -H "$ANCHORSYNC_TEST_LDAP_URL" \
        -D "$ANCHORSYNC_TEST_LDAP_BIND" -y "$ANCHORSYNC_TEST_LDAP_PASSWORD_FILE" -b "$base" \
        -E "pr=$page_size/noprompt" "$filter" "${attributes[@]}" | grep -c '^dn')
    [ "$ours" = "$users" ] && [ "$theirs" = "$users" ] ||
        { echo "expected $users users, anchorsync read $ours, ldapsearch $theirs" >&2; exit 2; }

    best_ours=999999 best_theirs=999999 peak=0 all_ours=() all_theirs=()
    for round in $(seq 1 "$rounds"); do
        read -r seconds kib < <(measure "$anchorsync" --config "$config" snapshot ad)
        echo "round $round anchorsync: ${seconds}s, peak ${kib} KiB" >&2
        best_ours=$(echo "if ($seconds < $best_ours) $seconds else $best_ours" | bc -l)
        all_ours+=("$seconds")
        [ "$kib" -gt "$peak" ] && peak=$kib
        read -r seconds _ < <(measure ldapsearch -LLL -x \
            -H "$ANCHORSYNC_TEST_LDAP_URL" -D "$ANCHORSYNC_TEST_LDAP_BIND" \
            -y "$ANCHORSYNC_TEST_LDAP_PASSWORD_FILE" -b "$base" -E "pr=$page_size/noprompt" \
            "$filter" "${attributes[@]}")
        echo "round $round ldapsearch: ${seconds}s" >&2
        best_theirs=$(echo "if ($seconds < $best_theirs) $seconds else $best_theirs" | bc -l)
        all_theirs+=("$seconds")
    done
    median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    echo "$users users: anchorsync times ${all_ours[*]} (median $(median "${all_ours[@]}") s); ldapsearch times ${all_theirs[*]} (median $(median "${all_theirs[@]}") s)" >&2
    ours_rate=$(echo "$users / $best_ours" | bc -l)
    theirs_rate=$(echo "$users / $best_theirs" | bc -l)
    ratio=$(echo "$ours_rate / $theirs_rate" | bc -l)
    per_100k=$(echo "$peak * 100000 / $users / 1024" | bc -l)
    line=$(printf '%6d users: anchorsync %7.0f users/s, ldapsearch %7.0f users/s, ratio %.2f; anchorsync peak RSS %.1f MiB (%.0f MiB per 100k users, linear)' \
        "$users" "$ours_rate" "$theirs_rate" "$ratio" "$(echo "$peak / 1024" | bc -l)" "$per_100k")
    echo "$line"
    summary+=("$line")
    peaks+=("$users:$peak")
    scripts/samba-dc.sh stop "$dc_dir"
    trap - EXIT
done
printf '\n%s\n' "${summary[@]}"
if [ ${#peaks[@]} -ge 2 ]; then
    first=${peaks[0]} last=${peaks[-1]}
    slope=$(echo "(${last#*:} - ${first#*:}) * 100000 / (${last%%:*} - ${first%%:*}) / 1024" | bc -l)
    printf 'anchorsync memory growth: %.0f MiB per 100k users (peak RSS difference between %d and %d users)\n' \
        "$slope" "${first%%:*}" "${last%%:*}"
fi
