// Dataset loading: a generated shop of 100,000 customers / ~1,000,000 orders (with ~1.9 M line items
// and ~80 k refunds) loaded into Postgres by loadStoreIntoDatabase (COPY, secondary indexes dropped
// and rebuilt). Records dataset_load_orders_per_s and, for the record, the generator's own rate.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateStore } from "../datasets/generate.ts";
import { createDatabase, dropDatabase, ensurePostgres } from "../scripts/postgres.ts";
import { runPrisma } from "../scripts/migrate.ts";
import { loadStoreIntoDatabase } from "./lib/load-db.ts";
import { recordFigures, trackPeakRss } from "./lib/results.ts";

const CUSTOMERS = Number(process.env.BENCH_DATASET_CUSTOMERS ?? 100_000);
const ORDERS_PER_CUSTOMER = 10;
const NOW = new Date("2026-11-01T12:00:00Z");

/**
 * CPU seconds used so far by the embedded Postgres: the postmaster, its live children and (through
 * cutime/cstime) the backends that already exited. Null when the server is not ours to inspect.
 */
function postgresCpuSeconds(): number | null {
  if (process.env.DATABASE_URL) return null;
  const pidFile = path.join(process.env.EMBEDDED_PG_DIR ?? path.resolve(import.meta.dirname, "../.data/postgres"), "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const postmaster = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const fields = (pid: string | number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  try {
    const own = fields(postmaster);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const f = fields(pid);
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // the process ended meanwhile
      }
    }
    return ticks / 100;
  } catch {
    return null;
  }
}

const RUNS = Number(process.env.BENCH_DATASET_RUNS ?? 2);
const server = await ensurePostgres({ quiet: true });
const database = "segsync_bench_datasets";

async function freshDatabase(): Promise<string> {
  const given = process.env.DATABASE_URL;
  if (given) {
    runPrisma(["migrate", "deploy"], given);
    return given;
  }
  await dropDatabase(server.url, database);
  await createDatabase(server.url, database);
  const url = server.urlFor(database);
  runPrisma(["migrate", "deploy"], url);
  return url;
}

try {
  const store = generateStore({ customers: CUSTOMERS, ordersPerCustomer: ORDERS_PER_CUSTOMER, seed: 2026, now: NOW, domain: "bench-datasets.myshopify.com" });

  // The generator alone (what the loader can at best reach).
  let t = performance.now();
  let generated = 0;
  for (const _ of store.orders() as Iterable<unknown>) generated++;
  const generateRate = generated / ((performance.now() - t) / 1000);

  // Other work on a shared 2-core machine makes one run noisy: best of RUNS loads, each into a
  // fresh database; CPU per order is reported too because it does not depend on that noise.
  type Run = { result: Awaited<ReturnType<typeof loadStoreIntoDatabase>>; seconds: number; load: number; nodeSeconds: number; pgSeconds: number | null; peakMb: number };
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const url = await freshDatabase();
    if (process.env.DATABASE_URL && run > 1) break; // a given database cannot be emptied for a second run
    const rss = trackPeakRss();
    const load = os.loadavg()[0];
    const pgCpuBefore = postgresCpuSeconds();
    const nodeCpuBefore = process.cpuUsage();
    t = performance.now();
    let lastPrint = 0;
    const result = await loadStoreIntoDatabase(url, null, store, {
      dropIndexes: true,
      onProgress: (p) => {
        if (p.seconds - lastPrint >= 5 || p.phase !== "orders") {
          lastPrint = p.seconds;
          console.log(`  run ${run}: ${p.phase.padEnd(9)} ${p.customers} customers, ${p.orders} orders, ${p.lineItems} line items, ${p.refunds} refunds, ${p.seconds.toFixed(1)} s`);
        }
      },
    });
    const seconds = (performance.now() - t) / 1000;
    const peakMb = rss.stop();
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the closed backends be reaped
    const pgCpuAfter = postgresCpuSeconds();
    const nodeCpu = process.cpuUsage(nodeCpuBefore);
    runs.push({
      result,
      seconds,
      load,
      nodeSeconds: (nodeCpu.user + nodeCpu.system) / 1e6,
      pgSeconds: pgCpuBefore !== null && pgCpuAfter !== null ? pgCpuAfter - pgCpuBefore : null,
      peakMb,
    });
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const { result, seconds, load, nodeSeconds, pgSeconds } = best;
  const all = runs.map((r) => `${Math.round(r.result.orders / r.seconds).toLocaleString("en")}`).join(", ");

  recordFigures("datasets", [
    {
      key: "dataset_load_orders_per_s",
      value: Math.round(result.orders / seconds),
      unit: "orders/s",
      target: ">= 100000",
      note: `best of ${runs.length} (${all} orders/s): ${CUSTOMERS.toLocaleString("en")} generated customers, ${result.orders.toLocaleString("en")} orders + ${result.lineItems.toLocaleString("en")} line items + ${result.refunds.toLocaleString("en")} refunds by binary COPY (3 streams), secondary indexes dropped and rebuilt (included), ${seconds.toFixed(1)} s wall; 1-min load average ${load.toFixed(1)} at start on ${os.cpus().length} cores`,
    },
    {
      key: "dataset_load_rows_per_s",
      value: Math.round((result.customers + result.orders + result.lineItems + result.refunds) / seconds),
      unit: "rows/s",
      target: "",
      note: "all four tables' rows over the same (best) load",
    },
    ...(pgSeconds === null
      ? []
      : [
          {
            key: "dataset_load_cpu_us_per_order",
            value: Math.round(((nodeSeconds + pgSeconds) * 1e6) / result.orders),
            unit: "µs/order",
            target: "",
            note: `CPU per loaded order in the best run: Node ${nodeSeconds.toFixed(1)} s (generating + encoding) + Postgres ${pgSeconds.toFixed(1)} s; ${os.cpus().length} cores bound the rate at ${Math.round((os.cpus().length * 1e6) / (((nodeSeconds + pgSeconds) * 1e6) / result.orders)).toLocaleString("en")} orders/s`,
          },
        ]),
    {
      key: "dataset_generate_orders_per_s",
      value: Math.round(generateRate),
      unit: "orders/s",
      target: "",
      note: "generateStore orders() alone, with line items and refunds, exact processedAt order",
    },
    {
      key: "dataset_load_peak_rss_mb",
      value: Math.round(Math.max(...runs.map((r) => r.peakMb))),
      unit: "MB",
      target: "",
      note: "Node process peak RSS while loading (streamed; the generator's heap is 24 bytes per customer)",
    },
  ]);
} finally {
  if (!process.env.DATABASE_URL) await dropDatabase(server.url, database);
  if (server.startedHere) await server.stop();
}
