// Push-back benchmarks.
// 1. API cost points per membership change for a 10,000-customer re-tag (every customer enters a
//    segment at once, as after a backfill or a threshold change), pushed by the app (bulk mutations:
//    tags + the metafield), against the naive path: per customer, read the tags and write them all
//    back with customerUpdate (measured on a sample, cost per customer x 10,000). Points are the
//    twin's actualQueryCost (Shopify's cost rules), summed over every call of each path.
// 2. Freshness under steady load: orders placed in the twin at a steady rate, each making its
//    customer enter `frequent-30d`; time from the order to `seg:frequent-30d` visible on the customer
//    in the twin, through the whole chain (signed webhook -> route module -> queue -> apply -> engine
//    -> push job -> tagsAdd), workers in this process, the twin's bucket at 100 points/s.
// BENCH_PUSH_CUSTOMERS / BENCH_PUSH_RATE / BENCH_PUSH_SECONDS shrink it.
import { performance } from "node:perf_hooks";

const CUSTOMERS = Number(process.env.BENCH_PUSH_CUSTOMERS ?? 10_000);
const NAIVE_SAMPLE = 300;
const LOAD_CUSTOMERS = 300;
const RATE = Number(process.env.BENCH_PUSH_RATE ?? 1);
const SECONDS = Number(process.env.BENCH_PUSH_SECONDS ?? 90);
const log = (msg: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);
const DAY = 86_400_000;

const { TEST_APP_ENV } = await import("../test/helpers/app-env.ts");
for (const [k, v] of Object.entries(TEST_APP_ENV)) process.env[k] ??= v;
process.env.NODE_ENV = "production";
process.env.SYNC_POLL_SECONDS ??= "0.5";
const { createDatabase, dropDatabase, ensurePostgres } = await import("../scripts/postgres.ts");
const { runPrisma } = await import("../scripts/migrate.ts");
const { percentile, recordFigures } = await import("./lib/results.ts");
const server = await ensurePostgres({ quiet: true });
const database = "segsync_bench_push";
await dropDatabase(server.url, database);
await createDatabase(server.url, database);
const url = server.urlFor(database);
runPrisma(["migrate", "deploy"], url);
process.env.DATABASE_URL = url;

const { default: prisma } = await import("../app/db.server.ts");
const { startTwin } = await import("../twin/index.ts");
const { routeShopifyTrafficTo } = await import("../app/shopify-fetch.server.ts");
await import("../app/shopify.server.ts");
const { installOnTwin } = await import("../test/helpers/sync-twin.ts");
const { logChanges, seedPushCustomers } = await import("../test/helpers/push-twin.ts");
const { pushShop, pushStatus } = await import("../app/push/push.server.ts");
const { closeSyncPool, syncPool } = await import("../app/sync/pg.server.ts");
const { closeEnginePool } = await import("../app/segments/index.server.ts");

type TwinT = Awaited<ReturnType<typeof startTwin>>;
const pointsOf = (twin: TwinT, domain: string, from: number) =>
  twin.graphqlCalls.slice(from).filter((c) => c.shop === domain).reduce((n, c) => n + (c.actualQueryCost ?? c.requestedQueryCost ?? 0), 0);

// ---- 1. cost per membership change --------------------------------------------------------------
let costRatio = 0;
let bulkPerChange = 0;
let naivePerChange = 0;
{
  const twin = await startTwin({ subscriptions: [], bucketSize: 1000, restoreRate: 100, bulkStepDelayMs: 2 });
  routeShopifyTrafficTo(twin.url);
  const domain = "bench-push-cost.myshopify.com";
  const shop = twin.createShop(domain);
  const { id: shopId } = await installOnTwin(twin, domain);
  const base = 8_100_000_000_000n;
  const ids = Array.from({ length: CUSTOMERS }, (_, i) => base + BigInt(i));
  await seedPushCustomers(shop, shopId, ids.map((id, i) => ({ id, tags: i % 3 ? ["newsletter"] : ["newsletter", "wholesale"] })));
  await logChanges(shopId, ids.map((id) => [id, "vip", "entered"] as [bigint, string, "entered"]));
  const from = twin.graphqlCalls.length;
  const t = performance.now();
  const report = await pushShop(shopId, { flowLimit: 0, pollMs: 100 });
  const seconds = (performance.now() - t) / 1000;
  const points = pointsOf(twin, domain, from);
  const calls = twin.graphqlCalls.length - from;
  const ok = shop.customers.every((c) => c.tags.includes("seg:vip"));
  if (!ok || report.path !== "bulk") throw new Error(`re-tag incomplete (path ${report.path})`);
  bulkPerChange = points / CUSTOMERS;
  log(`app: ${CUSTOMERS} customers re-tagged (+ metafield) via bulk in ${seconds.toFixed(1)} s, ${calls} calls, ${points} points (${bulkPerChange.toFixed(4)} per change)`);

  // The naive path on a sample of the same customers: read the tags, write them all back.
  const naiveDomain = "bench-push-naive.myshopify.com";
  const naiveShop = twin.createShop(naiveDomain);
  await installOnTwin(twin, naiveDomain);
  const sample = ids.slice(0, NAIVE_SAMPLE);
  await naiveShop.seed({
    domain: naiveDomain,
    currency: "USD",
    timezone: "UTC",
    customers: () => sample.map((id) => ({ id, createdAt: new Date(), updatedAt: new Date(), state: "enabled" as const, tags: ["newsletter"] })),
    orders: () => [],
  });
  const { adminFor } = await import("../app/shopify/admin-client.server.ts");
  const admin = adminFor(naiveDomain);
  const nFrom = twin.graphqlCalls.length;
  for (const id of sample) {
    const gid = `gid://shopify/Customer/${id}`;
    const read = await admin.request<{ customer: { tags: string[] } }>(`#graphql
      query NaiveRead($id: ID!) { customer(id: $id) { id tags } }`, { id: gid });
    await admin.request(`#graphql
      mutation NaiveUpdate($input: CustomerInput!) { customerUpdate(input: $input) { customer { id } userErrors { field message } } }`, {
      input: { id: gid, tags: [...read.customer.tags, "seg:vip"] },
    });
  }
  naivePerChange = pointsOf(twin, naiveDomain, nFrom) / NAIVE_SAMPLE;
  costRatio = bulkPerChange / naivePerChange;
  log(`naive: ${naivePerChange.toFixed(2)} points per customer (read + customerUpdate); ratio ${costRatio.toFixed(5)}`);
  await twin.stop();
}

// ---- 2. freshness webhook -> tag in the twin ----------------------------------------------------
const freshness: number[] = [];
let throttled = 0;
{
  const { startRouteServer } = await import("../test/helpers/route-server.ts");
  const routes = await startRouteServer();
  const twin = await startTwin({ appUrl: routes.url, bucketSize: 1000, restoreRate: 100, bulkStepDelayMs: 2 });
  routeShopifyTrafficTo(twin.url);
  const domain = "bench-push-fresh.myshopify.com";
  const shop = twin.createShop(domain);
  // Customers with one order 10 days ago: a second order puts them in frequent-30d.
  const now = Date.now();
  const base = 8_200_000_000_000n;
  const customers = Array.from({ length: LOAD_CUSTOMERS }, (_, i) => base + BigInt(i));
  await shop.seed({
    domain,
    currency: "USD",
    timezone: "UTC",
    customers: () => customers.map((id) => ({ id, createdAt: new Date(now - 400 * DAY), updatedAt: new Date(now - 400 * DAY), state: "enabled" as const, tags: ["newsletter"] })),
    orders: () =>
      customers.map((id, i) => {
        const at = new Date(now - 10 * DAY);
        return {
          id: 8_300_000_000_000n + BigInt(i), customerId: id, name: `#${1000 + i}`, createdAt: at, processedAt: at, updatedAt: at, cancelledAt: null,
          cancelReason: null, currency: "USD", subtotalPrice: "40.00", totalDiscounts: "0.00", totalPrice: "40.00", discountCodes: [],
          financialStatus: "paid", test: false, refunds: [],
          lineItems: [{ id: 8_400_000_000_000n + BigInt(i), productId: null, variantId: null, title: "Tee", productType: "Shirts", vendor: "Acme", sku: "T", quantity: 1, price: "40.00" }],
        };
      }),
  });
  const row = await installOnTwin(twin, domain);
  const { startWorkers, stopWorkers } = await import("../app/jobs/workers.server.ts");
  const { startPushWorkers } = await import("../app/push/jobs.server.ts");
  const { startSyncRun } = await import("../app/sync/runs.server.ts");
  await startWorkers({ schedule: false });
  await startPushWorkers({ schedule: false, pollingIntervalSeconds: 0.5 });
  await startSyncRun(row.id, "backfill");
  const settle = async (what: string) => {
    const t = performance.now();
    for (;;) {
      const run = await syncPool().query("select count(*)::int as n from sync_runs where status <> 'completed'");
      const s = await pushStatus(row.id);
      if (run.rows[0].n === 0 && s.customers > 0 && s.behind === 0 && s.dirty === 0 && s.flowPending === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`${what} settled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  await settle("backfill + initial push (tags, metafields, Flow)");
  await twin.webhooks.idle();

  const total = Math.round(RATE * SECONDS);
  log(`placing ${total} orders at ${RATE}/s; each customer's second order puts them in frequent-30d`);
  const callsFrom = twin.graphqlCalls.length;
  const waits: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const id = customers[i % customers.length];
    const placed = performance.now();
    shop.placeOrder({ customerId: id, lineItems: [{ price: "35.00", quantity: 1, productType: "Shirts", vendor: "Acme" }] });
    waits.push(
      (async () => {
        while (!shop.tags(id).includes("seg:frequent-30d")) {
          if (performance.now() - placed > 120_000) throw new Error(`customer ${id} never got seg:frequent-30d`);
          await new Promise((r) => setTimeout(r, 20));
        }
        freshness.push((performance.now() - placed) / 1000);
      })(),
    );
  }
  await Promise.all(waits);
  throttled = twin.graphqlCalls.slice(callsFrom).filter((c) => c.throttled).length;
  log(`freshness p50 ${percentile(freshness, 50).toFixed(2)} s, p95 ${percentile(freshness, 95).toFixed(2)} s, max ${Math.max(...freshness).toFixed(2)} s; ${throttled} throttled calls`);
  await stopWorkers({ graceful: false });
  await twin.stop();
  await routes.stop();
}

recordFigures("push", [
  {
    key: "push_cost_ratio",
    value: costRatio,
    unit: "ratio",
    target: "<= 0.1",
    note: `${CUSTOMERS} customers entering a segment: ${bulkPerChange.toFixed(4)} points/change via bulk tagsAdd + metafieldsSet (staged upload, run, polls) vs ${naivePerChange.toFixed(1)} points/change naive (read tags + customerUpdate, ${NAIVE_SAMPLE}-customer sample) = ${costRatio.toPrecision(2)} (results.ts keeps 3 decimals); twin cost rules`,
  },
  {
    key: "freshness_p50_s",
    value: percentile(freshness, 50),
    unit: "s",
    target: "< 5",
    note: `${freshness.length} orders at ${RATE}/s over ${LOAD_CUSTOMERS} customers: twin order -> signed webhooks -> route module -> queue -> apply -> engine -> push job -> tagsAdd visible in the twin; bucket 100 points/s; ${throttled} throttled calls`,
  },
  { key: "freshness_p95_s", value: percentile(freshness, 95), unit: "s", target: "< 5", note: "same run (workers in the bench process, 2-core machine shared with Postgres and the twin)" },
]);
await prisma.$disconnect();
await closeSyncPool();
await closeEnginePool();
await server.stop();
process.exit(0);
