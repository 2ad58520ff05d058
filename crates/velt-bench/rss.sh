#!/usr/bin/env bash
# Benchmark (b): wall time and peak memory (maximum RSS) of `velt data export` to NDJSON.
#
#   crates/velt-bench/rss.sh                 # 100k and 1M items, 3 runs each
#   REPS=5 crates/velt-bench/rss.sh 2500 25000 250000
#
# Arguments are items per feature (4 features: 25000 -> 100k items, 250000 -> 1M items).
# `velt fake serve` runs as its own process (one organization's first user is exported);
# the release `velt` runs under GNU time (`/usr/bin/time -v`). 1M items are ~2 GB of
# NDJSON: the output goes to $OUT_DIR (default /tmp) and is deleted after each run.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=crates/velt-bench/fake-serve.sh
source crates/velt-bench/fake-serve.sh

reps=${REPS:-3}
out_dir=${OUT_DIR:-/tmp}
if [ "$#" -gt 0 ]; then sizes=("$@"); else sizes=(25000 250000); fi

if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
    echo "GNU time is needed at /usr/bin/time (Debian/Ubuntu: apt-get update && apt-get install -y time)" >&2
    exit 2
fi

cargo build --release -p velt-cli --quiet
velt=$PWD/target/release/velt
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -f "$out_dir"/velt-bench-export.ndjson "$out_dir"/velt-bench-export.ndjson.part "$out_dir"/velt-bench-export.ndjson.checkpoint
    rm -rf "$work"
}
trap cleanup EXIT

echo "free disk for the output:"
df -h "$out_dir" | tail -1
printf '\n%-10s %-4s %-10s %-12s %-12s %s\n' items run wall_s max_rss_MiB user+sys_s exit
results=()
for ipf in "${sizes[@]}"; do
    items=$((ipf * 4))
    start_fake "$velt" "$ipf" "$work"
    out=$out_dir/velt-bench-export.ndjson
    for run in $(seq "$reps"); do
        rm -f "$out" "$out.part" "$out.checkpoint"
        status=0
        /usr/bin/time -v "$velt" data export --organization-id org-0001 --user-id user-0001 --out "$out" \
            2>"$work/time.txt" || status=$?
        rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$work/time.txt")
        user=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$work/time.txt")
        sys=$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$work/time.txt")
        # h:mm:ss or m:ss.ss -> seconds
        wall_s=$(echo "$wall" | awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; printf "%.2f", s}')
        if [ "$status" -ne 0 ]; then
            cat "$work/time.txt" >&2
            echo "velt data export failed ($status)" >&2
            exit 1
        fi
        if [ "$run" -eq 1 ]; then
            lines=$(wc -l <"$out")
            if [ "$lines" -ne "$items" ]; then
                echo "expected $items lines, got $lines" >&2
                exit 1
            fi
            size=$(du -h "$out" | cut -f1)
        fi
        cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1+$2}')
        rss_mib=$(echo "$rss_kb" | awk '{printf "%.1f", $1/1024}')
        printf '%-10s %-4s %-10s %-12s %-12s %s\n' "$items" "$run" "$wall_s" "$rss_mib" "$cpu" "$status"
        results+=("$items $wall_s $rss_mib")
        rm -f "$out"
    done
    echo "  ($items items: output $size)"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
done

echo
echo "median (min..max) per size:"
printf '%s\n' "${results[@]}" | sort -k1,1n -k2,2n | awk '
    { n[$1]++; w[$1, n[$1]] = $2; r[$1, n[$1]] = $3; if (!($1 in seen)) { seen[$1]; order[++k] = $1 } }
    function med(a, key, c,   i, j, t, v) {
        for (i = 1; i <= c; i++) v[i] = a[key, i]
        for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        lo = v[1]; hi = v[c]
        return (c % 2) ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
    }
    END {
        for (x = 1; x <= k; x++) {
            key = order[x]; c = n[key]
            mw = med(w, key, c); wl = lo; wh = hi
            mr = med(r, key, c); rl = lo; rh = hi
            printf "%8d items: wall %.2f s (%.2f..%.2f), max RSS %.1f MiB (%.1f..%.1f)\n", key, mw, wl, wh, mr, rl, rh
        }
    }'
