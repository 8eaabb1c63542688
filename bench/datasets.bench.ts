// Dataset loading: a generated shop of 100,000 customers / ~1,000,000 orders (with ~1.9 M line items
// and ~80 k refunds) loaded into Postgres by loadStoreIntoDatabase (COPY, secondary indexes dropped
// and rebuilt). Records dataset_load_orders_per_s and, for the record, the generator's own rate.
import { generateStore } from "../datasets/generate.ts";
import { createDatabase, dropDatabase, ensurePostgres } from "../scripts/postgres.ts";
import { runPrisma } from "../scripts/migrate.ts";
import { loadStoreIntoDatabase } from "./lib/load-db.ts";
import { recordFigures, trackPeakRss } from "./lib/results.ts";

const CUSTOMERS = Number(process.env.BENCH_DATASET_CUSTOMERS ?? 100_000);
const ORDERS_PER_CUSTOMER = 10;
const NOW = new Date("2026-11-01T12:00:00Z");

const server = await ensurePostgres({ quiet: true });
const database = "segsync_bench_datasets";
let url = process.env.DATABASE_URL;
if (!url) {
  await dropDatabase(server.url, database);
  await createDatabase(server.url, database);
  url = server.urlFor(database);
}
runPrisma(["migrate", "deploy"], url);

try {
  const store = generateStore({ customers: CUSTOMERS, ordersPerCustomer: ORDERS_PER_CUSTOMER, seed: 2026, now: NOW, domain: "bench-datasets.myshopify.com" });

  // The generator alone (what the loader can at best reach).
  let t = performance.now();
  let generated = 0;
  for (const _ of store.orders() as Iterable<unknown>) generated++;
  const generateRate = generated / ((performance.now() - t) / 1000);

  const rss = trackPeakRss();
  t = performance.now();
  let lastPrint = 0;
  const result = await loadStoreIntoDatabase(url, null, store, {
    dropIndexes: true,
    onProgress: (p) => {
      if (p.seconds - lastPrint >= 5 || p.phase !== "orders") {
        lastPrint = p.seconds;
        console.log(`  ${p.phase.padEnd(9)} ${p.customers} customers, ${p.orders} orders, ${p.lineItems} line items, ${p.refunds} refunds, ${p.seconds.toFixed(1)} s`);
      }
    },
  });
  const seconds = (performance.now() - t) / 1000;
  const peakMb = rss.stop();

  recordFigures("datasets", [
    {
      key: "dataset_load_orders_per_s",
      value: Math.round(result.orders / seconds),
      unit: "orders/s",
      target: ">= 100000",
      note: `${CUSTOMERS.toLocaleString("en")} generated customers, ${result.orders.toLocaleString("en")} orders + ${result.lineItems.toLocaleString("en")} line items + ${result.refunds.toLocaleString("en")} refunds by COPY (3 streams), secondary indexes dropped and rebuilt (included), ${seconds.toFixed(1)} s`,
    },
    {
      key: "dataset_load_rows_per_s",
      value: Math.round((result.customers + result.orders + result.lineItems + result.refunds) / seconds),
      unit: "rows/s",
      target: "",
      note: "all four tables' rows over the same load",
    },
    {
      key: "dataset_generate_orders_per_s",
      value: Math.round(generateRate),
      unit: "orders/s",
      target: "",
      note: "generateStore orders() alone, with line items and refunds, exact processedAt order",
    },
    {
      key: "dataset_load_peak_rss_mb",
      value: Math.round(peakMb),
      unit: "MB",
      target: "",
      note: "Node process peak RSS while loading (streamed; the generator's heap is 24 bytes per customer)",
    },
  ]);
} finally {
  if (!process.env.DATABASE_URL) await dropDatabase(server.url, database);
  if (server.startedHere) await server.stop();
}
