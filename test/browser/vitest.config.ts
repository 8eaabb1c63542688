import { defineConfig } from "vitest/config";

// Browser tests (Debian's Chromium through playwright-core) against the built app and the twin.
// Separate from the unit run: they need `npx remix vite:build` first and a browser.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    // The admin's page tests run with their own stack and config (admin-vitest.config.ts).
    exclude: ["test/browser/admin-*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    env: { TZ: "UTC" },
    pool: "forks",
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
