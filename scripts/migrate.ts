import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDatabase, type RunningPostgres } from "./postgres.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const APP_DATABASE = process.env.APP_DATABASE ?? "segment_sync";

/** Runs `prisma migrate deploy` against `database` on the given server, creating it first. */
export async function migrate(server: RunningPostgres, database: string): Promise<string> {
  const url = process.env.DATABASE_URL ?? server.urlFor(database);
  if (!process.env.DATABASE_URL) await createDatabase(server.url, database);
  runPrisma(["migrate", "deploy"], url);
  return url;
}

export function runPrisma(args: string[], databaseUrl: string) {
  const result = spawnSync(process.execPath, [path.join(root, "node_modules/prisma/build/index.js"), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`prisma ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
