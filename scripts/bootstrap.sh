#!/usr/bin/env bash
# Install everything Pledge Desk needs on this machine; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Python environment
[ -x .venv/bin/python ] || python3 -m venv .venv
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > .venv/.requirements.sha
fi

# The embedded database (not needed when MONGODB_URI names another server)
if [ -z "${MONGODB_URI:-}" ]; then
  scripts/build-ferretdb.sh
fi

# CJK fonts for the PDFs, and poppler for reading them back in tests
need=()
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Translations (English catalogue; Chinese is the source language)
.venv/bin/pybabel compile -f -d adminapp/translations >/dev/null
.venv/bin/pybabel compile -f -D admin -d adminapp/translations_admin >/dev/null
