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

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()

# The private database, FerretDB on PostgreSQL 15 (not needed when MONGODB_URI names another server)
if [ -z "${MONGODB_URI:-}" ]; then
  scripts/build-ferretdb.sh
  if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
    # Only the binaries: Debian would otherwise create and start a cluster of its own on port 5432.
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/pledgedesk.conf >/dev/null
    need+=(postgresql-15)
  fi
  # initdb and postgres refuse to run as root: as root, the cluster belongs to this unprivileged user.
  if [ "$(id -u)" -eq 0 ] && ! id pledgedesk >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pledgedesk
  fi
fi

# CJK fonts for the PDFs; poppler and zbar for reading them (and their QR codes) back in tests
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v zbarimg >/dev/null || need+=(zbar-tools)
# Debian's Chromium for the browser tests (Playwright drives it; `playwright install` would download another and fails here)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Translations (English catalogue; Chinese is the source language)
.venv/bin/pybabel -q compile -f -d adminapp/translations
.venv/bin/pybabel -q compile -f -D admin -d adminapp/translations_admin
