#!/usr/bin/env bash
# Benchmark (f): whole-process CPU (user+sys) of `velt data export` against the same export
# done with Velt's official Python SDK (crates/velt-bench/python/export.py, velt-py 0.3.0).
#
#   crates/velt-bench/py-vs-cli.sh                    # 10k items (2500 per feature), 5 runs each
#   crates/velt-bench/py-vs-cli.sh 2500 25000         # 10k and 100k items
#   crates/velt-bench/py-vs-cli.sh --runs 7 --velt target/release/velt --python .venv/bin/python 2500
#
# Arguments are items per feature (4 features: 2500 -> 10k items). Before it:
#   cargo build --release -p velt-cli --locked
#   python3 -m venv crates/velt-bench/python/.venv &&
#     crates/velt-bench/python/.venv/bin/pip install -r crates/velt-bench/python/requirements.txt
#
# `velt fake serve` runs as its own process on a loopback port (its CPU is not counted). For
# each size: one warm-up of each exporter, then the two alternate which goes first, run after
# run; each run writes org-0001/user-0001's export to a file, and its user+sys CPU time is
# read from wait4's rusage of that process (as GNU time does). Every output must have 4 x N
# lines and the same bytes as the warm-up's `velt` output; the script stops otherwise. It
# prints a Markdown table, median (min..max) of CPU and wall time per side, and the ratios
# Python / velt. Outputs go to $OUT_DIR (default /tmp) and are deleted at the end. A first
# row, "start-up", is each exporter run with --help (every import, no request): the fixed
# cost of starting the process, which weighs most on small exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=crates/velt-bench/fake-serve.sh
source crates/velt-bench/fake-serve.sh

runs=5
velt=target/release/velt
python=crates/velt-bench/python/.venv/bin/python
out_dir=${OUT_DIR:-/tmp}
sizes=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --velt) velt=$2; shift 2 ;;
        --python) python=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) sizes+=("$1"); shift ;;
    esac
done
[ "${#sizes[@]}" -gt 0 ] || sizes=(2500)
case "$runs" in ''|*[!0-9]*|0) echo "--runs must be a whole number above 0, not '$runs'" >&2; exit 2 ;; esac
for ipf in "${sizes[@]}"; do
    case "$ipf" in ''|*[!0-9]*|0) echo "items per feature must be a whole number above 0, not '$ipf'" >&2; exit 2 ;; esac
done
if [ ! -x "$velt" ]; then
    echo "no velt binary at $velt: run 'cargo build --release -p velt-cli --locked' or pass --velt PATH" >&2
    exit 2
fi
if ! "$python" -c 'import velt_py' 2>/dev/null; then
    echo "$python cannot import velt_py: install it as crates/velt-bench/python/README.md says, or pass --python PATH" >&2
    exit 2
fi
export_py=crates/velt-bench/python/export.py

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -f "$out_dir"/velt-bench-py-vs-cli.*
    rm -rf "$work"
}
trap cleanup EXIT

# Runs one exporter: appends "SIZE SIDE user+sys wall" (seconds) to $work/results. The CPU
# time is the child's own rusage from wait4 (what GNU time reports, but to the microsecond
# instead of 10 ms), so the timer's own Python start-up is not counted.
timer='
import os, subprocess, sys, time
start = time.monotonic()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.monotonic() - start
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_utime:.4f} {usage.ru_stime:.4f} {wall:.4f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
'
measure() { # size side output command...
    local size=$1 side=$2 out=$3
    shift 3
    [ "$out" = /dev/null ] || rm -f "$out" "$out.part" "$out.checkpoint"
    if ! "$python" -c "$timer" "$work/time.txt" "$@" 2>"$work/stderr.txt"; then
        cat "$work/stderr.txt" >&2
        echo "$side export failed" >&2
        exit 1
    fi
    read -r user sys wall <"$work/time.txt"
    echo "$size $side $(echo "$user $sys" | awk '{printf "%.4f", $1+$2}') $wall" >>"$work/results"
}

echo "velt:   $velt ($("$velt" --version))"
echo "python: $python ($("$python" --version 2>&1), velt-py $("$python" -c 'import velt_py; print(velt_py.__version__)'))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/results"
for run in $(seq "$runs"); do
    measure start-up velt /dev/null "$velt" data export --help >/dev/null
    measure start-up python /dev/null "$python" "$export_py" --help >/dev/null
done
for ipf in "${sizes[@]}"; do
    items=$((ipf * 4))
    start_fake "$velt" "$ipf" "$work"
    reference=$out_dir/velt-bench-py-vs-cli.reference.ndjson
    velt_out=$out_dir/velt-bench-py-vs-cli.velt.ndjson
    py_out=$out_dir/velt-bench-py-vs-cli.python.ndjson
    run_velt() {
        measure "$items" velt "$velt_out" "$velt" data export \
            --organization-id org-0001 --user-id user-0001 --out "$velt_out"
    }
    run_python() {
        measure "$items" python "$py_out" "$python" "$export_py" \
            --organization-id org-0001 --user-id user-0001 --out "$py_out"
    }
    # One warm-up of each (page cache, Python's bytecode cache), not counted; its velt output
    # is the reference the measured outputs must equal.
    "$velt" data export --organization-id org-0001 --user-id user-0001 --out "$reference" 2>/dev/null
    "$python" "$export_py" --organization-id org-0001 --user-id user-0001 --out "$py_out" 2>/dev/null
    lines=$(wc -l <"$reference")
    if [ "$lines" -ne "$items" ]; then
        echo "velt wrote $lines lines, expected $items" >&2
        exit 1
    fi
    if ! cmp -s "$reference" "$py_out"; then
        echo "the Python output differs from velt's ($(wc -l <"$py_out") lines against $lines); first difference:" >&2
        diff <(head -c 20000000 "$reference") <(head -c 20000000 "$py_out") | head -4 | cut -c1-400 >&2
        exit 1
    fi
    echo "$items items: outputs identical ($lines lines, $(du -h "$reference" | cut -f1)); measuring $runs runs each"
    for run in $(seq "$runs"); do
        if [ $((run % 2)) -eq 1 ]; then run_velt; run_python; else run_python; run_velt; fi
        for out in "$velt_out" "$py_out"; do
            if ! cmp -s "$reference" "$out"; then
                echo "run $run: $out differs from the first velt output" >&2
                exit 1
            fi
        done
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    rm -f "$reference" "$velt_out" "$py_out"
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "| items | client | user+sys CPU s | wall s |"
echo "|---|---|---|---|"
awk '
    function stats(key,   c, i, j, t, v, m) {
        c = n[key]
        for (i = 1; i <= c; i++) v[i] = x[key, i]
        for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        m = (c % 2) ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
        med[key] = m
        return sprintf("%.3f (%.3f..%.3f)", m, v[1], v[c])
    }
    {
        if (!($1 in seen)) { seen[$1]; order[++k] = $1 }
        i = ++n[$1 SUBSEP $2 SUBSEP "cpu"]; x[$1, $2, "cpu", i] = $3
        n[$1 SUBSEP $2 SUBSEP "wall"]++; x[$1, $2, "wall", i] = $4
    }
    END {
        for (s = 1; s <= k; s++) {
            size = order[s]
            for (side = 1; side <= 2; side++) {
                name = side == 1 ? "velt" : "python"
                label = side == 1 ? "`velt data export`" : "velt-py 0.3.0 (`export.py`)"
                cpu = stats(size SUBSEP name SUBSEP "cpu")
                wall = stats(size SUBSEP name SUBSEP "wall")
                printf "| %s | %s | %s | %s |\n", size, label, cpu, wall
            }
            cv = med[size, "velt", "cpu"]; cp = med[size, "python", "cpu"]
            wv = med[size, "velt", "wall"]; wp = med[size, "python", "wall"]
            # Paired: the ratio of the two runs of the same round, median (min..max).
            c = n[size, "velt", "cpu"]; delete r
            for (i = 1; i <= c; i++) {
                v = x[size, "velt", "cpu", i]
                r[i] = v > 0 ? x[size, "python", "cpu", i] / v : 0
            }
            for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
            pm = (c % 2) ? r[(c + 1) / 2] : (r[c / 2] + r[c / 2 + 1]) / 2
            ratio[s] = sprintf("%s%s: Python / velt CPU, ratio of medians %.2fx, paired runs %.2fx (%.2f..%.2f); wall, ratio of medians %.2fx", size, size ~ /^[0-9]+$/ ? " items" : "", cv > 0 ? cp / cv : 0, pm, r[1], r[c], wv > 0 ? wp / wv : 0)
        }
        print ""
        for (s = 1; s <= k; s++) print ratio[s]
    }' "$work/results"
