#!/usr/bin/env bash
# The `plan` benchmark of docs/PERFORMANCE.md (issue 5): generates synthetic directory pairs of growing
# size (AD LDIF + tenant snapshot, as many cloud users as on-premises ones), runs `anchorsync plan` on
# each with `/usr/bin/time -v`, and prints wall time, CPU time and peak memory per size and format, then
# runs the per-user scan comparison at 10k.
#
#   scripts/bench-plan.sh                 # 10k, 100k, 300k, 1M
#   SIZES="10000 100000" scripts/bench-plan.sh
#   BENCH_DIR=/var/tmp/anchorsync-bench scripts/bench-plan.sh   # where the generated pairs are kept
#   STRATEGIES="hard-cloud hard-ad soft" scripts/bench-plan.sh   # also `plan --strategy` (issue 6), as
#                                         # JSON; the format column reads `json+hard-cloud` (default: hard-cloud;
#                                         # STRATEGIES= none)
#
# The pairs are generated once (seed 1) and reused. Other work on the machine changes wall times: the
# script prints the load average next to each run.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000 300000 1000000"}
FORMATS=${FORMATS:-"table json"}
STRATEGIES=${STRATEGIES-"hard-cloud"}
BENCH_DIR=${BENCH_DIR:-target/bench-data}
BIN=target/release/anchorsync

if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing; install it with: apt-get install time" >&2
    exit 2
fi

cargo build --release --locked -p anchorsync >&2
mkdir -p "$BENCH_DIR"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
printf '%-9s %-16s %9s %9s %9s %11s  %s\n' users format "wall s" "user s" "sys s" "peak MiB" "load average"
for n in $SIZES; do
    dir="$BENCH_DIR/$n"
    if [ ! -f "$dir/expected.json" ]; then
        "$BIN" generate --users "$n" --seed 1 -o "$dir" >&2
    fi
    runs=$FORMATS
    for strategy in $STRATEGIES; do runs="$runs json+$strategy"; done
    for run in $runs; do
        format=${run%%+*}
        strategy_args=()
        if [ "$run" != "$format" ]; then strategy_args=(--strategy "${run#*+}"); fi
        log=$(mktemp)
        status=0
        /usr/bin/time -v "$BIN" plan --ad "$dir/ad.ldif" --cloud "$dir/tenant.json" --format "$format" \
            "${strategy_args[@]}" -o "$dir/plan.$run" 2> "$log" || status=$?
        # `plan` exits 1 when users need attention, which the realistic mix always has.
        if [ "$status" -gt 1 ]; then
            cat "$log" >&2
            exit "$status"
        fi
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
        user=$(awk -F': ' '/User time/ {print $2}' "$log")
        sys=$(awk -F': ' '/System time/ {print $2}' "$log")
        rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        printf '%-9s %-16s %9.2f %9.2f %9.2f %11s  %s\n' "$n" "$run" "$wall" "$user" "$sys" "$rss" "$load"
        rm -f "$log"
    done
done

echo
echo "per-user scan against the engine, in memory, 10k users:"
cargo bench --locked -p anchorsync-core --bench naive_scan -- 10000 2>/dev/null
