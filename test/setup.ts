// Runs before each test file, in its worker: a fresh database cloned from the migrated template,
// the app's environment, and a guard that fails tests on unexpected console.error.
import pg from "pg";
import { afterAll, afterEach, beforeEach, expect, inject, vi } from "vitest";
import { createDatabase, dropDatabase } from "../scripts/postgres.ts";
import { TEST_APP_ENV } from "./helpers/app-env.ts";

const adminUrl = inject("pgAdminUrl");
const template = inject("pgTemplate");
const database = `segsync_test_${inject("pgRunId")}_w${process.env.VITEST_POOL_ID ?? "1"}`;
await dropDatabase(adminUrl, database);
await createDatabase(adminUrl, database, template);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${database}`;
process.env.DATABASE_URL = dbUrl.toString();
process.env.TZ = "UTC";
for (const [key, value] of Object.entries(TEST_APP_ENV)) process.env[key] ??= value;

// Every test starts from empty tables (the schema stays).
const cleaner = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const tables = (
  await cleaner.query<{ t: string }>(
    "select format('%I', tablename) as t from pg_tables where schemaname = 'public' and tablename <> '_prisma_migrations'",
  )
).rows.map((r) => r.t);
beforeEach(async () => {
  if (tables.length) await cleaner.query(`truncate ${tables.join(", ")} restart identity cascade`);
});
afterAll(async () => {
  await cleaner.end();
});

let consoleErrors: unknown[][] = [];
let allowed = false;
/** For tests that expect the code under test to log an error. */
export function allowConsoleError() {
  allowed = true;
}
beforeEach(() => {
  consoleErrors = [];
  allowed = false;
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    consoleErrors.push(args);
  });
});
afterEach(() => {
  vi.mocked(console.error).mockRestore();
  if (!allowed && consoleErrors.length > 0) {
    expect.fail(`unexpected console.error:\n${consoleErrors.map((a) => a.map(String).join(" ")).join("\n")}`);
  }
});
