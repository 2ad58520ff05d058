# shellcheck shell=bash
# Sourced by the benchmark scripts: starts `velt fake serve` for one user as its own process.
#
#   start_fake VELT_BINARY ITEMS_PER_FEATURE WORK_DIR
#
# Sets `server_pid` and exports VELT_BASE_URL, VELT_API_KEY and VELT_AUTH_TOKEN from what the
# server prints. Each call writes to its own files, so that the wait never reads an earlier
# server's lines. Fails (exit 1) if the server has not started within 10 s.
start_fake() {
    local velt=$1 ipf=$2 work=$3
    local serve_out=$work/serve-$ipf.out serve_err=$work/serve-$ipf.err
    rm -f "$serve_out" "$serve_err"
    "$velt" fake serve --addr 127.0.0.1:0 --users 1 --items-per-feature "$ipf" >"$serve_out" 2>"$serve_err" &
    server_pid=$! # read by the sourcing script
    export server_pid
    for _ in $(seq 100); do
        grep -q '^export VELT_AUTH_TOKEN=' "$serve_out" 2>/dev/null && break
        sleep 0.1
    done
    if ! grep -q '^export VELT_AUTH_TOKEN=' "$serve_out"; then
        cat "$serve_err" >&2
        echo "velt fake serve did not start within 10 s" >&2
        exit 1
    fi
    # shellcheck disable=SC1090
    source <(grep '^export VELT_' "$serve_out")
}
