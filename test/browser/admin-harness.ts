// The admin's browser-test stack: a database cloned from the migrated template, the Shopify twin,
// the built app served by remix-serve, the queue workers, and Debian's Chromium (playwright-core)
// with Shopify's hosts routed to the twin, so the app runs inside the twin's admin frame at
// https://admin.shopify.com/... exactly as it would in Shopify (same origins, same CSP).
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Frame, type Page } from "playwright-core";
import { createDatabase, dropDatabase } from "../../scripts/postgres.ts";
import { TEST_APP_ENV } from "../helpers/app-env.ts";
import { startAppServer } from "../helpers/app-server.ts";
import type { Twin } from "../../twin/index.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const RESULTS_DIR = path.join(ROOT, "test-results");
/** The app's public URL as Shopify knows it; the browser's requests to it go to the local server. */
export const APP_URL = "https://segment-sync.test";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface AdminStack {
  twin: Twin;
  databaseUrl: string;
  appOrigin: string;
  context: BrowserContext;
  page: Page;
  /** Opens the app inside the twin's admin page and returns the app's frame. */
  openAdmin(domain: string, appPath?: string, locale?: string): Promise<Frame>;
  stop(): Promise<void>;
}

/** Builds the app once per run when there is no build yet (remix vite:build, ~5 s). */
function ensureBuild() {
  if (existsSync(path.join(ROOT, "build/server/index.js")) && process.env.ADMIN_BROWSER_REBUILD !== "1") return;
  execFileSync(process.execPath, [path.join(ROOT, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], { cwd: ROOT, stdio: "inherit" });
}

export interface StackOptions {
  /** A migrated database to use (benchmarks); default: a clone of the vitest run's template. */
  databaseUrl?: string;
  /** Run the queue workers (imports, webhook processing); default true. */
  workers?: boolean;
}

export async function startAdminStack(options: StackOptions = {}): Promise<AdminStack> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  ensureBuild();
  let databaseUrl = options.databaseUrl ?? "";
  let dropOnStop: (() => Promise<void>) | null = null;
  if (!databaseUrl) {
    const { inject } = await import("vitest");
    const adminUrl = inject("pgAdminUrl");
    const database = `segsync_browser_admin_${inject("pgRunId")}`;
    await dropDatabase(adminUrl, database);
    await createDatabase(adminUrl, database, inject("pgTemplate"));
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${database}`;
    databaseUrl = dbUrl.toString();
    dropOnStop = () => dropDatabase(adminUrl, database);
  }
  // The test process reads and seeds the same database (app modules read these at import).
  process.env.DATABASE_URL = databaseUrl;
  process.env.TZ = "UTC";
  for (const [k, v] of Object.entries(TEST_APP_ENV)) process.env[k] ??= v;

  const { startTwin } = await import("../../twin/index.ts");
  const twin = await startTwin({ timeScale: 0.001, bulkStepDelayMs: 5 });
  process.env.SHOPIFY_ADMIN_ORIGIN = twin.url;

  // The built app, served in this process (the twin helper's server); the workers in their own.
  const appServer = await startAppServer({ env: { SHOPIFY_APP_URL: APP_URL, SHOPIFY_ADMIN_ORIGIN: twin.url, DATABASE_URL: databaseUrl } });
  const appOrigin = appServer.url;
  twin.setAppUrl(appOrigin);
  const children: ChildProcess[] = [];
  if (options.workers ?? true) {
    const env = { ...process.env, ...TEST_APP_ENV, DATABASE_URL: databaseUrl, SHOPIFY_APP_URL: APP_URL, SHOPIFY_ADMIN_ORIGIN: twin.url, SYNC_POLL_SECONDS: "0.5", SYNC_BULK_POLL_MS: "100" };
    children.push(spawn(process.execPath, ["--import", "tsx", "app/jobs/worker-main.server.ts"], { cwd: ROOT, env, stdio: "inherit" }));
  }

  // A persistent profile with a merchant's default settings: the app needs third-party storage
  // inside the admin's iframe (Remix keeps its route manifest in sessionStorage).
  const profileDir = mkdtempSync(path.join(os.tmpdir(), "segsync-admin-chromium-"));
  const launchArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"];
  // This Chromium blocks third-party cookies (and with them an iframe's sessionStorage) unless the
  // profile allows them, as a merchant's default Chrome profile does.
  mkdirSync(path.join(profileDir, "Default"), { recursive: true });
  writeFileSync(path.join(profileDir, "Default", "Preferences"), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  const probe = await chromium.launch({ executablePath: CHROMIUM, args: launchArgs });
  const version = probe.version();
  await probe.close();
  // A merchant's user agent: headless Chromium's default one is rejected as a bot by authenticate.admin.
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: launchArgs,
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Safari/537.36`,
  });
  // Shopify's hosts: the admin and the App Bridge script come from the twin, the app from the local server.
  await context.route("https://admin.shopify.com/**", async (route) => {
    const url = new URL(route.request().url());
    const response = await route.fetch({ url: `${twin.url}${url.pathname}${url.search}` });
    // The twin embeds its app URL (the local server, where it also delivers webhooks); the browser
    // loads the app from its public https URL instead.
    const body = (await response.text()).replaceAll(appOrigin, APP_URL);
    await route.fulfill({ response, body });
  });
  await context.route("https://cdn.shopify.com/**", async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/shopifycloud/app-bridge.js") {
      const response = await route.fetch({ url: `${twin.url}/shopifycloud/app-bridge.js` });
      return route.fulfill({ response });
    }
    return route.fulfill({ status: 404, body: "" });
  });
  await context.route(`${APP_URL}/**`, async (route) => {
    const url = new URL(route.request().url());
    // As behind Shopify's tunnel or a proxy: the public host travels in X-Forwarded-Host (Remix
    // compares it with Origin before running an action).
    const headers = { ...route.request().headers(), "x-forwarded-host": url.host, "x-forwarded-proto": "https" };
    const response = await route.fetch({ url: `${appOrigin}${url.pathname}${url.search}`, headers, maxRedirects: 0 });
    await route.fulfill({ response });
  });
  const page = context.pages()[0] ?? (await context.newPage());

  return {
    twin,
    databaseUrl,
    appOrigin,
    context,
    page,
    async openAdmin(domain, appPath = "", locale = "en") {
      const store = domain.replace(/\.myshopify\.com$/, "");
      await page.goto(`https://admin.shopify.com/store/${store}/apps/segment-sync${appPath}?locale=${locale}`);
      const frame = page.frame({ name: "app-iframe" });
      if (!frame) throw new Error("the admin page has no app frame");
      await frame.waitForLoadState("load");
      return frame;
    },
    async stop() {
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
      for (const child of children) child.kill("SIGTERM");
      await appServer.stop();
      await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once("exit", r)))));
      await twin.stop();
      const { default: prisma } = await import("../../app/db.server");
      await prisma.$disconnect();
      await dropOnStop?.().catch(() => {});
    },
  };
}
