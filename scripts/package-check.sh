#!/usr/bin/env bash
# Checks that the velt-api crate publishes whole: packages it, unpacks the .crate into a
# temporary directory outside the workspace and compiles its shipped tests there (with default
# features and with all of them), and checks the file list: what a user needs is in, the
# repository's tooling is not.
#
#   scripts/package-check.sh            # from anywhere in the repository
#   PACKAGE_CHECK_RUN_TESTS=1 ...       # also run the shipped tests from the package
#   PACKAGE_CHECK_OFFLINE=1 ...         # never touch the network (every dependency cached)
#
# The network: the package's own Cargo.lock (written by `cargo package` from the workspace's)
# is used with --locked, so cargo only downloads a crate missing from the local cache; after
# `cargo fetch` or any build of the workspace nothing is missing, and crates.io is only needed
# on a machine that has not fetched yet. PACKAGE_CHECK_OFFLINE=1 makes that explicit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'package-check: %s\n' "$*" >&2; exit 1; }

net=()
if [ "${PACKAGE_CHECK_OFFLINE:-0}" = 1 ]; then net=(--offline); fi

target="${CARGO_TARGET_DIR:-$repo/target}"
# The unpacked crate builds in a directory of its own (kept between runs, so that a second run
# is quick), never in the workspace's.
check_target="${PACKAGE_CHECK_TARGET_DIR:-$target/package-check}"
version=$(cargo pkgid "${net[@]}" -p velt-api | sed 's/.*[#@]//')
crate="$target/package/velt-api-$version.crate"

step "file list"
list=$(cargo package "${net[@]}" --locked --allow-dirty --list -p velt-api)
printf '%s\n' "$list"
for needed in Cargo.toml Cargo.lock build.rs openapi/velt.yaml src/lib.rs README.md LICENSE-MIT LICENSE-APACHE; do
  grep -qx "$needed" <<< "$list" || fail "the package lacks $needed"
done
# CI, workflows, the workspace's other crates, the vendor's pages, benchmarks, maintainer
# scripts and the snapshots of generated code stay in the repository.
unwanted=$(grep -E '^(\.ci/|\.github/|crates/|openapi/docs/|benches/|scripts/|docs/|target/)|BENCHMARKS|^snapshots/(generated_|json_schemas)' <<< "$list" || true)
[ -z "$unwanted" ] || fail "the package ships files it should not: $unwanted"

step "cargo package"
# The tests compile below, which also builds the library from the package: cargo's own
# verification build would only repeat that.
cargo package "${net[@]}" --locked --allow-dirty --no-verify -p velt-api
[ -f "$crate" ] || fail "no $crate"

step "unpack and compile the shipped tests outside the workspace"
unpacked=$(mktemp -d "${TMPDIR:-/tmp}/velt-api-package.XXXXXX")
trap 'rm -rf "$unpacked"' EXIT
tar -xzf "$crate" -C "$unpacked"
cd "$unpacked/velt-api-$version"
[ ! -e ../Cargo.toml ] || fail "the unpacked crate sits inside a workspace"
export CARGO_TARGET_DIR="$check_target"
# Default features: the tests that need none (the others are skipped by `required-features`).
cargo test "${net[@]}" --locked --no-run
# All features, as docs.rs builds it: every shipped test.
cargo test "${net[@]}" --locked --all-features --no-run
if [ "${PACKAGE_CHECK_RUN_TESTS:-0}" = 1 ]; then
  step "run the shipped tests from the package"
  CI=true cargo test "${net[@]}" --locked --all-features
fi

step "ok: velt-api-$version.crate builds and its tests compile on their own"
