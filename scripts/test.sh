#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: installs what is missing (apt packages, PostgreSQL 15, the
# validators from PyPI), builds everything including the zerotrip executable the end-to-end tests call, runs the
# whole Swift Testing suite on SQLite, then again on PostgreSQL in a throw-away cluster started and stopped here.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
# Layout as swift-format (in the Swift toolchain) prints it, with .swift-format: 4 spaces, 150 columns, layout only,
# no rewriting rules. `swift format format --in-place --parallel -r Sources Tests Package.swift` puts it right.
swift format lint --strict --parallel -r Sources Tests Package.swift
# Every import of another target of this package must be a declared dependency (warnings are errors already,
# Package.swift's treatAllWarnings).
swift build --build-tests --explicit-target-dependency-import-check error
# The suites that drive real daemons under load and time their answers (/healthz within 1 s while 64 clients send)
# run after the others, on their own: run beside the CPU-heavy suites, two cores are shared by a dozen processes and
# the bounds measure the neighbours instead of the daemon.
# One suite at a time: side by side they load the same two cores too.
# The browser tests (Chromium against a daemon on SQLite, and the verification page of an in-process server) run with
# them, once: `PageBrowserTests` also names `VerificationPageBrowserTests`.
# The help examples include the benchmarks (small sizes; on PostgreSQL a bench http with its daemons): alone too.
# schemathesis sends thousands of generated requests to every operation of /openapi.json (a daemon on SQLite, once).
# The WAL checkpoint suite times a background thread against steady commits; beside the other suites that thread
# was starved often enough for the log to pass its bound (55 MB against 48 once), so it runs alone too.
daemons='LoadTests|SharedDatabaseTests|NginxTests|PageBrowserTests|WALCheckpointTests|SchemathesisTests|HelpExampleTests'
under_load() {
  for suite in "$@"; do swift test --skip-build --filter "$suite"; done
}
echo "== suites on SQLite"
swift test --skip-build --skip "$daemons"
echo "== daemons under load on SQLite, and the pages in a browser"
under_load LoadTests SharedDatabaseTests NginxTests PageBrowserTests WALCheckpointTests SchemathesisTests HelpExampleTests
echo "== suites on PostgreSQL"
cluster=$(mktemp -d /tmp/zerotrip-pg.XXXXXX)
trap './scripts/pg-cluster.sh stop "$cluster"; rm -rf "$cluster"' EXIT
url=$(./scripts/pg-cluster.sh start "$cluster")
ZEROTRIP_TEST_DATABASE_URL="$url" swift test --skip-build --skip "$daemons"
echo "== daemons under load on PostgreSQL"
export ZEROTRIP_TEST_DATABASE_URL="$url"
under_load LoadTests SharedDatabaseTests NginxTests HelpExampleTests
