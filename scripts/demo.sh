#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, sets up the demo district
# (禅城区 with 人社局, 公安分局, 卫健局 and the district data office) on SQLite, and starts the daemon.
# Settings: ZEROTRIP_HOST (default 127.0.0.1), ZEROTRIP_PORT (default 8080), ZEROTRIP_HOME (default: the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$PWD"
./scripts/install-deps.sh
swift build --product zerotrip
bin="$(swift build --show-bin-path)/zerotrip"
home="${ZEROTRIP_HOME:-$PWD}"
cd "$home"
"$bin" demo setup --persons "$checkout/demo/persons.csv"
echo
echo "Starting ZeroTrip on http://${ZEROTRIP_HOST:-127.0.0.1}:${ZEROTRIP_PORT:-8080} (Ctrl-C stops it gracefully)."
echo "Try: curl http://${ZEROTRIP_HOST:-127.0.0.1}:${ZEROTRIP_PORT:-8080}/healthz"
echo "Applicant pages (phone): http://${ZEROTRIP_HOST:-127.0.0.1}:${ZEROTRIP_PORT:-8080}/my  (张三丰 / 440104199001010010; the SMS code: $bin identity outbox --last 1)"
echo "Window station (clerks): http://${ZEROTRIP_HOST:-127.0.0.1}:${ZEROTRIP_PORT:-8080}/window  (a department credential from Keys/demo-tokens-*.json)"
echo "Applicant walk-through (in another terminal): $checkout/scripts/applicant-demo.sh"
exec "$bin" serve
