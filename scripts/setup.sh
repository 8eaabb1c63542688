#!/usr/bin/env bash
# One-time setup on a fresh machine: Node 24 when needed, dependencies from the lockfile, the
# Prisma client, and the embedded PostgreSQL initialised and migrated. Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node_bin="$(bash scripts/ensure-node.sh)"
export PATH="$node_bin:$PATH"
echo "Node $(node --version) from $node_bin"
# `npm install` (not `npm ci`): this npm writes lockfiles without other platforms' optional
# packages and `npm ci` then refuses them; `npm install` still installs the locked versions.
npm install --no-audit --no-fund --loglevel=error
npx prisma generate >/dev/null
bash scripts/install-browser.sh
npm run --silent db -- migrate
echo "Setup done. Run the tests with: npm test"
