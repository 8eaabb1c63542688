import { defineConfig } from "vitest/config";

// The admin's browser tests: one file, one stack (twin, built app, workers, Chromium).
export default defineConfig({
  test: {
    include: ["test/browser/admin-*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    env: { TZ: "UTC" },
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
