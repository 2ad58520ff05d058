#!/usr/bin/env bash
# Benchmark (e): clean and incremental build time of the library, `cargo build -p velt-api`.
#
#   crates/velt-bench/build-times.sh          # debug and release, 3 runs each
#   RUNS=1 PROFILES=debug crates/velt-bench/build-times.sh
#
# Clean: a fresh, empty CARGO_TARGET_DIR (dependencies already downloaded, nothing compiled).
# Incremental: `touch src/lib.rs`, then the same build again in that target dir.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${RUNS:-3}
read -r -a profiles <<<"${PROFILES:-debug release}"
cargo fetch --quiet

now() { date +%s.%N; }
results=()
printf '%-8s %-4s %-10s %s\n' profile run clean_s incremental_s
for profile in "${profiles[@]}"; do
    flag=()
    [ "$profile" = release ] && flag=(--release)
    for run in $(seq "$runs"); do
        dir=$(mktemp -d /tmp/velt-build-times-XXXXXX)
        start=$(now)
        CARGO_TARGET_DIR=$dir cargo build -p velt-api "${flag[@]}" --quiet
        clean=$(echo "$(now) - $start" | bc)
        touch src/lib.rs
        start=$(now)
        CARGO_TARGET_DIR=$dir cargo build -p velt-api "${flag[@]}" --quiet
        incr=$(echo "$(now) - $start" | bc)
        rm -rf "$dir"
        printf '%-8s %-4s %-10.1f %.2f\n' "$profile" "$run" "$clean" "$incr"
        results+=("$profile $clean $incr")
    done
done

echo
echo "median (min..max):"
for profile in "${profiles[@]}"; do
    for col in 2 3; do
        name=$([ "$col" = 2 ] && echo clean || echo incremental)
        printf '%s\n' "${results[@]}" | awk -v p="$profile" -v c="$col" '$1 == p { print $c }' | sort -n |
            awk -v p="$profile" -v name="$name" '{ v[NR] = $1 } END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%-8s %-12s %.2f s (%.2f..%.2f)\n", p, name, m, v[1], v[NR] }'
    done
done
