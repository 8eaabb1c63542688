// Scale-out: two `npm run worker` processes on one database, under a load of webhook deliveries
// with duplicates and reordering, sent by the twin to the app's webhook routes over HTTP.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../app/db.server";
import { startTwin, type Twin, type TwinShop } from "../../twin/index.ts";
import { generateStore } from "../../datasets/generate.ts";
import { startRouteServer, type RouteServer } from "../helpers/route-server.ts";
import { dbFigures, installOnTwin, twinFigures } from "../helpers/sync-twin.ts";
import { TEST_APP_ENV } from "../helpers/app-env.ts";
import { routeShopifyTrafficTo } from "../../app/shopify-fetch.server";
import { adminFor } from "../../app/shopify/admin-client.server";
import { drainRuns } from "../../app/jobs/drain.server";
import { stopBoss } from "../../app/jobs/queue.server";
import { closeSyncPool } from "../../app/sync/pg.server";
import { closeEnginePool } from "../../app/segments/pool.server";
import { startSyncRun } from "../../app/sync/runs.server";
import { startWorkerProcess, type WorkerProcess } from "./worker-process.ts";

const DOMAIN = "two-workers.myshopify.com";
const DELIVERIES = 2000;
/** Webhooks the shoppers cause; with a quarter sent twice, about 2,125 deliveries. */
const WEBHOOKS = 1700;
const TAG_PREFIX = "seg:";

let twin: Twin;
let routes: RouteServer;
const workers: WorkerProcess[] = [];
let watcher: pg.Client;

beforeAll(async () => {
  routes = await startRouteServer();
  twin = await startTwin({ appUrl: routes.url, timeScale: 0.001, bulkStepDelayMs: 5 });
  void adminFor; // the Shopify modules are loaded before their traffic is routed to the twin
  routeShopifyTrafficTo(twin.url);
  watcher = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await watcher.connect();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await watcher?.end();
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await closeEnginePool();
  await twin?.stop();
  await routes?.stop();
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not reached within ${timeoutMs / 1000} s\n${workers.map((w) => `[${w.name}] ${w.stderr()}`).join("\n")}`);
}

/** Samples which worker process runs an apply statement, while `busy` holds. */
function watchWorkers(busy: () => boolean) {
  const seen = new Map<string, number>();
  const done = (async () => {
    while (busy()) {
      const { rows } = await watcher.query<{ name: string }>(
        `select application_name as name from pg_stat_activity
          where datname = current_database() and application_name like 'worker-%' and state = 'active'
            and (query ilike '%webhook_events%' or query ilike '%into orders%' or query ilike '%customer_features%')`,
      );
      for (const r of rows) seen.set(r.name, (seen.get(r.name) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { seen, done };
}

/**
 * Shoppers in the twin: orders (some paid later), refunds and cancellations, until the twin has
 * `webhooks` webhooks to send (each a delivery, plus the duplicates the faults add).
 */
async function shop(shopRef: TwinShop, webhooks: number) {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const customers = shopRef.customers.map((c) => c.id);
  const pending: bigint[] = [];
  const placed: bigint[] = [];
  let actions = 0;
  const start = twin.webhooks.records.length;
  while (twin.webhooks.records.length - start < webhooks) {
    const roll = random();
    if (roll < 0.1 && pending.length) shopRef.payOrder(pending.shift()!);
    else if (roll < 0.2 && placed.length) shopRef.refundOrder(placed[Math.floor(random() * placed.length)], { amount: "1.00" });
    else if (roll < 0.24 && placed.length) shopRef.cancelOrder(placed.splice(Math.floor(random() * placed.length), 1)[0]);
    else {
      const paid = random() > 0.2;
      const order = shopRef.placeOrder({
        customerId: customers[Math.floor(random() * customers.length)],
        lineItems: [{ price: (5 + Math.floor(random() * 20000) / 100).toFixed(2), quantity: 1 + Math.floor(random() * 3), title: "Load item" }],
        paid,
      });
      (paid ? placed : pending).push(order.id);
    }
    actions++;
    // Let deliveries flow while shoppers keep coming (the dispatcher holds 8 in flight).
    if (actions % 25 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  return actions;
}

describe("two worker processes on one database", () => {
  it("apply 2,000 webhook deliveries with duplicates and reordering exactly once, equal to the twin, with no lost tag", { timeout: 240_000 }, async (ctx) => {
    // GIVEN a shop in the twin with a history, the app installed and backfilled (segments computed)
    const t0 = Date.now();
    const mark = (what: string) => process.env.SCALE_OUT_TRACE && console.log(`[two-workers] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const now = new Date();
    await twin.seed(DOMAIN, generateStore({ customers: 150, ordersPerCustomer: 2, seed: 21, domain: DOMAIN, now }));
    const shopRow = await installOnTwin(twin, DOMAIN);
    await startSyncRun(shopRow.id, "backfill");
    await drainRuns();
    mark("backfilled");
    // AND two worker processes (`npm run worker`) on the same database, pointed at the twin
    const env = { ...TEST_APP_ENV, DATABASE_URL: process.env.DATABASE_URL as string, SHOPIFY_ADMIN_ORIGIN: twin.url, SYNC_POLL_SECONDS: "0.5", PUSH_WINDOW_SECONDS: "0" };
    workers.push(startWorkerProcess("worker-a", env), startWorkerProcess("worker-b", env));
    await Promise.all(workers.map((w) => w.started));
    mark("workers started");
    // AND the twin sends a quarter of its webhooks twice and reorders them in windows of 8
    twin.webhooks.setFaults({ duplicate: 0.25, reorder: 8, reorderHoldMs: 20 });

    // WHEN shoppers place, pay, refund and cancel orders until 2,000 deliveries went out
    let busy = true;
    const watch = watchWorkers(() => busy);
    const actions = await shop(twin.shop(DOMAIN), WEBHOOKS);
    mark(`${actions} actions`);
    await twin.webhooks.idle();
    mark("twin idle");
    twin.webhooks.setFaults({});
    // AND the workers have settled every recorded event
    await waitFor("every event settled", async () => (await prisma.webhookEvent.count({ where: { status: { in: ["received", "stored"] } } })) === 0);
    busy = false;
    await watch.done;
    mark("events settled");

    // THEN the twin made at least 2,000 deliveries, duplicates among them, every one answered 200
    const log = twin.webhooks.deliveries({ shop: DOMAIN });
    expect(log.length).toBeGreaterThanOrEqual(DELIVERIES);
    expect(log.filter((d) => d.duplicate).length).toBeGreaterThan(DELIVERIES * 0.1);
    expect(log.filter((d) => !d.ok)).toEqual([]);
    // AND the app recorded one event per webhook id, each applied exactly once (one committed apply).
    // Push-back keeps tagging customers meanwhile, and the twin echoes each tag change as a new
    // webhook, so the log is read before the events and the events before a second log read.
    const webhookIds = new Set(log.map((d) => d.webhookId));
    const events = await prisma.webhookEvent.findMany({ where: { shop: DOMAIN }, select: { webhookId: true, topic: true, status: true, attempts: true } });
    // (an echo the app has recorded may still be waiting for its 200, and the twin logs a delivery
    // once answered: let the deliveries in flight finish before the second read)
    await twin.webhooks.idle();
    const laterIds = new Set(twin.webhooks.deliveries({ shop: DOMAIN }).map((d) => d.webhookId));
    const eventIds = new Set(events.map((e) => e.webhookId));
    expect(events.length).toBe(eventIds.size);
    expect([...webhookIds].filter((id) => !eventIds.has(id))).toEqual([]);
    expect(events.filter((e) => !laterIds.has(e.webhookId))).toEqual([]);
    const settled = events.filter((e) => webhookIds.has(e.webhookId));
    expect(settled.filter((e) => e.status !== "applied")).toEqual([]);
    expect(settled.filter((e) => e.attempts !== 1)).toEqual([]);
    // (the echoes that came after the first read are customer tag changes, nothing else)
    expect(events.filter((e) => !webhookIds.has(e.webhookId) && !/^customers?[/.]/.test(e.topic))).toEqual([]);
    // AND the orders (totals, refunds, cancellations, items, customers) equal the twin's
    const twinSide = twinFigures(twin.shop(DOMAIN));
    const dbSide = await dbFigures(shopRow.id);
    expect(Object.keys(dbSide.orders).length).toBe(Object.keys(twinSide.orders).length);
    expect(dbSide.orders).toEqual(twinSide.orders);
    // AND both worker processes applied events while the load ran
    expect([...watch.seen.keys()].sort()).toEqual(["worker-a", "worker-b"]);
    ctx.annotate?.(`${actions} shopper actions, ${log.length} deliveries, ${events.length} events; apply statements seen: ${JSON.stringify(Object.fromEntries(watch.seen))}`);

    // AND no tag is lost: once push-back settles, every customer's tags in the twin are exactly the segments it is in
    const pushWorked = await watcher.query("select 1 from pgboss.job where name = 'push-shop' and state <> 'created' limit 1").then((r) => r.rows.length > 0, () => false);
    mark(pushWorked ? "push ran in the workers: checking tags" : "push did not run in the workers");
    if (!pushWorked) {
      ctx.annotate?.("push-back did not run in the worker processes (startWorkers does not start the push workers): tags not checked");
      return;
    }
    const expectedTags = async () => {
      const { rows } = await watcher.query<{ id: string; segments: string[]; opted_out: boolean }>(
        "select customer_id::text as id, segments, opted_out from customer_features where shop_id = $1",
        [shopRow.id],
      );
      return new Map(rows.map((r) => [r.id, r.opted_out ? [] : r.segments.map((k) => `${TAG_PREFIX}${k}`).sort()]));
    };
    const twinTags = () => {
      const out = new Map<string, string[]>();
      for (const c of twin.shop(DOMAIN).customers) out.set(String(c.id), c.tags.filter((t) => t.toLowerCase().startsWith(TAG_PREFIX) && t.toLowerCase() !== "seg:opt-out").sort());
      return out;
    };
    const mismatches = async () => {
      const want = await expectedTags();
      const have = twinTags();
      return [...want].filter(([id, tags]) => (have.get(id) ?? []).join(" ") !== tags.join(" ")).map(([id, tags]) => `${id}: want ${tags.join(" ")}, twin ${(have.get(id) ?? []).join(" ")}`);
    };
    await waitFor("tags in the twin equal the segments", async () => (await mismatches()).length === 0, 45_000).catch(() => {});
    expect(await mismatches()).toEqual([]);
    mark("tags checked");
  });
});
