#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: system packages, a virtualenv in .venv, the project and its extras.
#   scripts/setup.sh runtime   what `make example` needs (offline defaults: SQLite, RapidOCR, rules mapper)
#   scripts/setup.sh dev       everything the test suite needs (adds test tools and Debian packages)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-runtime}"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

# Debian packages the tests use (real Tesseract, PostgreSQL, CJK fonts for the corpus, Chromium for the
# review-page test, LibreOffice for .doc/.wps/.et); installed only when missing.
DEV_APT_PACKAGES="${DEV_APT_PACKAGES:-fonts-arphic-uming fonts-wqy-zenhei postgresql tesseract-ocr tesseract-ocr-chi-sim chromium libreoffice-core libreoffice-writer libreoffice-calc}"

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [ "$MODE" = "dev" ] && [ -n "$DEV_APT_PACKAGES" ]; then
  # shellcheck disable=SC2086
  apt_install $DEV_APT_PACKAGES
fi
# The storage tests need a running PostgreSQL with a test role (their default URL is the one printed here).
[ "$MODE" = "dev" ] && scripts/test_postgres.sh >/dev/null

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi

EXTRAS="pdf,office,llm,db,service,eval"
[ "$MODE" = "dev" ] && EXTRAS="$EXTRAS,tesseract,rapid6,dev,ray"
# Re-install only when the dependency list or the mode changed.
STAMP="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$MODE"
if [ ! -f "$STAMP" ]; then
  echo "installing the project with extras [$EXTRAS] into $VENV"
  "$VENV/bin/pip" install -q -e ".[$EXTRAS]" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import extractor" # fail loudly if the install did not work
  touch "$STAMP"
fi
