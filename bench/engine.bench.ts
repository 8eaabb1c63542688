// The segment engine at scale: generated shops of 100,000 and 1,000,000 customers (~10 orders each)
// loaded by COPY, then the full recompute (first run: roll-ups from line items and every initial
// membership; steady state: the nightly run a day later with roll-ups kept at ingest), the
// re-evaluation after a threshold change, the incremental recompute per event, the feature table's
// size and the peak memory. `BENCH_ENGINE_SIZES=100000` runs the small shop only.
// `BENCH_ENGINE_KEEP=1` keeps each loaded database and reuses it on the next run (the engine's
// tables and the bench's own orders are reset to the just-loaded state): at 1 M the load takes minutes.
// `BENCH_ENGINE_LOAD_ONLY=1` (with KEEP) stops after loading; `BENCH_ENGINE_RECORD=0` records nothing.
// `BENCH_ENGINE_SIZES=100000 BENCH_ENGINE_INCREMENTAL=0` re-measures the small shop only.
import os from "node:os";
import pg from "pg";
import { generateStore } from "../datasets/generate.ts";
import { createDatabase, dropDatabase, ensurePostgres } from "../scripts/postgres.ts";
import { runPrisma } from "../scripts/migrate.ts";
import { loadStoreIntoDatabase, type LoadResult } from "./lib/load-db.ts";
import { percentile, recordFigures, trackPeakRss, type Figure } from "./lib/results.ts";

const SIZES = (process.env.BENCH_ENGINE_SIZES ?? "100000,1000000").split(",").map(Number);
const EVENTS = Number(process.env.BENCH_ENGINE_EVENTS ?? 1000);
const NOW = new Date("2026-11-01T12:00:00Z");
const NEXT_DAY = new Date(NOW.getTime() + 86400_000);
const KEEP = process.env.BENCH_ENGINE_KEEP === "1";
const LOAD_ONLY = KEEP && process.env.BENCH_ENGINE_LOAD_ONLY === "1";
const RECORD = process.env.BENCH_ENGINE_RECORD !== "0";
const BENCH_ORDER_IDS = 9_900_000_000_000n;
const ENGINE_TABLES = ["customer_features", "memberships", "membership_changes", "segment_daily_stats", "segment_shop_stats", "segments"];

const server = await ensurePostgres({ quiet: true });
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`);
/** The 1-minute load average (2 cores shared with other work): recorded beside every figure. */
const load = () => os.loadavg()[0].toFixed(1);
const log = (msg: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);

/** The load recorded in a kept database, or null when it holds none (then it is loaded afresh). */
async function keptLoad(url: string): Promise<LoadResult | null> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ load: LoadResult }>("select load from bench_engine_loaded").catch(() => ({ rows: [] as { load: LoadResult }[] }));
    return rows[0]?.load ?? null;
  } finally {
    await db.end();
  }
}

try {
  for (const size of SIZES) {
    const database = `segsync_bench_engine_${label(size)}`;
    if (!KEEP) await dropDatabase(server.url, database);
    await createDatabase(server.url, database);
    const url = server.urlFor(database);
    runPrisma(["migrate", "deploy"], url);
    const kept = KEEP ? await keptLoad(url) : null;
    if (KEEP && !kept) {
      // Kept but never fully loaded (or loaded by an older bench): start it again.
      await dropDatabase(server.url, database);
      await createDatabase(server.url, database);
      runPrisma(["migrate", "deploy"], url);
    }
    process.env.DATABASE_URL = url;
    // The engine reads DATABASE_URL when its pool is first used: import it after setting it.
    const engine = await import("../app/segments/index.server.ts");
    const figures: Figure[] = [];
    try {
      let loaded: LoadResult;
      const db = new pg.Client({ connectionString: url });
      db.on("error", () => {});
      if (kept) {
        loaded = kept;
        log(`reusing ${loaded.orders.toLocaleString("en")} loaded orders (engine tables reset)`);
        await db.connect();
        await db.query("delete from line_items where shop_id = $1 and id >= $2", [loaded.shopId, String(BENCH_ORDER_IDS)]);
        await db.query("delete from orders where shop_id = $1 and id >= $2", [loaded.shopId, String(BENCH_ORDER_IDS)]);
        await db.query(`truncate ${ENGINE_TABLES.join(", ")}`);
        await db.query(`vacuum analyze customers, orders, line_items, refunds, ${ENGINE_TABLES.join(", ")}`);
      } else {
        log(`loading ${size.toLocaleString("en")} customers`);
        const store = generateStore({ customers: size, ordersPerCustomer: 10, seed: 2026, now: NOW, domain: `bench-engine-${label(size)}.myshopify.com` });
        loaded = await loadStoreIntoDatabase(url, null, store, { dropIndexes: true });
        log(`loaded ${loaded.orders.toLocaleString("en")} orders, ${loaded.lineItems.toLocaleString("en")} line items in ${loaded.seconds.toFixed(0)} s`);
        await db.connect();
        await db.query("vacuum analyze customers, orders, line_items, refunds");
        if (KEEP) {
          await db.query("create table bench_engine_loaded (load jsonb not null)");
          await db.query("insert into bench_engine_loaded values ($1)", [JSON.stringify(loaded)]);
        }
      }
      const shopId = loaded.shopId;
      if (LOAD_ONLY) {
        await db.end();
        continue;
      }

      const rss = trackPeakRss();
      const loads: Record<string, string> = { first: load() };
      const first = await engine.recomputeShop(shopId, { now: NOW, rebuildRollups: true });
      log(`first full recompute ${first.seconds.toFixed(1)} s, ${first.changes.toLocaleString("en")} changes`);
      await db.query("vacuum analyze customer_features, memberships, membership_changes");
      loads.full = load();
      const full = await engine.recomputeShop(shopId, { now: NEXT_DAY });
      log(`nightly full recompute ${full.seconds.toFixed(1)} s, ${full.changes.toLocaleString("en")} changes`);
      // The repair path (roll-ups rebuilt from every line item) costs about what the first run does:
      // measured on the small shop only, to keep the 1 M run bounded.
      const rebuilt = size < 1_000_000 ? await engine.recomputeShop(shopId, { now: NEXT_DAY, rebuildRollups: true }) : null;
      if (rebuilt) log(`full recompute with roll-ups rebuilt from line items ${rebuilt.seconds.toFixed(1)} s`);

      await engine.updateSegmentSettings(shopId, "lost", { settings: { olderThanDays: 120 } });
      loads.re = load();
      const re = await engine.reevaluateShop(shopId, { now: NEXT_DAY });
      log(`re-evaluation after a threshold change ${re.seconds.toFixed(2)} s, ${re.changes.toLocaleString("en")} changes`);

      // Incremental: one new order per event (ingested as sync does), then that customer's recompute.
      const { rows: sample } = await db.query<{ id: string }>(
        "select id::text from customers where shop_id = $1 order by hashint8(id) limit $2",
        [shopId, EVENTS],
      );
      const times: number[] = [];
      loads.incr = load();
      let orderId = BENCH_ORDER_IDS;
      for (const [i, { id }] of sample.entries()) {
        const at = new Date(NEXT_DAY.getTime() - (i % 48) * 3600_000);
        await db.query(
          `insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, currency, total_price, item_count)
           values ($1, $2, $3, $4, $4, $4, 'USD', $5, 2)`,
          [shopId, String(++orderId), id, at, (10 + (i % 90)).toFixed(2)],
        );
        await db.query("insert into line_items (shop_id, id, order_id, product_type, vendor, quantity, price) values ($1, $2, $2, 'Bench', 'Bench', 2, 5)", [
          shopId,
          String(orderId),
        ]);
        const t = performance.now();
        await engine.recomputeCustomers(shopId, [BigInt(id)], { now: NEXT_DAY });
        times.push(performance.now() - t);
      }
      const peak = rss.stop();
      loads.end = load();
      const at = (step: string) => ` (1-min load average ${loads[step]} at its start on 2 cores shared with other sessions)`;
      log(`incremental p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`);

      const { rows: sizes } = await db.query<{ features: string; changes: string; memberships: string }>(
        `select pg_total_relation_size('customer_features')::text as features, pg_total_relation_size('membership_changes')::text as changes,
                pg_total_relation_size('memberships')::text as memberships`,
      );
      const mb = (s: string) => Number(s) / 2 ** 20;
      await db.end();

      const shape = `${size.toLocaleString("en")} customers, ${loaded.orders.toLocaleString("en")} orders, ${loaded.lineItems.toLocaleString("en")} line items`;
      const fullKey = size >= 1_000_000 ? "recompute_full_1m_s" : `recompute_full_${label(size)}_s`;
      figures.push(
        {
          key: fullKey,
          value: full.seconds,
          unit: "s",
          target: size >= 1_000_000 ? "< 30" : "",
          note: `${shape}: nightly full recompute from raw orders a day later (features, shop statistics, RFM NTILE, memberships diff: ${full.changes.toLocaleString("en")} changes logged), category roll-ups kept at ingest${at("full")}`,
        },
        {
          key: `recompute_first_${label(size)}_s`,
          value: first.seconds,
          unit: "s",
          target: "",
          note: `${shape}: first run after the backfill (roll-ups built from line items, ${first.changes.toLocaleString("en")} initial memberships logged)${at("first")}`,
        },
        {
          key: size >= 1_000_000 ? "reevaluate_1m_s" : `reevaluate_${label(size)}_s`,
          value: re.seconds,
          unit: "s",
          target: size >= 1_000_000 ? "< 5" : "",
          note: `${shape}: lost threshold 180 -> 120 days, memberships re-evaluated from the feature table (${re.changes.toLocaleString("en")} changes logged), no order scan${at("re")}`,
        },
        {
          key: `feature_table_${label(size)}_mb`,
          value: mb(sizes[0].features),
          unit: "MB",
          target: "",
          note: `customer_features with its index (features and per-customer roll-ups); memberships ${mb(sizes[0].memberships).toFixed(0)} MB, change log ${mb(sizes[0].changes).toFixed(0)} MB`,
        },
      );
      if (rebuilt) {
        figures.push({
          key: `recompute_rebuild_${label(size)}_s`,
          value: rebuilt.seconds,
          unit: "s",
          target: "",
          note: `${shape}: full recompute that also rebuilds the category roll-ups from every line item (repair path)`,
        });
      }
      // Per-event figures come from the largest shop (BENCH_ENGINE_INCREMENTAL=0 keeps the recorded ones).
      if (size === Math.max(...SIZES) && process.env.BENCH_ENGINE_INCREMENTAL !== "0") {
        figures.push(
          {
            key: "recompute_incremental_p50_ms",
            value: percentile(times, 50),
            unit: "ms",
            target: "",
            note: `${shape}: recomputeCustomers for the customer of a just-ingested order (roll-ups, features, memberships, log; one transaction with commit), ${times.length} events${at("incr")}`,
          },
          {
            key: "recompute_incremental_p99_ms",
            value: percentile(times, 99),
            unit: "ms",
            target: "< 10",
            note: `${shape}: as p50, ${times.length} events${at("incr")}; load ${loads.end} at the end`,
          },
          {
            key: "recompute_peak_rss_mb",
            value: peak,
            unit: "MB",
            target: "",
            note: `${shape}: Node process peak RSS over the recomputes (the work is set-based SQL in Postgres; the app process streams nothing)`,
          },
        );
      }
      if (RECORD) recordFigures("engine", figures);
      else console.log(figures.map((f) => `  ${f.key} = ${f.value.toFixed(3)} ${f.unit}`).join("\n"));
    } finally {
      await engine.closeEnginePool();
      if (!KEEP) await dropDatabase(server.url, database);
    }
  }
} finally {
  if (server.startedHere) await server.stop();
}
