// The admin with a 100,000-customer shop: the overview's largest contentful paint in Chromium inside
// the twin's admin frame (`admin_overview_lcp_ms`, Shopify's bar for admin apps: < 2500), and the
// segment page's server time for a page of 50 members (`segment_page_server_ms`, < 200): the route
// loader with a real session token, keyset page sorted by spend, on the largest segment; and the
// same page in the other feature orders (`segment_page_feature_sort_ms`, the slowest of them).
import { loadavg } from "node:os";
import { generateStore } from "../datasets/generate.ts";
import { createDatabase, dropDatabase, ensurePostgres } from "../scripts/postgres.ts";
import { runPrisma } from "../scripts/migrate.ts";
import { TEST_APP_ENV } from "../test/helpers/app-env.ts";
import { loadStoreIntoDatabase } from "./lib/load-db.ts";
import { percentile, recordFigures } from "./lib/results.ts";

const CUSTOMERS = Number(process.env.BENCH_ADMIN_CUSTOMERS ?? 100_000);
const RUNS = Number(process.env.BENCH_ADMIN_RUNS ?? 30);
const LCP_RUNS = Number(process.env.BENCH_ADMIN_LCP_RUNS ?? 5);
const SORT_RUNS = Number(process.env.BENCH_ADMIN_SORT_RUNS ?? 10);
const DOMAIN = "bench-admin.myshopify.com";
const log = (msg: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);

const server = await ensurePostgres({ quiet: true });
const database = "segsync_bench_admin";
await dropDatabase(server.url, database);
await createDatabase(server.url, database);
const url = server.urlFor(database);
runPrisma(["migrate", "deploy"], url);
process.env.DATABASE_URL = url;
process.env.TZ = "UTC";
for (const [k, v] of Object.entries(TEST_APP_ENV)) process.env[k] ??= v;

try {
  const engine = await import("../app/segments/index.server.ts");
  const { default: prisma } = await import("../app/db.server.ts");
  log(`loading ${CUSTOMERS.toLocaleString("en")} customers`);
  const store = generateStore({ customers: CUSTOMERS, ordersPerCustomer: 3, seed: 2026, now: new Date(), domain: DOMAIN });
  const loaded = await loadStoreIntoDatabase(url, null, store, { dropIndexes: true });
  const shopId = loaded.shopId;
  await prisma.$executeRawUnsafe("vacuum analyze customers, orders, line_items, refunds");
  const computed = await engine.recomputeShop(shopId, { rebuildRollups: true });
  log(`${loaded.orders.toLocaleString("en")} orders loaded, full recompute ${computed.seconds.toFixed(1)} s`);
  // 90 days of recorded sizes, as the nightly job leaves them, so the overview draws its chart.
  await prisma.$executeRaw`
    insert into segment_daily_stats (shop_id, segment_key, day, size, entries, exits)
    select d.shop_id, d.segment_key, d.day - g.n, greatest(0, d.size - g.n * 3), 5, 2
      from segment_daily_stats d cross join generate_series(1, 90) as g(n)
     where d.shop_id = ${shopId}
    on conflict do nothing`;
  await prisma.$executeRawUnsafe("vacuum analyze customer_features, memberships, segment_daily_stats, membership_changes");
  await prisma.session.create({
    data: { id: `offline_${DOMAIN}`, shop: DOMAIN, state: "", isOnline: false, scope: TEST_APP_ENV.SCOPES, accessToken: "shpat_bench", expires: new Date(Date.now() + 86_400_000) },
  });

  // ---- segment page: server time for a page of 50 members --------------------------------
  const [largest] = await prisma.$queryRaw<{ key: string; n: bigint }[]>`
    select segment_key as key, count(*) as n from memberships where shop_id = ${shopId} and segment_key not like 'rfm-%'
     group by 1 order by 2 desc limit 1`;
  const { adminGet } = await import("../test/helpers/admin-request.ts");
  const route = await import("../app/routes/app.segments.$key.tsx");
  type Page = { members: { rows: unknown[]; next: string | null } };
  const load = async (path: string) => {
    const request = await adminGet(DOMAIN, path);
    const t = performance.now();
    const data = (await route.loader({ request, params: { key: largest.key }, context: {} })) as unknown as Page;
    return { ms: performance.now() - t, data };
  };
  const base = `/app/segments/${largest.key}?sort=spend&dir=desc`;
  const first = await load(base);
  if (first.data.members.rows.length !== 50) throw new Error(`expected 50 members, got ${first.data.members.rows.length}`);
  const page2 = `${base}&after=${first.data.members.next}`;
  for (let i = 0; i < 5; i++) await load(i % 2 ? page2 : base);
  const pageLoad = loadavg()[0].toFixed(1);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await load(i % 2 ? page2 : base)).ms);
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  log(`segment page (${largest.key}, ${Number(largest.n).toLocaleString("en")} members): p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);

  // ---- the same page in the other feature orders (a join with the feature table) ------------
  const bySort: Record<string, number> = {};
  for (const sort of ["orders", "aov", "lastOrder"]) {
    const sorted = `/app/segments/${largest.key}?sort=${sort}&dir=desc`;
    const one = await load(sorted);
    const two = `${sorted}&after=${one.data.members.next}`;
    await load(two);
    const ms: number[] = [];
    for (let i = 0; i < SORT_RUNS; i++) ms.push((await load(i % 2 ? two : sorted)).ms);
    bySort[sort] = percentile(ms, 50);
    log(`segment page by ${sort}: p50 ${bySort[sort].toFixed(1)} ms`);
  }
  const slowestSort = Math.max(...Object.values(bySort));

  // ---- overview: largest contentful paint in the admin frame -------------------------------
  const { startAdminStack } = await import("../test/browser/admin-harness.ts");
  const stack = await startAdminStack({ databaseUrl: url, workers: false });
  const lcps: number[] = [];
  const lcpLoad = loadavg()[0].toFixed(1);
  try {
    stack.twin.createShop(DOMAIN, { currency: "USD", timezone: "UTC" });
    for (let i = 0; i < LCP_RUNS + 1; i++) {
      const frame = await stack.openAdmin(DOMAIN);
      await frame.locator("#app-home-heading").waitFor({ timeout: 60_000 });
      await frame.waitForLoadState("networkidle").catch(() => {});
      const lcp = await frame.evaluate(
        () =>
          new Promise<number>((resolve) => {
            let latest = 0;
            new PerformanceObserver((list) => {
              for (const entry of list.getEntries()) latest = entry.startTime;
            }).observe({ type: "largest-contentful-paint", buffered: true });
            setTimeout(() => resolve(latest), 300);
          }),
      );
      if (i > 0) lcps.push(lcp); // the first visit warms the server and the browser cache
      log(`overview LCP ${lcp.toFixed(0)} ms${i === 0 ? " (warm-up)" : ""}`);
    }
  } finally {
    await stack.stop();
  }
  const lcp = percentile(lcps, 50);
  const shape = `${CUSTOMERS.toLocaleString("en")} customers, ${loaded.orders.toLocaleString("en")} orders`;
  recordFigures("admin", [
    {
      key: "admin_overview_lcp_ms",
      value: lcp,
      unit: "ms",
      target: "< 2500",
      note: `${shape}: largest-contentful-paint of the overview in Debian's Chromium inside the twin's admin frame (built app, median of ${lcps.length} visits after a warm-up; max ${Math.max(...lcps).toFixed(0)} ms); 1-min load average ${lcpLoad} at start (2 cores shared with other work)`,
    },
    {
      key: "segment_page_server_ms",
      value: p50,
      unit: "ms",
      target: "< 200",
      note: `${shape}: segment page loader (session token check, definition, 50 members keyset-paged by spend through the spend index, history) on ${largest.key} with ${Number(largest.n).toLocaleString("en")} members, pages 1 and 2 alternately, p50 of ${RUNS} (p95 ${p95.toFixed(1)} ms); 1-min load average ${pageLoad} at start`,
    },
    {
      key: "segment_page_feature_sort_ms",
      value: slowestSort,
      unit: "ms",
      target: "< 200",
      note: `${shape}: the same loader on ${largest.key} sorted by the other features, descending (the members joined with the feature table): the slowest sort's p50 of ${SORT_RUNS}, pages 1 and 2 alternately; by sort ${Object.entries(bySort).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ")}`,
    },
  ]);
  await prisma.$disconnect();
  await engine.closeEnginePool();
} finally {
  if (process.env.BENCH_ADMIN_KEEP !== "1") await dropDatabase(server.url, database).catch(() => {});
  await server.stop();
}
