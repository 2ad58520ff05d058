#!/usr/bin/env bash
# The maintainer's loop after an edit of openapi/velt.yaml (or of the pinned pages):
#
#   scripts/regenerate.sh            # check, build, test; list every pending snapshot
#   scripts/regenerate.sh --accept   # the same, then accept every pending snapshot
#
# 1. velt-drift check: the pages in openapi/docs/ and the spec must agree (stops here if not).
# 2. cargo build of the whole workspace: build.rs regenerates the client from the spec.
# 3. cargo test of the whole workspace, every snapshot compared; a snapshot that changed does
#    not stop the run but is written beside the old one as NAME.snap.new.
# 4. The list of pending snapshots, with how to review them: `cargo insta review --workspace`
#    (install: cargo install cargo-insta --locked), or without installing anything, read
#    `diff -u NAME.snap NAME.snap.new` and run this script with --accept (or delete the .new
#    files to reject them).
#
# Exit code: 0 when everything passes and nothing is pending, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

accept=false
case "${1:-}" in
    --accept) accept=true ;;
    "") ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }
pending() {
    find . -path ./target -prune -o \( -name '*.snap.new' -o -name '*.pending-snap' \) -print | sort
}

step "drift: documentation pages against the spec"
if ! cargo run -p velt-drift --quiet -- check; then
    echo "the spec and the pages disagree: edit openapi/velt.yaml until the check is clean" >&2
    exit 1
fi

step "build (regenerates the client from the spec)"
cargo build --workspace --all-features || exit 1

step "tests (snapshots that changed are written as .snap.new)"
# Old .snap.new files would be confused with this run's.
pending | xargs -r rm -f
INSTA_UPDATE=new INSTA_FORCE_PASS=1 cargo test --workspace --all-features
tests=$?

step "pending snapshots"
files=$(pending)
if [ -z "$files" ]; then
    echo "none"
elif $accept; then
    for new in $files; do
        case "$new" in
            *.snap.new)
                # insta notes the assertion's line in new snapshots; it is not part of them.
                sed '/^assertion_line: /d' "$new" > "${new%.new}" && rm "$new"
                echo "accepted ${new%.new}" ;;
            *) echo "inline snapshot pending, review with cargo insta review: $new" ;;
        esac
    done
    files=$(pending)
else
    for new in $files; do echo "$new"; done
    echo
    echo "review: cargo insta review --workspace   (install: cargo install cargo-insta --locked)"
    echo "or:     diff -u NAME.snap NAME.snap.new, then scripts/regenerate.sh --accept (or delete the .new files)"
fi

if [ "$tests" -ne 0 ]; then
    echo "tests failed (see above)" >&2
    exit 1
fi
[ -z "$files" ] || exit 1
echo "all clean: commit the spec, the pages, SOURCES and the snapshots together"
