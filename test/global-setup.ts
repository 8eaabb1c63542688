import type { TestProject } from "vitest/node";
import { ensurePostgres, createDatabase, dropDatabase } from "../scripts/postgres.ts";
import { runPrisma } from "../scripts/migrate.ts";
import pg from "pg";

async function dropRunDatabases(adminUrl: string, runId: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>(
    "select datname from pg_database where datname like $1",
    [`segsync_test_${runId}_%`],
  );
  await client.end();
  for (const { datname } of rows) await dropDatabase(adminUrl, datname);
}

// Unique per run, so two runs against one server never share databases.
export const RUN_ID = `${process.pid}`;
export const TEMPLATE_DATABASE = `segsync_test_${RUN_ID}_template`;

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgRunId: string;
  }
}

/** Starts (or reuses) PostgreSQL and migrates a template database once per run. */
export default async function setup(project: TestProject) {
  const server = await ensurePostgres({ quiet: true });
  await dropDatabase(server.url, TEMPLATE_DATABASE);
  await createDatabase(server.url, TEMPLATE_DATABASE);
  runPrisma(["migrate", "deploy"], server.urlFor(TEMPLATE_DATABASE));
  project.provide("pgAdminUrl", server.url);
  project.provide("pgTemplate", TEMPLATE_DATABASE);
  project.provide("pgRunId", RUN_ID);
  return async () => {
    await dropRunDatabases(server.url, RUN_ID);
    await server.stop();
  };
}
