#!/usr/bin/env bash
# Build FerretDB v1.24.2 from the Go module proxy into .tools/bin (idempotent).
# `go install …@v1.24.2` builds a binary that panics at start: the module ships without
# build/version/version.txt, which its own release process generates. So we copy the
# module source from the Go module cache, write that one file, and build the copy.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.24.2
BIN=.tools/bin/ferretdb
# Not `grep -q`: it would stop reading at the first match, and under `pipefail` the SIGPIPE this gives
# `ferretdb --version` (when it writes its later lines too late) failed the check and rebuilt for nothing.
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep "version: $VERSION" >/dev/null; then
  exit 0
fi
command -v go >/dev/null || { echo "无法安装：没有找到 go。构建 FerretDB 需要 Go 工具链（Debian/Ubuntu：sudo apt-get install golang-go，或从 https://go.dev/dl/ 安装），也可以设置 MONGODB_URI 使用已有的数据库。" >&2; exit 1; }
mkdir -p .tools/bin .tools/src
build() {
  local dir
  dir=$(cd /tmp && go mod download -json "github.com/FerretDB/FerretDB@$VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf .tools/src/ferretdb
  cp -r "$dir" .tools/src/ferretdb
  chmod -R u+w .tools/src/ferretdb
  echo "$VERSION" > .tools/src/ferretdb/build/version/version.txt
  (cd .tools/src/ferretdb && go build -buildvcs=false -trimpath -o "$OLDPWD/$BIN" ./cmd/ferretdb)
}
# Built once per user and copied into each checkout from this cache.
CACHED="${XDG_CACHE_HOME:-$HOME/.cache}/pledgedesk/ferretdb-$VERSION"
if ! { [ -x "$CACHED" ] && "$CACHED" --version 2>/dev/null | grep "version: $VERSION" >/dev/null; }; then
  echo "构建 FerretDB $VERSION（首次约需 2 分钟）…"
  build || GOTOOLCHAIN=go1.24.3 build
  mkdir -p "$(dirname "$CACHED")"
  cp "$BIN" "$CACHED.part" && mv "$CACHED.part" "$CACHED"
fi
cp "$CACHED" "$BIN"
"$BIN" --version | sed -n 1p  # not head: under pipefail its early exit is a SIGPIPE failure
