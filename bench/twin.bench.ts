// The twin holding a large shop: seeds 100,000 customers / ~300,000 orders (~2 line items each)
// from the project's generator into one in-memory shop, then measures the seed time and the
// process's memory. Keys: twin_seed_100k_s, twin_rss_100k_mb.
import { generateStore } from "../datasets/generate.ts";
import { startTwin } from "../twin/index.ts";
import { recordFigures, trackPeakRss } from "./lib/results.ts";

const CUSTOMERS = 100_000;
const ORDERS_PER_CUSTOMER = 3;
const DOMAIN = "bench-twin.myshopify.com";

const gc = (globalThis as { gc?: () => void }).gc;
const twin = await startTwin({ subscriptions: [] });
gc?.();
const baseMb = process.memoryUsage.rss() / 2 ** 20;
const rss = trackPeakRss();
const store = generateStore({ customers: CUSTOMERS, ordersPerCustomer: ORDERS_PER_CUSTOMER, seed: 2026, now: new Date("2026-11-01T00:00:00Z"), domain: DOMAIN });
const started = performance.now();
const shop = await twin.seed(DOMAIN, store);
const seedS = (performance.now() - started) / 1000;
gc?.();
const peakMb = rss.stop();
const settledMb = process.memoryUsage.rss() / 2 ** 20;
const lineItems = shop.orders.reduce((n, o) => n + o.lineItems.length, 0);

// A sanity read through the Admin API so the shop is really usable at this size.
const admin = twin.adminClient(DOMAIN);
const page = await admin.graphql<{ customers: { nodes: { id: string }[] } }>(`{ customers(first: 250) { nodes { id numberOfOrders } } }`);
if (page.data?.customers.nodes.length !== 250) throw new Error(`unexpected page: ${JSON.stringify(page).slice(0, 300)}`);
await twin.stop();

console.log(`${shop.customers.length} customers, ${shop.orders.length} orders, ${lineItems} line items; base RSS ${baseMb.toFixed(0)} MB, settled ${settledMb.toFixed(0)} MB`);
recordFigures("twin", [
  {
    key: "twin_seed_100k_s",
    value: seedS,
    unit: "s",
    target: "< 60",
    note: `${shop.customers.length} customers, ${shop.orders.length} orders, ${lineItems} line items streamed from datasets/generate.ts (generation included) into one twin shop`,
  },
  {
    key: "twin_rss_100k_mb",
    value: peakMb,
    unit: "MB",
    target: "< 1024",
    note: `peak RSS of the process holding that shop (twin server + schema ${baseMb.toFixed(0)} MB before seeding; ${settledMb.toFixed(0)} MB after GC)`,
  },
]);
