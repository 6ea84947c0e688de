#!/usr/bin/env bash
# Installs the system packages ZeroTrip builds and tests against (Debian 12), only when missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds the external validators used by the tests)
set -euo pipefail

packages=(libssl-dev libqrencode-dev libsqlite3-dev openssl pkg-config ca-certificates curl)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3-pip)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-pip is only needed when this machine's python3 has no pip.
if [[ " ${missing[*]} " == *" python3-pip "* ]] && python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # Independent implementations the tests check ZeroTrip against:
  # gmssl (SM2/SM3), cbor2 + cryptography (COSE_Sign1 written from RFC 9052 in the test).
  for module in gmssl cbor2 cryptography; do
    if ! python3 -c "import $module" 2>/dev/null; then
      python3 -m pip install -q --disable-pip-version-check "$module" 2>/dev/null \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages "$module"
    fi
  done
fi
