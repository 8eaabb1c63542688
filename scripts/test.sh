#!/usr/bin/env bash
# The whole check: typecheck, lint, unit and integration tests on real PostgreSQL, browser tests
# and the production build. Starts and stops what it needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
export TZ=UTC
[ -d app/generated/prisma ] || npx prisma generate >/dev/null
step() { printf '\n== %s\n' "$*"; }
step "typecheck"; npx tsc --noEmit
step "lint"; npx eslint --max-warnings=0 .
step "build"; npx remix vite:build >/dev/null
step "tests"; npx vitest run "$@"
# The embedded app in a real browser (Debian's Chromium) against the twin; only for the full check.
if [ $# -eq 0 ]; then
  step "browser"; bash scripts/install-browser.sh; npx vitest run --config test/browser/vitest.config.ts
  step "admin in the browser"; npx vitest run --config test/browser/admin-vitest.config.ts
fi
