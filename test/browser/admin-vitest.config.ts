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
    // One rerun of a failed page test: the builder's save once (1 CI run in 4) stayed on the builder
    // for 60 s without an error we could reproduce; its screenshot is kept (admin-builder-saved.png).
    retry: 1,
  },
});
