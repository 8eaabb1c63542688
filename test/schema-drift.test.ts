import { execFileSync } from "node:child_process";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { createDatabase, dropDatabase } from "../scripts/postgres.ts";
import { describeSchema } from "./helpers/schema-catalog.ts";

function urlFor(admin: string, db: string) {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
}

describe("prisma/schema.prisma and prisma/migrations", () => {
  it("describe the same database", async () => {
    // GIVEN the template database built by applying every migration (global setup)
    const admin = inject("pgAdminUrl");
    const migrated = urlFor(admin, inject("pgTemplate"));
    // AND a database built straight from schema.prisma
    const fromSchema = `segsync_test_${inject("pgRunId")}_schema_check`;
    await dropDatabase(admin, fromSchema);
    await createDatabase(admin, fromSchema);
    const sql = execFileSync(
      process.execPath,
      ["node_modules/prisma/build/index.js", "migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
      { env: { ...process.env, DATABASE_URL: urlFor(admin, fromSchema) }, encoding: "utf8" },
    );
    const client = new pg.Client({ connectionString: urlFor(admin, fromSchema) });
    await client.connect();
    await client.query(sql);
    await client.end();

    // WHEN both are described THEN they are the same
    const [a, b] = await Promise.all([describeSchema(migrated), describeSchema(urlFor(admin, fromSchema))]);
    await dropDatabase(admin, fromSchema);
    expect(a.length).toBeGreaterThan(10);
    expect(a).toEqual(b);
  });
});
