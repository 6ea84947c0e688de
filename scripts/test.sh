#!/usr/bin/env bash
# The README's test command, and what .ci/run runs: installs what is missing (apt packages,
# the gmssl validator from PyPI), builds everything including the zerotrip executable the
# end-to-end tests call, and runs the whole Swift Testing suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build
