#!/usr/bin/env bash
# Refresh the vendored browser libraries from the npm registry.
#
# Every library is pinned below; change a version here, run this script, check
# the diff, and update VENDOR.md (this script rewrites its version table).
# Only `npm pack` is used: nothing is installed, no install scripts run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tests_vendor="$repo/tests/e2e/vendor"

HTM=3.1.1
PREACT_LICENCE_FROM=10.29.8  # htm's standalone build bundles Preact 10; its licence text comes from here
SOCKET_IO_CLIENT=4.8.4
HLS_JS=1.7.4
AXE_CORE=4.14.1  # used by the browser tests only

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack NAME VERSION -> prints the package directory
  local name="$1" version="$2" dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

strip_map() {  # a vendored file without its source map would make the browser fetch a 404
  sed -e '/^\/\/# sourceMappingURL=/d' "$1" >"$2"
}

pkg="$(unpack htm "$HTM")"
strip_map "$pkg/preact/standalone.module.js" "$here/preact-htm.mjs"
cp "$pkg/LICENSE" "$here/LICENSE.htm.txt"

pkg="$(unpack preact "$PREACT_LICENCE_FROM")"
cp "$pkg/LICENSE" "$here/LICENSE.preact.txt"

pkg="$(unpack socket.io-client "$SOCKET_IO_CLIENT")"
strip_map "$pkg/dist/socket.io.esm.min.js" "$here/socket.io.esm.min.js"
cp "$pkg/LICENSE" "$here/LICENSE.socket.io-client.txt"

pkg="$(unpack hls.js "$HLS_JS")"
strip_map "$pkg/dist/hls.min.mjs" "$here/hls.min.mjs"
cp "$pkg/LICENSE" "$here/LICENSE.hls.js.txt"

pkg="$(unpack axe-core "$AXE_CORE")"
mkdir -p "$tests_vendor"
cp "$pkg/axe.min.js" "$tests_vendor/axe.min.js"
cp "$pkg/LICENSE" "$tests_vendor/LICENSE.axe-core.txt"

# Keep the version table in VENDOR.md in step with what was just copied.
python3 - "$here/VENDOR.md" "$HTM" "$SOCKET_IO_CLIENT" "$HLS_JS" "$AXE_CORE" <<'PY'
import re, sys
path, htm, sio, hls, axe = sys.argv[1:]
text = open(path, encoding="utf-8").read()
for name, version in (("htm", htm), ("socket.io-client", sio), ("hls.js", hls), ("axe-core", axe)):
    text = re.sub(rf"(\| `{re.escape(name)}` \| )[^ |]+", rf"\g<1>{version}", text)
open(path, "w", encoding="utf-8").write(text)
PY

(cd "$here" && sha256sum preact-htm.mjs socket.io.esm.min.js hls.min.mjs >SHA256SUMS)
(cd "$tests_vendor" && sha256sum axe.min.js >SHA256SUMS)
echo "vendored: htm $HTM (Preact 10 standalone), socket.io-client $SOCKET_IO_CLIENT, hls.js $HLS_JS, axe-core $AXE_CORE"
