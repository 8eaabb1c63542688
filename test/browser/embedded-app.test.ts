import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwin, type Twin } from "../../twin/index.ts";
import { TEST_APP_URL } from "../helpers/app-env.ts";
import { startAppServer, type AppServer } from "../helpers/app-server.ts";

const SHOP = "browser-twin.myshopify.com";
const resultsDir = path.resolve(import.meta.dirname, "../../test-results");
let twin: Twin;
let app: AppServer;
let context: BrowserContext;
let profileDir: string;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"];

beforeAll(async () => {
  twin = await startTwin();
  twin.createShop(SHOP, { name: "Browser Twin" });
  // The app keeps its public https URL; the browser's requests to it are routed to the local server.
  app = await startAppServer({ env: { SHOPIFY_ADMIN_ORIGIN: twin.url, SHOPIFY_APP_URL: TEST_APP_URL } });
  twin.setAppUrl(TEST_APP_URL);
  // A merchant's browser: third-party storage allowed (Debian's Chromium blocks it by default, and
  // the app inside the admin's iframe needs sessionStorage), and a non-headless user agent (the
  // Shopify library answers "HeadlessChrome" with 410 as a bot).
  profileDir = mkdtempSync(path.join(os.tmpdir(), "segsync-twin-chromium-"));
  mkdirSync(path.join(profileDir, "Default"));
  writeFileSync(path.join(profileDir, "Default", "Preferences"), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  const probe = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const version = probe.version();
  await probe.close();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Safari/537.36`,
  });
});
afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await app?.stop();
  await twin?.stop();
});

describe("the app embedded in the twin's admin", () => {
  it("renders the app's home page inside the admin iframe", async () => {
    // GIVEN a browser that reaches Shopify's admin and CDN through the twin
    await context.route("https://cdn.shopify.com/shopifycloud/app-bridge.js", async (route) => {
      const response = await fetch(`${twin.url}/shopifycloud/app-bridge.js`);
      await route.fulfill({ status: response.status, contentType: "application/javascript", body: await response.text() });
    });
    await context.route("https://cdn.shopify.com/**", (route) => route.fulfill({ status: 204, body: "" }));
    await context.route("https://admin.shopify.com/**", async (route) => {
      const url = new URL(route.request().url());
      const response = await fetch(`${twin.url}${url.pathname}${url.search}`);
      await route.fulfill({ status: response.status, contentType: "text/html", body: await response.text() });
    });
    await context.route(`${TEST_APP_URL}/**`, async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      const body = request.postDataBuffer();
      const response = await fetch(`${app.url}${url.pathname}${url.search}`, {
        method: request.method(),
        headers: request.headers(),
        body: body ? new Uint8Array(body) : undefined,
        redirect: "manual",
      });
      await route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    // WHEN the merchant opens the app in the admin
    await page.goto(`https://admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}/apps/${twin.appHandle}`);
    // THEN the app's home page renders inside the frame, after a real token exchange with the twin
    const frame = page.frameLocator("#app-iframe");
    const heading = frame.locator("#app-home-heading");
    mkdirSync(resultsDir, { recursive: true });
    try {
      await heading.waitFor({ state: "visible", timeout: 60_000 });
    } catch (error) {
      await page.screenshot({ path: path.join(resultsDir, "embedded-app-failure.png"), fullPage: true });
      throw new Error(`${(error as Error).message}\nframe: ${page.frames().map((f) => f.url()).join(" | ")}\nbrowser errors: ${problems.join(" | ")}`);
    }
    expect((await heading.textContent())?.trim().length).toBeGreaterThan(0);
    await expect(frame.getByText(SHOP).first().textContent()).resolves.toContain(SHOP);
    await page.screenshot({ path: path.join(resultsDir, "embedded-app.png"), fullPage: true });
  });
});
