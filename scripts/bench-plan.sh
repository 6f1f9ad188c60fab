#!/usr/bin/env bash
# The `plan` benchmark of docs/PERFORMANCE.md (issues 5, 6 and 15): generates synthetic directory pairs
# of growing size (AD LDIF + tenant snapshot, as many cloud users as on-premises ones), and runs on each,
# in turns, `anchorsync plan --parse-only` (the floor: both files read and parsed exactly as `plan`
# reads them, nothing matched), `plan` in each format and `plan --strategy`, each under
# `/usr/bin/time -v`. It prints wall time, CPU time and peak memory per run, then for each size the
# ratios of the medians taken in that same run: plan / parse floor, and plan --strategy / plan (JSON).
# Last, the per-user scan comparison at 10k.
#
#   scripts/bench-plan.sh                 # 10k, 100k, 300k, 1M, each run once
#   SIZES=1000000 REPEAT=3 scripts/bench-plan.sh   # the issue 15 figures: three turns, medians
#   SIZES="10000 100000" scripts/bench-plan.sh
#   BENCH_DIR=/var/tmp/anchorsync-bench scripts/bench-plan.sh   # where the generated pairs are kept
#   STRATEGIES="hard-cloud hard-ad soft" scripts/bench-plan.sh   # `plan --strategy` runs, as JSON; the
#                                         # format column reads `json+hard-cloud` (default: hard-cloud;
#                                         # STRATEGIES= none)
#   SCAN=0 scripts/bench-plan.sh          # without the per-user scan comparison
#   PROFILE=profiling scripts/bench-plan.sh   # the build with symbols, for `perf record` next to it
#
# The pairs are generated once (seed 1) and reused. Other work on the machine changes wall times: the
# script prints the load average next to each run, and the runs of one turn follow each other so that
# the ratios compare runs made under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000 300000 1000000"}
FORMATS=${FORMATS:-"table json"}
STRATEGIES=${STRATEGIES-"hard-cloud"}
REPEAT=${REPEAT:-1}
SCAN=${SCAN:-1}
BENCH_DIR=${BENCH_DIR:-target/bench-data}
PROFILE=${PROFILE:-release}
BIN=target/$PROFILE/anchorsync

if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing; install it with: apt-get install time" >&2
    exit 2
fi

cargo build --profile "$PROFILE" --locked -p anchorsync >&2
mkdir -p "$BENCH_DIR"

# The median of the numbers on stdin.
median() {
    sort -g | awk '{ value[NR] = $1 } END { if (NR % 2) print value[(NR + 1) / 2]; else print (value[NR / 2] + value[NR / 2 + 1]) / 2 }'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
printf '%-9s %-16s %9s %9s %9s %11s  %s\n' users run "wall s" "user s" "sys s" "peak MiB" "load average"
for n in $SIZES; do
    dir="$BENCH_DIR/$n"
    if [ ! -f "$dir/expected.json" ]; then
        "$BIN" generate --users "$n" --seed 1 -o "$dir" >&2
    fi
    runs="parse-only $FORMATS"
    for strategy in $STRATEGIES; do runs="$runs json+$strategy"; done
    walls=$(mktemp)
    for turn in $(seq "$REPEAT"); do
        for run in $runs; do
            format=${run%%+*}
            extra_args=(--format "$format" -o "$dir/plan.$run")
            if [ "$run" = parse-only ]; then
                extra_args=(--parse-only)
            elif [ "$run" != "$format" ]; then
                extra_args+=(--strategy "${run#*+}")
            fi
            log=$(mktemp)
            status=0
            /usr/bin/time -v "$BIN" plan --ad "$dir/ad.ldif" --cloud "$dir/tenant.json" "${extra_args[@]}" \
                > /dev/null 2> "$log" || status=$?
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
            echo "$run $wall" >> "$walls"
            rm -f "$log"
        done
    done
    wall_of() { awk -v run="$1" '$1 == run {print $2}' "$walls" | median; }
    floor=$(wall_of parse-only)
    summary="$n users, medians of $REPEAT: parse floor ${floor} s"
    for run in $FORMATS; do
        summary="$summary; plan --format $run $(wall_of "$run") s = $(awk -v a="$(wall_of "$run")" -v b="$floor" 'BEGIN {printf "%.2f", a / b}')x the floor"
    done
    for strategy in $STRATEGIES; do
        with=$(wall_of "json+$strategy")
        if [ -z "$(wall_of json)" ]; then
            summary="$summary; --strategy $strategy $with s"
            continue
        fi
        summary="$summary; --strategy $strategy $with s = $(awk -v a="$with" -v b="$(wall_of json)" 'BEGIN {printf "%.2f", a / b}')x plan --format json"
    done
    echo "$summary"
    rm -f "$walls"
done

if [ "$SCAN" = 1 ]; then
    echo
    echo "per-user scan against the engine, in memory, 10k users:"
    cargo bench --locked -p anchorsync-core --bench naive_scan -- 10000 2>/dev/null
fi
