#!/usr/bin/env bash
# Install everything Pledge Desk needs on this machine; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

missing() { echo "无法安装：$*" >&2; exit 1; }

# Python environment (Python 3.11): one per requirements.txt, made once in this user's cache and linked as .venv,
# so that a fresh clone starts in seconds (a checkout whose .venv is a directory of its own keeps it, updated in place)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pledgedesk"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
install_into() {
  if [ ! -x "$1/bin/python" ]; then
    PYTHON=$(command -v python3.11 || true)
    if [ -z "$PYTHON" ] && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      PYTHON=$(command -v python3)
    fi
    [ -n "$PYTHON" ] || missing "没有找到 Python 3.11。请先安装（Debian/Ubuntu：sudo apt-get install python3.11 python3.11-venv），再运行 make run。"
    "$PYTHON" -m venv "$1" || missing "Python 3.11 无法建立虚拟环境。请安装 python3.11-venv（sudo apt-get install python3.11-venv）。"
  fi
  "$1/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$1/.requirements.sha"  # written last: a cut-short install is redone
}
if [ -d .venv ] && [ ! -L .venv ]; then
  [ "$(cat .venv/.requirements.sha 2>/dev/null)" = "$want" ] || install_into .venv
elif [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$want" ]; then
  shared="$CACHE/venv-${want:0:16}"
  mkdir -p "$CACHE"
  (  # one installer at a time: two clones bootstrapping at once share the result
    flock 9
    [ "$(cat "$shared/.requirements.sha" 2>/dev/null)" = "$want" ] || install_into "$shared"
  ) 9>"$CACHE/.lock"
  ln -sfn "$shared" .venv
fi

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
command -v apt-get >/dev/null || NO_APT=1
need=()

# The private database, FerretDB on PostgreSQL 15 (not needed when MONGODB_URI names another server)
if [ -z "${MONGODB_URI:-}" ]; then
  scripts/build-ferretdb.sh
  if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
    [ -z "$SUDO" ] || command -v sudo >/dev/null || missing "需要 root 权限安装 PostgreSQL 15。请以 root 运行，或先安装 sudo。"
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

# Fonts for the PDFs (exporters/pdf.py): 宋体-style body, 黑体 titles, and HanaMin for CJK Extension A/B names;
# poppler and zbar for reading them (and their QR codes) back in tests
[ -f /usr/share/fonts/truetype/arphic/uming.ttc ] || need+=(fonts-arphic-uming)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || need+=(fonts-hanazono)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v zbarimg >/dev/null || need+=(zbar-tools)
# Debian's headless Chromium for the browser tests (Playwright drives it; `playwright install` would download another and
# fails here)
[ -x /usr/bin/chromium-headless-shell ] || need+=(chromium-headless-shell)
if [ ${#need[@]} -gt 0 ]; then
  [ -z "${NO_APT:-}" ] || missing "没有 apt-get（本项目按 Debian 或 Ubuntu 编写）。请用本系统的包管理器安装：${need[*]}"
  [ -z "$SUDO" ] || command -v sudo >/dev/null || missing "需要 root 权限安装：${need[*]}。请以 root 运行，或先安装 sudo。"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Translations (English catalogue; Chinese is the source language)
.venv/bin/pybabel -q compile -f -d adminapp/translations
.venv/bin/pybabel -q compile -f -D admin -d adminapp/translations_admin

# Byte-compile the project once here: every process (gunicorn workers, background jobs, the CLI, the tests' own) then
# loads it without compiling, also where PYTHONDONTWRITEBYTECODE keeps Python from saving what it compiles (0.25 s of
# CPU a process start). Unchanged files are skipped; a stale file is never used (Python checks it against its source).
.venv/bin/python -m compileall -q adminapp documents exporters seed scripts tests wsgi.py >/dev/null
