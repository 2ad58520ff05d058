#!/usr/bin/env bash
# Live drift: fetches Velt's current documentation pages into a temporary copy of the pinned
# snapshot, checks them against the spec and writes the reports. The scheduled workflow
# (.github/workflows/docs-drift.yml) runs it; crates/velt-drift/tests/testsuite/live_drift.rs runs it
# against a local server standing in for the docs. Run from the repository root.
#
# Usage: crates/velt-drift/scripts/live-drift.sh OUT_DIR
#
# Writes OUT_DIR/fetch.log, and after a successful fetch OUT_DIR/report.txt and
# OUT_DIR/report.json (`velt-drift check`, text and JSON). The pinned snapshot is not touched.
#
# Environment:
#   VELT_DRIFT           the velt-drift command, split on spaces
#                        (default: cargo run -p velt-drift --locked --quiet --)
#   VELT_DRIFT_DOCS      the pinned snapshot to copy (default: openapi/docs)
#   VELT_DRIFT_SPEC      the spec (default: openapi/velt.yaml)
#   VELT_DRIFT_MD_BASE, VELT_DRIFT_MDX_BASE
#                        where the .md exports and .mdx sources come from (read by `fetch`)
#   VELT_DRIFT_ISSUE     "1": on drift, open the drift issue or update the open one (gh CLI)
#   GH                   the gh command (default: gh)
#
# Exit: 0 the live pages agree with the spec; 1 drift (reports written, issue opened or
# updated when asked); 2 the pages could not be fetched or read (see fetch.log, stderr).
set -euo pipefail

out="${1:?usage: live-drift.sh OUT_DIR}"
docs="${VELT_DRIFT_DOCS:-openapi/docs}"
spec="${VELT_DRIFT_SPEC:-openapi/velt.yaml}"
read -r -a drift <<< "${VELT_DRIFT:-cargo run -p velt-drift --locked --quiet --}"
read -r -a gh <<< "${GH:-gh}"
label="docs-drift"
title="Velt's live documentation differs from openapi/velt.yaml"

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$docs/." "$work/docs"

if ! "${drift[@]}" fetch --docs "$work/docs" > "$out/fetch.log" 2>&1; then
  cat "$out/fetch.log" >&2
  echo "live-drift: the live pages could not be fetched; nothing was checked" >&2
  exit 2
fi

status=0
"${drift[@]}" check --docs "$work/docs" --spec "$spec" > "$out/report.txt" || status=$?
"${drift[@]}" check --docs "$work/docs" --spec "$spec" --format json > "$out/report.json" || true
cat "$out/report.txt"
case "$status" in
  0) echo "live-drift: the live pages agree with the spec"; exit 0 ;;
  1) ;;
  *) echo "live-drift: velt-drift check failed (exit $status)" >&2; exit 2 ;;
esac

if [ "${VELT_DRIFT_ISSUE:-0}" = "1" ]; then
  body="$out/issue.md"
  {
    echo "The scheduled check of Velt's live documentation pages found drift on $(date -u +%Y-%m-%d)."
    if [ -n "${GITHUB_RUN_ID:-}" ]; then
      echo "Run: ${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID} (the JSON report is its \`drift-report\` artifact)."
    fi
    echo
    echo "To fix: refresh the snapshot with \`cargo run -p velt-drift -- fetch\`, then follow the README's \"When Velt changes its docs\"."
    echo
    echo '```text'
    head -c 60000 "$out/report.txt"
    echo '```'
  } > "$body"
  "${gh[@]}" label create "$label" --color D93F0B \
    --description "Velt's live docs differ from the spec" --force > /dev/null
  number="$("${gh[@]}" issue list --label "$label" --state open --limit 1 \
    --json number --jq '.[0].number // empty')"
  if [ -n "$number" ]; then
    "${gh[@]}" issue edit "$number" --body-file "$body" > /dev/null
    echo "live-drift: updated issue #$number"
  else
    "${gh[@]}" issue create --title "$title" --label "$label" --body-file "$body"
    echo "live-drift: opened an issue"
  fi
fi
exit 1
