import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["app/**/*.test.ts", "app/**/*.test.tsx", "test/**/*.test.ts", "twin/**/*.test.ts", "scripts/**/*.test.ts", "extensions/**/*.test.ts", "datasets/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/browser/**"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    env: { TZ: "UTC" },
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
