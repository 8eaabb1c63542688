// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with
// the SQL that takes the previous migration's schema snapshot to prisma/schema.prisma, and keeps a
// snapshot of the schema beside it for the next one. (`prisma migrate dev` cannot run here.)
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensurePostgres, createDatabase } from "./postgres.ts";
import { runPrisma } from "./migrate.ts";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <snake_case_name>");
  process.exit(2);
}
const dir = "prisma/migrations";
const previous = readdirSync(dir).filter((d) => /^\d{14}_/.test(d)).sort().at(-1);
const snapshot = previous ? path.join(dir, previous, "schema.prisma") : null;
if (snapshot && !existsSync(snapshot)) throw new Error(`${snapshot} is missing: cannot diff`);
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const server = await ensurePostgres({ quiet: true });
try {
  // The JS schema engine wants a database to talk to even for a file-to-file diff.
  await createDatabase(server.url, "segsync_migration_scratch");
  const from = snapshot ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
  const sql = runPrisma(
    ["migrate", "diff", ...from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
    process.env.DATABASE_URL ?? server.urlFor("segsync_migration_scratch"),
  );
  if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
    console.log("schema.prisma matches the last migration: nothing to write.");
  } else {
    const target = path.join(dir, `${stamp}_${name}`);
    mkdirSync(target);
    writeFileSync(path.join(target, "migration.sql"), sql);
    copyFileSync("prisma/schema.prisma", path.join(target, "schema.prisma"));
    console.log(`Wrote ${target}/migration.sql`);
  }
} finally {
  await server.stop();
}
