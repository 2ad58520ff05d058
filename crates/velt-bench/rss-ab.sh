#!/usr/bin/env bash
# Benchmark (b), A/B: peak RSS of `velt data export` (100k items) and of `velt --version`, of
# two release binaries run alternately against one `velt fake serve` (started from NEW).
#
#   crates/velt-bench/rss-ab.sh OLD_VELT NEW_VELT [RUNS]
#
# To get an old binary: `git worktree add /tmp/old REV` and
# `CARGO_TARGET_DIR=/tmp/oldtarget cargo build --release -p velt-cli --locked` in it.
set -euo pipefail
old=${1:?usage: rss-ab.sh OLD_VELT NEW_VELT [RUNS]}
new=${2:?usage: rss-ab.sh OLD_VELT NEW_VELT [RUNS]}
runs=${3:-3}
out=$(mktemp -d)
"$new" fake serve --addr 127.0.0.1:0 --users 1 --items-per-feature 25000 > "$out/serve.txt" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do grep -q VELT_AUTH_TOKEN "$out/serve.txt" 2>/dev/null && break; sleep 0.2; done
eval "$(grep '^export' "$out/serve.txt")"
peak() { grep 'Maximum resident' "$1" | awk '{print $6}'; }
for _ in $(seq "$runs"); do
  for side in old new; do
    bin=${!side}
    rm -f "$out"/e.ndjson*
    /usr/bin/time -v "$bin" data export --organization-id org-0001 --user-id user-0001 \
      --out "$out/e.ndjson" 2> "$out/t.txt"
    export_kib=$(peak "$out/t.txt")
    /usr/bin/time -v "$bin" --version > /dev/null 2> "$out/t.txt"
    echo "$side: export ${export_kib} KiB, --version $(peak "$out/t.txt") KiB"
  done
done
ls -l "$old" "$new" | awk '{print $5, $9}'
