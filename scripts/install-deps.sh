#!/usr/bin/env bash
# Installs the system packages ZeroTrip builds and tests against (Debian 12), only when missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds the external validators used by the tests)
set -euo pipefail

# Build: OpenSSL 3, libqrencode, HarfBuzz (hb-subset), zlib, SQLite, the PKCS#11 header (p11-kit). Run: the AR PL UMing
# CJK font documents embed.
packages=(libssl-dev libqrencode-dev libharfbuzz-dev zlib1g-dev libsqlite3-dev libp11-kit-dev fonts-arphic-uming fonts-hanazono openssl pkg-config ca-certificates curl)
if [[ "${1:-}" == "--test" ]]; then
  # Independent validators: qpdf, poppler (pdftotext, pdffonts, pdfsig, pdftoppm), NSS certutil for pdfsig's trust store;
  # wrk drives `zerotrip bench http` and `bench credit`; PostgreSQL 15 runs the suites a second time on a throw-away
  # cluster (scripts/pg-cluster.sh), never as the system service; nginx (light) runs docs/deployment.md's balancer
  # example in front of two daemons, from its own prefix in a temporary directory.
  packages+=(python3-pip qpdf poppler-utils libnss3-tools wrk postgresql-15 nginx-light)
  # Keys in a token: SoftHSM (a PKCS#11 module with throw-away tokens in a temporary directory) and OpenSC's
  # pkcs11-tool, which reads the keys' attributes back independently.
  packages+=(softhsm2 opensc)
  # A real browser for the page tests (headless Chromium through chromedriver), with CJK fonts so the screenshots
  # show the Chinese text.
  packages+=(chromium chromium-driver fonts-noto-cjk)
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
  # Debian's postgresql package would create and start a "main" cluster as a system service; the tests start their own.
  if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # Independent implementations the tests check ZeroTrip against:
  # gmssl (SM2/SM3), cbor2 + cryptography (COSE_Sign1 and the reference token verifier), pyHanko (PAdES),
  # zxing-cpp + Pillow (QR decoding of rendered pages), pypdf (recomputing the token's content digest), Selenium (drives
  # Chromium through the applicant pages), schemathesis (the OpenAPI description against the running daemon).
  # Pinned, so a new release of a validator cannot change what the tests accept: a package installed at another
  # version is installed again at the pinned one.
  wanted=()
  for package in gmssl==3.2.2 cbor2==6.3.0 cryptography==48.0.0 pyhanko==0.38.0 pyhanko-certvalidator==0.33.0 \
                 zxing-cpp==3.1.1 pillow==13.0.0 pypdf==7.1.1 selenium==4.51.0 schemathesis==4.32.5; do
    name="${package%%==*}" version="${package#*==}"
    if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('$name') != '$version')" 2>/dev/null; then
      wanted+=("$package")
    fi
  done
  # In one call, so pip resolves every pin together (one package's dependencies cannot move another off its pin).
  if [[ ${#wanted[@]} -gt 0 ]]; then
    python3 -m pip install -q --disable-pip-version-check "${wanted[@]}" 2>/dev/null \
      || python3 -m pip install -q --disable-pip-version-check --break-system-packages "${wanted[@]}"
  fi
fi
