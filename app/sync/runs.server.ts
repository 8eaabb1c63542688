// Backfill and reconciliation runs: bulk-export customers and orders from Shopify, stream the JSONL
// into staging with COPY (checkpointed by line number, so a crash resumes where it stopped), then
// merge into the store tables with the same stale protection as webhooks.
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { enqueueRun } from "../jobs/queue.server";
import { inTransaction, syncPool } from "./pg.server";
import { emptyStage, jsonlLines, stageLine, type StageRows } from "./bulk-lines.server";
import { syncSettingsOf } from "./shop-settings.server";
import { recomputeCustomers, recomputeShop } from "./recompute.server";
import { attributeStoredOrders } from "../offers/attribution.server";
import { runBulkQuery } from "../shopify/run-bulk-query.server";
import { getBulkOperation } from "../shopify/get-bulk-operation.server";
import { CUSTOMERS_BULK_QUERY, ORDERS_BULK_QUERY, withFilter } from "../shopify/bulk-export-documents.server";

export type RunKind = "backfill" | "reconcile";
const ACTIVE = ["queued", "exporting", "loading", "merging"];
const BATCH_LINES = Number(process.env.SYNC_COPY_BATCH_LINES ?? 20_000);
const POLL_MS = Number(process.env.SYNC_BULK_POLL_MS ?? 1000);
export const ORDERS_WINDOW_DAYS = 60;

export class RunFailedError extends Error {
  override name = "RunFailedError";
}

interface RunRow {
  id: bigint;
  shop_id: number;
  kind: RunKind;
  status: string;
  updated_since: Date | null;
  orders_since: Date | null;
  customers_op_id: string | null;
  customers_url: string | null;
  customers_objects: bigint;
  customers_lines: bigint;
  customers_loaded: boolean;
  orders_op_id: string | null;
  orders_url: string | null;
  orders_objects: bigint;
  orders_lines: bigint;
  orders_loaded: boolean;
  domain: string;
  scopes: string | null;
  settings: unknown;
  install_state: string;
}

/**
 * Creates a run and enqueues it (in one transaction); when the shop already has an active run,
 * returns that one instead. A reconciliation covers what changed since the last completed run.
 */
export async function startSyncRun(shopId: number, kind: RunKind): Promise<{ runId: bigint; created: boolean }> {
  return inTransaction(async (client) => {
    await client.query("select pg_advisory_xact_lock(hashtext('sync-run-start'), $1)", [shopId]);
    const active = await client.query<{ id: bigint }>(
      "select id from sync_runs where shop_id = $1 and status = any($2) order by id desc limit 1",
      [shopId, ACTIVE],
    );
    if (active.rows[0]) return { runId: active.rows[0].id, created: false };
    let since: Date | null = null;
    let effectiveKind = kind;
    if (kind === "reconcile") {
      const last = await client.query<{ started_at: Date | null }>(
        "select max(started_at) as started_at from sync_runs where shop_id = $1 and status = 'completed'",
        [shopId],
      );
      since = last.rows[0]?.started_at ?? null;
      // Never synced completely: reconciliation is a full backfill.
      if (!since) effectiveKind = "backfill";
    }
    const r = await client.query<{ id: bigint }>(
      "insert into sync_runs (shop_id, kind, status, updated_since) values ($1, $2, 'queued', $3) returning id",
      [shopId, effectiveKind, since],
    );
    await enqueueRun(r.rows[0].id, { client });
    return { runId: r.rows[0].id, created: true };
  });
}

/** Backfill on install, by shop domain (afterAuth hook): enqueued, never run inline. */
export async function enqueueInstallBackfill(domain: string) {
  const shop = await syncPool().query<{ id: number }>("select id from shops where domain = $1", [domain]);
  if (!shop.rows[0]) return null;
  const done = await syncPool().query("select 1 from sync_runs where shop_id = $1 and kind = 'backfill' and status = 'completed' limit 1", [shop.rows[0].id]);
  return startSyncRun(shop.rows[0].id, done.rowCount ? "reconcile" : "backfill");
}

async function loadRun(db: pg.ClientBase, runId: bigint): Promise<RunRow | null> {
  const r = await db.query<RunRow>(
    `select r.*, s.domain, s.scopes, s.settings, s.install_state from sync_runs r join shops s on s.id = r.shop_id where r.id = $1`,
    [runId],
  );
  return r.rows[0] ?? null;
}

function filterFor(run: RunRow, resource: "customers" | "orders"): string {
  const terms: string[] = [];
  if (run.updated_since) terms.push(`updated_at:>='${new Date(run.updated_since.getTime() - 60_000).toISOString()}'`);
  if (resource === "orders" && run.orders_since) terms.push(`created_at:>='${run.orders_since.toISOString()}'`);
  return terms.join(" AND ");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Updates a run that is still active: a run superseded meanwhile (a reinstall fails it) is never revived. */
async function update(runId: bigint, fields: Record<string, unknown>) {
  const keys = Object.keys(fields);
  await syncPool().query(
    `update sync_runs set ${keys.map((k, i) => `${k} = $${i + 3}`).join(", ")}, updated_at = now() where id = $1 and status = any($2::text[])`,
    [runId, ACTIVE, ...keys.map((k) => fields[k])],
  );
}

class RunSuperseded extends Error {
  override name = "RunSuperseded";
}

/** A bulk_operations/finish webhook: wake the run that waits on it (polling continues regardless). */
export async function noteBulkOperationFinished(db: pg.ClientBase, shopId: number, operationId: string) {
  const r = await db.query<{ id: bigint }>(
    "select id from sync_runs where shop_id = $1 and status = 'exporting' and (customers_op_id = $2 or orders_op_id = $2)",
    [shopId, operationId],
  );
  for (const row of r.rows) await enqueueRun(row.id, { client: db });
}

async function exportPhase(run: RunRow, signal?: AbortSignal): Promise<void> {
  if (!run.customers_op_id || !run.orders_op_id) {
    let ordersSince = run.orders_since;
    let notice: string | null = null;
    const scopes = (run.scopes ?? "").split(",").map((s) => s.trim());
    if (!scopes.includes("read_all_orders") && !ordersSince) {
      ordersSince = new Date(Date.now() - ORDERS_WINDOW_DAYS * 86_400_000);
      notice = "orders_limited_60_days";
    }
    run.orders_since = ordersSince;
    const customersOp = run.customers_op_id ?? (await runBulkQuery(run.domain, withFilter(CUSTOMERS_BULK_QUERY, filterFor(run, "customers"))));
    await update(run.id, { customers_op_id: customersOp, orders_since: ordersSince, notice, status: "exporting", started_at: new Date() });
    const ordersOp = run.orders_op_id ?? (await runBulkQuery(run.domain, withFilter(ORDERS_BULK_QUERY, filterFor(run, "orders"))));
    await update(run.id, { orders_op_id: ordersOp });
    run.customers_op_id = customersOp;
    run.orders_op_id = ordersOp;
  }
  // Poll both operations (the finish webhook is not guaranteed).
  for (;;) {
    signal?.throwIfAborted();
    const [c, o] = await Promise.all([
      run.customers_url ? null : getBulkOperation(run.domain, run.customers_op_id as string),
      run.orders_url ? null : getBulkOperation(run.domain, run.orders_op_id as string),
    ]);
    for (const [op, which] of [[c, "customers"], [o, "orders"]] as const) {
      if (!op) continue;
      if (["FAILED", "CANCELED", "EXPIRED"].includes(op.status)) {
        // Start that export again on the next attempt.
        await update(run.id, { [`${which}_op_id`]: null });
        throw new Error(`bulk ${which} export ${op.status.toLowerCase()}${op.errorCode ? ` (${op.errorCode})` : ""}`);
      }
      await update(run.id, { [`${which}_objects`]: op.objectCount });
      if (op.status === "COMPLETED") {
        // A completed export with no rows has no file.
        const url = op.url ?? "";
        run[`${which}_url`] = url;
        run[`${which}_objects`] = BigInt(op.objectCount);
        await update(run.id, { [`${which}_url`]: url, ...(url ? {} : { [`${which}_loaded`]: true }) });
        if (!url) run[`${which}_loaded`] = true;
      }
    }
    if (run.customers_url !== null && run.orders_url !== null) break;
    await sleep(POLL_MS);
  }
  await update(run.id, { status: "loading", load_started_at: new Date() });
}

const COPY_CHUNK_ROWS = 2_000;

async function copyInto(client: pg.PoolClient, table: string, columns: string, rows: string[]) {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`copy ${table} (${columns}) from stdin`));
  // Rows joined into chunks: one socket write per row costs more than the COPY itself.
  function* chunks() {
    for (let i = 0; i < rows.length; i += COPY_CHUNK_ROWS) yield rows.slice(i, i + COPY_CHUNK_ROWS).join("");
  }
  await pipeline(Readable.from(chunks()), stream);
}

const STAGE_COLUMNS = {
  customers: ["sync_stage_customers", "run_id, line_no, id, created_at, updated_at, state, tags"],
  orders: [
    "sync_stage_orders",
    "run_id, line_no, id, shopper_id, created_at, processed_at, updated_at, cancelled_at, currency, total_price, subtotal_price, total_discounts, discount_codes, financial_status, test",
  ],
  lineItems: ["sync_stage_line_items", "run_id, line_no, id, order_id, product_id, variant_id, product_type, vendor, quantity, price"],
  refunds: ["sync_stage_refunds", "run_id, line_no, id, order_id, amount, created_at"],
} as const;

/** Loads one export file into staging from its checkpoint; each batch commits with its checkpoint. */
async function loadFile(run: RunRow, which: "customers" | "orders", signal?: AbortSignal) {
  if (run[`${which}_loaded`]) return;
  const url = run[`${which}_url`] as string;
  const done = Number(run[`${which}_lines`]);
  // Rows past the checkpoint are from a batch that never committed its checkpoint: none exist,
  // since rows and checkpoint commit together; the delete is a guard for manual edits.
  let stage: StageRows = emptyStage();
  let lastLine = done;
  let pending = 0;
  // One batch is written while the next is parsed (two connections at most).
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (pending === 0) return;
    const batch = stage;
    const upTo = lastLine;
    stage = emptyStage();
    pending = 0;
    await inFlight;
    inFlight = inTransaction(async (client) => {
      for (const key of Object.keys(STAGE_COLUMNS) as (keyof StageRows)[]) {
        const [table, columns] = STAGE_COLUMNS[key];
        await copyInto(client, table, columns, batch[key]);
      }
      await client.query(`update sync_runs set ${which}_lines = $2, updated_at = now() where id = $1`, [run.id, upTo]);
    });
    // Its failure surfaces at the next await of inFlight; not an unhandled rejection meanwhile.
    inFlight.catch(() => {});
  };
  for await (const [lineNo, line] of jsonlLines(url, signal)) {
    if (lineNo <= done) continue;
    stageLine(run.id, lineNo, line, stage);
    lastLine = lineNo;
    if (++pending >= BATCH_LINES) await flush();
  }
  await flush();
  await inFlight;
  await update(run.id, { [`${which}_loaded`]: true, [`${which}_lines`]: lastLine });
  run[`${which}_loaded`] = true;
}

export interface MergeResult {
  customers: number;
  orders: number;
  refunds: number;
  changedCustomers: bigint[];
}

// SYNC_LOG_TIMINGS=1: each merge statement's duration on stdout (the benchmark's time split).
const logTimings = process.env.SYNC_LOG_TIMINGS === "1";

function timedClient(client: pg.PoolClient, label: string): pg.PoolClient {
  if (!logTimings) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "query") return Reflect.get(target, prop, receiver);
      return async (text: string, values?: unknown[]) => {
        const t0 = performance.now();
        try {
          return await target.query(text, values);
        } finally {
          console.info(`[sync] ${label}: ${(performance.now() - t0).toFixed(0)} ms ${text.replace(/\s+/g, " ").slice(0, 70)}`);
        }
      };
    },
  });
}

/** Merges staging into the store tables in one transaction, then clears the run's staging rows. */
async function mergeRun(run: RunRow): Promise<MergeResult> {
  const settings = syncSettingsOf(run.settings);
  return inTransaction(async (client) => {
    const db = timedClient(client, `run ${run.id} merge`);
    const shopId = run.shop_id;
    const id = run.id;
    const customers = await db.query<{ id: bigint }>(
      `with src as (
         select distinct on (id) id, created_at, updated_at, state,
                exists (select 1 from unnest(tags) t where lower(trim(t)) = lower($3)) as opted_out
           from sync_stage_customers where run_id = $1 order by id, updated_at desc nulls last)
       insert into customers (shop_id, id, created_at, updated_at, state, opted_out, synced_at)
       select $2, id, created_at, updated_at, state, opted_out, now() from src
        where not exists (select 1 from redacted_customers r where r.shop_id = $2 and r.redacted_customer_id = src.id)
       on conflict (shop_id, id) do update set created_at = excluded.created_at, updated_at = excluded.updated_at,
         state = excluded.state, synced_at = now(),
         opted_out = case when customers.opt_out_changed_at is null or customers.opt_out_changed_at <= excluded.updated_at
                          then excluded.opted_out else customers.opted_out end
        where customers.deleted_at is null
          and (customers.updated_at is null or customers.updated_at < excluded.updated_at
               or ((customers.opt_out_changed_at is null or customers.opt_out_changed_at <= excluded.updated_at)
                   and customers.opted_out <> excluded.opted_out))
       returning id`,
      [id, shopId, settings.optOutTag],
    );
    await db.query(
      `insert into customers (shop_id, id)
       select distinct $2::int, shopper_id from sync_stage_orders s where run_id = $1 and shopper_id is not null
          and not exists (select 1 from redacted_customers r where r.shop_id = $2 and r.redacted_customer_id = s.shopper_id)
       on conflict do nothing`,
      [id, shopId],
    );
    // No index: it is only ever hash-joined whole (an index would be maintained for 300k rows of a
    // backfill for nothing); analysed once filled so the joins are planned on its real size.
    await db.query("create temp table merged_orders (id bigint not null, customer_id bigint) on commit drop");
    const orders = await db.query(
      `with src as (
         select distinct on (id) * from sync_stage_orders where run_id = $1 order by id, updated_at desc),
       items as (select order_id, sum(quantity)::int as q from sync_stage_line_items where run_id = $1 group by order_id),
       up as (
         insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, cancelled_at, currency, total_price,
                             subtotal_price, total_discounts, discount_codes, financial_status, test, item_count, synced_at)
         select $2, s.id, s.shopper_id, s.created_at, s.processed_at, s.updated_at, s.cancelled_at, s.currency, s.total_price,
                s.subtotal_price, s.total_discounts, s.discount_codes, s.financial_status, s.test, coalesce(i.q, 0), now()
           from src s left join items i on i.order_id = s.id
          where s.shopper_id is null
             or not exists (select 1 from redacted_customers r where r.shop_id = $2 and r.redacted_customer_id = s.shopper_id)
         on conflict (shop_id, id) do update set
           customer_id = excluded.customer_id, created_at = excluded.created_at, processed_at = excluded.processed_at,
           updated_at = excluded.updated_at, currency = excluded.currency,
           cancelled_at = case when orders.updated_at = excluded.updated_at then coalesce(excluded.cancelled_at, orders.cancelled_at)
                               else excluded.cancelled_at end,
           total_price = excluded.total_price, subtotal_price = excluded.subtotal_price, total_discounts = excluded.total_discounts,
           discount_codes = excluded.discount_codes, financial_status = excluded.financial_status, test = excluded.test,
           item_count = excluded.item_count, synced_at = now()
          where orders.deleted_at is null
            and (orders.updated_at < excluded.updated_at
                 or (orders.updated_at = excluded.updated_at and orders.cancelled_at is null and excluded.cancelled_at is not null))
         returning id, customer_id)
       insert into merged_orders select id, customer_id from up`,
      [id, shopId],
    );
    await db.query("analyze merged_orders");
    const hadOrders = await db.query("select 1 from line_items where shop_id = $1 limit 1", [shopId]);
    if (hadOrders.rowCount) {
      await db.query("delete from line_items l using merged_orders m where l.shop_id = $1 and l.order_id = m.id", [shopId]);
    }
    await db.query(
      `insert into line_items (shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price)
       select distinct on (s.id) $2::int, s.id, s.order_id, s.product_id, s.variant_id, s.product_type, s.vendor, s.quantity, s.price
         from sync_stage_line_items s join merged_orders m on m.id = s.order_id
        where s.run_id = $1
        order by s.id, s.line_no desc
       on conflict (shop_id, id) do update set order_id = excluded.order_id, product_id = excluded.product_id,
         variant_id = excluded.variant_id, product_type = excluded.product_type, vendor = excluded.vendor,
         quantity = excluded.quantity, price = excluded.price`,
      [id, shopId],
    );
    const refunds = await db.query<{ order_id: bigint }>(
      `insert into refunds (shop_id, id, order_id, amount, created_at)
       select distinct on (s.id) $2::int, s.id, s.order_id, s.amount, s.created_at from sync_stage_refunds s
        where s.run_id = $1 and exists (select 1 from orders o where o.shop_id = $2 and o.id = s.order_id)
        order by s.id
       on conflict (shop_id, id) do nothing
       returning order_id`,
      [id, shopId],
    );
    await db.query(
      `update orders o set refunded_amount = t.total
         from (select r.order_id, sum(r.amount) as total from refunds r
                where r.shop_id = $1 and r.order_id in (select distinct order_id from sync_stage_refunds where run_id = $2)
                group by r.order_id) t
        where o.shop_id = $1 and o.id = t.order_id and o.refunded_amount is distinct from t.total`,
      [shopId, id],
    );
    const changed = await db.query<{ id: bigint }>(
      `select id from (
         select unnest($1::bigint[]) as id
         union select customer_id from merged_orders where customer_id is not null
         union select o.customer_id from orders o where o.shop_id = $2 and o.id = any($3::bigint[]) and o.customer_id is not null) x`,
      [customers.rows.map((r) => r.id), shopId, refunds.rows.map((r) => r.order_id)],
    );
    // Offers: the merged orders' attribution follows their newest stored version, as a webhook's does.
    // (A backfill re-derives the whole shop; a reconciliation only the orders it merged or refunded.)
    if ((await db.query("select 1 from offers where shop_id = $1 limit 1", [shopId])).rowCount) {
      const touched = await db.query<{ id: bigint }>("select id from merged_orders union select unnest($1::bigint[])", [refunds.rows.map((r) => r.order_id)]);
      await attributeStoredOrders(db, shopId, run.kind === "backfill" ? null : touched.rows.map((r) => BigInt(r.id)));
    }
    for (const table of ["sync_stage_customers", "sync_stage_orders", "sync_stage_line_items", "sync_stage_refunds"]) {
      await db.query(`delete from ${table} where run_id = $1`, [id]);
    }
    const completed = await db.query(
      "update sync_runs set status = 'completed', finished_at = clock_timestamp(), customers_merged = $2, orders_merged = $3, repaired = $4, error = null, updated_at = now() where id = $1 and status = 'merging'",
      [id, customers.rowCount ?? 0, orders.rowCount ?? 0, (customers.rowCount ?? 0) + (orders.rowCount ?? 0) + (refunds.rowCount ?? 0)],
    );
    // Superseded while merging (a reinstall started a fresh run): roll back, the fresh run does the work.
    if (!completed.rowCount) throw new RunSuperseded(`run ${id} was superseded while merging`);
    return {
      customers: customers.rowCount ?? 0,
      orders: orders.rowCount ?? 0,
      refunds: refunds.rowCount ?? 0,
      changedCustomers: changed.rows.map((r) => r.id),
    };
  });
}

/**
 * Drives a run to its end: export, load, merge, recompute. Safe to call again after a crash at
 * any point (it continues from the stored phase and checkpoint) and from several workers (one
 * drives, the others return at once).
 */
export async function driveRun(runId: bigint, options: { signal?: AbortSignal; finalAttempt?: boolean } = {}): Promise<string> {
  const lockClient = await syncPool().connect();
  let locked = false;
  try {
    const got = await lockClient.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext('sync-run'), $1::int) as ok", [Number(runId % 2147483647n)]);
    locked = got.rows[0].ok;
    if (!locked) return "busy";
    const run = await loadRun(lockClient, runId);
    if (!run) return "missing";
    if (!ACTIVE.includes(run.status)) return run.status;
    if (run.install_state !== "installed") {
      await update(runId, { status: "failed", error: `shop is ${run.install_state}`, finished_at: new Date() });
      return "failed";
    }
    await lockClient.query("update sync_runs set attempts = attempts + 1 where id = $1", [runId]);
    try {
      if (run.status === "queued" || run.status === "exporting") await exportPhase(run, options.signal);
      await Promise.all([loadFile(run, "customers", options.signal), loadFile(run, "orders", options.signal)]);
      await update(runId, { status: "merging" });
      await syncPool().query("analyze sync_stage_customers, sync_stage_orders, sync_stage_line_items, sync_stage_refunds");
      const merged = await mergeRun(run);
      // Bulk-loaded tables: fresh statistics before the engine's set-based recompute plans its joins.
      if (run.kind === "backfill") await syncPool().query("analyze customers, orders, line_items, refunds");
      if (run.kind === "backfill") await recomputeShop(run.shop_id);
      else await recomputeCustomers(run.shop_id, merged.changedCustomers);
      return "completed";
    } catch (error) {
      if (error instanceof RunSuperseded) {
        for (const table of ["sync_stage_customers", "sync_stage_orders", "sync_stage_line_items", "sync_stage_refunds"]) {
          await syncPool().query(`delete from ${table} where run_id = $1`, [runId]);
        }
        return "superseded";
      }
      const message = (error as Error).message;
      if (options.finalAttempt) {
        await update(runId, { status: "failed", error: message, finished_at: new Date() });
        return "failed";
      }
      await update(runId, { error: message });
      throw error;
    }
  } finally {
    if (locked) await lockClient.query("select pg_advisory_unlock(hashtext('sync-run'), $1::int)", [Number(runId % 2147483647n)]).catch(() => {});
    lockClient.release();
  }
}

export interface BackfillProgress {
  runId: string;
  kind: RunKind;
  status: string;
  /** Rows (JSONL lines) loaded so far, and Shopify's count of exported objects. */
  rows: number;
  totalRows: number | null;
  percent: number;
  etaSeconds: number | null;
  notice: string | null;
  repaired: number;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The shop's latest run, as the admin shows it; null before the first run. */
export async function getBackfillProgress(shopId: number, kind?: RunKind): Promise<BackfillProgress | null> {
  const r = await syncPool().query(
    `select * from sync_runs where shop_id = $1 and ($2::text is null or kind = $2) order by id desc limit 1`,
    [shopId, kind ?? null],
  );
  const run = r.rows[0];
  if (!run) return null;
  const rows = Number(run.customers_lines) + Number(run.orders_lines);
  const exported = Number(run.customers_objects) + Number(run.orders_objects);
  const known = run.customers_url !== null && run.orders_url !== null;
  // JSONL lines equal Shopify's objectCount once the export is complete.
  const total = known ? exported : null;
  let percent = 0;
  if (run.status === "completed") percent = 100;
  else if (run.status === "merging") percent = 99;
  else if (run.status === "loading" && total) percent = Math.min(98, Math.floor(5 + (rows / total) * 93));
  else if (run.status === "exporting") percent = Math.min(5, exported > 0 ? 2 : 1);
  let eta: number | null = null;
  if (run.status === "loading" && total && rows > 0 && run.load_started_at) {
    const elapsed = (Date.now() - new Date(run.load_started_at).getTime()) / 1000;
    eta = Math.max(0, Math.round(((total - rows) / rows) * elapsed));
  }
  return {
    runId: String(run.id),
    kind: run.kind,
    status: run.status,
    rows,
    totalRows: total,
    percent,
    etaSeconds: eta,
    notice: run.notice,
    repaired: run.repaired,
    error: run.error,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
  };
}

/** Cron: a reconciliation run for every installed shop (skipped where one is already active). */
export async function startReconciliationForAllShops(): Promise<number> {
  const shops = await syncPool().query<{ id: number }>("select id from shops where install_state = 'installed'");
  let started = 0;
  for (const { id } of shops.rows) if ((await startSyncRun(id, "reconcile")).created) started++;
  return started;
}
