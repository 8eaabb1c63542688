// Backfill and reconciliation runs: bulk-export customers and orders from Shopify, stream the JSONL
// into staging with COPY (checkpointed by line number, so a crash resumes where it stopped), then
// merge into the store tables with the same stale protection as webhooks.
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { enqueueRun } from "../jobs/queue.server";
import { inTransaction, syncPool } from "./pg.server";
import { closeStage, emptyStage, jsonlLines, parseLine, ROW_COLUMNS, stageNode, type StageRows } from "./bulk-lines.server";
import { syncSettingsOf } from "./shop-settings.server";
import { recomputeCustomers, recomputeShop } from "./recompute.server";
import { attributeStoredOrders } from "../offers/attribution.server";
import { runBulkQuery } from "../shopify/run-bulk-query.server";
import { getBulkOperation } from "../shopify/get-bulk-operation.server";
import { CUSTOMERS_BULK_QUERY, ORDERS_BULK_QUERY, withFilter } from "../shopify/bulk-export-documents.server";

export type RunKind = "backfill" | "reconcile";
const ACTIVE = ["queued", "exporting", "loading", "merging"];
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
    "select id from sync_runs where shop_id = $1 and status in ('exporting', 'loading') and (customers_op_id = $2 or orders_op_id = $2)",
    [shopId, operationId],
  );
  for (const row of r.rows) await enqueueRun(row.id, { client: db });
}

type FileKind = "customers" | "orders";
const FILES: readonly FileKind[] = ["customers", "orders"];

/** Starts the bulk exports not started yet (a failed one is started again on the next attempt). */
async function startExports(run: RunRow): Promise<void> {
  if (run.customers_op_id && run.orders_op_id) return;
  let ordersSince = run.orders_since;
  let notice: string | null = null;
  const scopes = (run.scopes ?? "").split(",").map((s) => s.trim());
  if (!scopes.includes("read_all_orders") && !ordersSince) {
    ordersSince = new Date(Date.now() - ORDERS_WINDOW_DAYS * 86_400_000);
    notice = "orders_limited_60_days";
  }
  run.orders_since = ordersSince;
  const customersOp = run.customers_op_id ?? (await runBulkQuery(run.domain, withFilter(CUSTOMERS_BULK_QUERY, filterFor(run, "customers"))));
  await update(run.id, {
    customers_op_id: customersOp, orders_since: ordersSince, ...(notice ? { notice } : {}),
    ...(run.status === "queued" ? { status: "exporting", started_at: new Date() } : {}),
  });
  // Grouped: an order's line items come right after it, so batches hold whole orders (merged as
  // they come); ungrouped output is in no promised order.
  const ordersOp = run.orders_op_id ?? (await runBulkQuery(run.domain, withFilter(ORDERS_BULK_QUERY, filterFor(run, "orders")), { groupObjects: true }));
  await update(run.id, { orders_op_id: ordersOp });
  run.customers_op_id = customersOp;
  run.orders_op_id = ordersOp;
}

/**
 * Polls one export until its file is ready (the finish webhook is not guaranteed). Each file is
 * loaded as soon as it is ready, while the other may still be exporting; the first file ready
 * moves the run to `loading`. Polls start fast and slow down to SYNC_BULK_POLL_MS.
 */
async function awaitExport(run: RunRow, which: FileKind, signal: AbortSignal): Promise<void> {
  for (let polls = 0; run[`${which}_url`] === null; polls++) {
    signal.throwIfAborted();
    const op = await getBulkOperation(run.domain, run[`${which}_op_id`] as string);
    if (!op || ["FAILED", "CANCELED", "EXPIRED"].includes(op.status)) {
      // Start that export again on the next attempt.
      await update(run.id, { [`${which}_op_id`]: null });
      throw new Error(`bulk ${which} export ${op ? op.status.toLowerCase() : "not found"}${op?.errorCode ? ` (${op.errorCode})` : ""}`);
    }
    if (op.status === "COMPLETED") {
      // A completed export with no rows has no file.
      const url = op.url ?? "";
      run[`${which}_url`] = url;
      run[`${which}_objects`] = BigInt(op.objectCount);
      await update(run.id, { [`${which}_objects`]: op.objectCount, [`${which}_url`]: url, ...(url ? {} : { [`${which}_loaded`]: true }) });
      if (!url) run[`${which}_loaded`] = true;
      break;
    }
    await update(run.id, { [`${which}_objects`]: op.objectCount });
    await sleep(Math.min(POLL_MS, 100 + polls * 25));
  }
  await syncPool().query(
    "update sync_runs set status = 'loading', load_started_at = coalesce(load_started_at, now()), updated_at = now() where id = $1 and status in ('queued', 'exporting', 'loading')",
    [run.id],
  );
}

const COPY_CHUNK_ROWS = 2_000;

async function copyInto(client: pg.ClientBase, table: string, columns: string, rows: string[]) {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`copy ${table} (${columns}) from stdin`));
  // Rows joined into chunks: one socket write per row costs more than the COPY itself.
  function* chunks() {
    for (let i = 0; i < rows.length; i += COPY_CHUNK_ROWS) yield rows.slice(i, i + COPY_CHUNK_ROWS).join("");
  }
  await pipeline(Readable.from(chunks()), stream);
}

// Staging is temporary and per connection (no WAL, nothing to clean up), laid out as the store
// tables: its rows live only inside one batch's transaction (emptied at commit), so a crash loses
// nothing that the checkpoint counts as done.
const STAGE = {
  customers: ["stage_customers", "customers"],
  orders: ["stage_orders", "orders"],
  lineItems: ["stage_line_items", "line_items"],
  refunds: ["stage_refunds", "refunds"],
} as const;
type StageKey = keyof typeof STAGE;

// Connections (pooled clients live as long as their server session) that have the staging tables.
const staged = new WeakSet<pg.ClientBase>();

async function ensureStaging(client: pg.ClientBase) {
  if (staged.has(client)) return;
  for (const [table, like] of Object.values(STAGE)) {
    await client.query(`create temp table if not exists ${table} (like ${like} including defaults) on commit delete rows`);
  }
  await client.query("create temp table if not exists stage_merged_orders (id bigint not null, customer_id bigint, inserted boolean not null) on commit delete rows");
  staged.add(client);
}

/** COPY of a batch's rows for one table, into staging or (`direct`) into the store table itself. */
async function copyRows(client: pg.ClientBase, key: StageKey, rows: string[], direct: boolean, timings: Timings | null) {
  const table = STAGE[key][direct ? 1 : 0];
  const t0 = performance.now();
  await copyInto(client, table, ROW_COLUMNS[key], rows);
  if (timings) record(timings, `copy ${table}`, performance.now() - t0);
}

// SYNC_LOG_TIMINGS=1: each merge statement's total time over the run on stdout (the benchmark's split).
const logTimings = process.env.SYNC_LOG_TIMINGS === "1";
type Timings = Map<string, { ms: number; n: number }>;

function record(timings: Timings, label: string, ms: number) {
  const t = timings.get(label) ?? { ms: 0, n: 0 };
  t.ms += ms;
  t.n++;
  timings.set(label, t);
}

function timedClient(client: pg.PoolClient, timings: Timings | null): pg.ClientBase {
  if (!timings) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "query") return Reflect.get(target, prop, receiver);
      return (text: unknown, values?: unknown[]) => {
        // COPY streams (submittables) pass through untimed.
        if (typeof text !== "string") return target.query(text as never);
        const t0 = performance.now();
        const label = text.replace(/\s+/g, " ").trim().slice(0, 60);
        return target.query(text, values).finally(() => record(timings, label, performance.now() - t0));
      };
    },
  });
}

interface BatchResult {
  /** Customers whose segment inputs changed (reconciliation recomputes these). */
  changed: bigint[];
}

interface Counts {
  customers: number;
  orders: number;
  refunds: number;
}

/**
 * A first backfill's path: the batch is copied straight into the store tables (the cheapest way
 * PostgreSQL takes rows), which only ever inserts rows that are not there yet. A row already
 * stored (a webhook came first, or the shop was synced before) fails the copy: then the batch is
 * rolled back to the savepoint and merged by `upsertBatch` with the stale protection, and so are
 * the rest of the file's batches. Returns null in that case.
 */
async function copyBatch(client: pg.ClientBase, shopId: number, which: FileKind, batch: StageRows, timings: Timings | null): Promise<Counts | null> {
  // Redacted customers must not come back: their rows are filtered by the SQL path.
  if ((await client.query("select 1 from redacted_customers where shop_id = $1 limit 1", [shopId])).rowCount) return null;
  await client.query("savepoint direct_copy");
  try {
    if (which === "customers") {
      await copyRows(client, "customers", batch.customers, true, timings);
      await client.query("release savepoint direct_copy");
      return { customers: batch.customers.length, orders: 0, refunds: 0 };
    }
    // Refunds stored before their order (a refunds/create webhook first) count in its refunded amount.
    const earlier = batch.minOrder === null ? { rows: [] } : await client.query<{ order_id: bigint }>(
      "select distinct order_id from refunds where shop_id = $1 and order_id between $2 and $3",
      [shopId, batch.minOrder, batch.maxOrder],
    );
    await copyRows(client, "orders", batch.orders, true, timings);
    await copyRows(client, "lineItems", batch.lineItems, true, timings);
    await copyRows(client, "refunds", batch.refunds, true, timings);
    if (earlier.rows.length) await refreshRefundedAmounts(client, shopId, earlier.rows.map((r) => r.order_id));
    await client.query("release savepoint direct_copy");
    return { customers: 0, orders: batch.orders.length, refunds: batch.refunds.length };
  } catch (error) {
    if ((error as { code?: string }).code !== "23505") throw error;
    await client.query("rollback to savepoint direct_copy");
    return null;
  }
}

async function refreshRefundedAmounts(client: pg.ClientBase, shopId: number, orderIds: bigint[] | null) {
  await client.query(
    `update orders o set refunded_amount = t.total
       from (select r.order_id, sum(r.amount) as total from refunds r
              where r.shop_id = $1 and r.order_id in (select unnest($2::bigint[]) union all select distinct order_id from stage_refunds where $2 is null)
              group by r.order_id) t
      where o.shop_id = $1 and o.id = t.order_id and o.refunded_amount is distinct from t.total`,
    [shopId, orderIds],
  );
}

/** The general path: staged, then upserted with the webhooks' stale protection. */
async function upsertBatch(client: pg.ClientBase, run: RunRow, which: FileKind, batch: StageRows, changed: bigint[], timings: Timings | null): Promise<Counts> {
  const shopId = run.shop_id;
  if (which === "customers") {
    await copyRows(client, "customers", batch.customers, false, timings);
    const r = await client.query<{ id: bigint }>(
      `with src as (
         select distinct on (id) id, created_at, updated_at, state, opted_out
           from stage_customers order by id, updated_at desc nulls last)
       insert into customers (shop_id, id, created_at, updated_at, state, opted_out, synced_at)
       select $1, id, created_at, updated_at, state, opted_out, now() from src
        where not exists (select 1 from redacted_customers r where r.shop_id = $1 and r.redacted_customer_id = src.id)
       on conflict (shop_id, id) do update set created_at = excluded.created_at, updated_at = excluded.updated_at,
         state = excluded.state, synced_at = now(),
         opted_out = case when customers.opt_out_changed_at is null or customers.opt_out_changed_at <= excluded.updated_at
                          then excluded.opted_out else customers.opted_out end
        where customers.deleted_at is null
          and (customers.updated_at is null or customers.updated_at < excluded.updated_at
               or ((customers.opt_out_changed_at is null or customers.opt_out_changed_at <= excluded.updated_at)
                   and customers.opted_out <> excluded.opted_out))
       returning id`,
      [shopId],
    );
    if (run.kind === "reconcile") changed.push(...r.rows.map((x) => x.id));
    return { customers: r.rowCount ?? 0, orders: 0, refunds: 0 };
  }
  await copyRows(client, "orders", batch.orders, false, timings);
  await copyRows(client, "lineItems", batch.lineItems, false, timings);
  await copyRows(client, "refunds", batch.refunds, false, timings);
  const up = await client.query<{ merged: number; updated: number }>(
    `with src as (
       select distinct on (id) * from stage_orders order by id, updated_at desc),
     items as (select order_id, sum(quantity)::int as q from stage_line_items group by order_id),
     up as (
       insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, cancelled_at, currency, total_price,
                           subtotal_price, total_discounts, discount_codes, financial_status, test, item_count, synced_at)
       select $1, s.id, s.customer_id, s.created_at, s.processed_at, s.updated_at, s.cancelled_at, s.currency, s.total_price,
              s.subtotal_price, s.total_discounts, s.discount_codes, s.financial_status, s.test, coalesce(i.q, 0), now()
         from src s left join items i on i.order_id = s.id
        where s.customer_id is null
           or not exists (select 1 from redacted_customers r where r.shop_id = $1 and r.redacted_customer_id = s.customer_id)
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
       returning id, customer_id, (xmax = 0) as inserted),
     kept as (insert into stage_merged_orders select id, customer_id, inserted from up returning inserted)
     select count(*)::int as merged, (count(*) filter (where not inserted))::int as updated from kept`,
    [shopId],
  );
  const orders = up.rows[0].merged;
  // A newer version of a stored order replaces its line items; a new order has none to replace.
  if (up.rows[0].updated > 0) {
    await client.query("delete from line_items l using stage_merged_orders m where not m.inserted and l.shop_id = $1 and l.order_id = m.id", [shopId]);
  }
  if (orders > 0 && batch.lineItems.length > 0) {
    await client.query(
      `insert into line_items (shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price)
       select distinct on (s.id) $1::int, s.id, s.order_id, s.product_id, s.variant_id, s.product_type, s.vendor, s.quantity, s.price
         from stage_line_items s join stage_merged_orders m on m.id = s.order_id
        order by s.id
       on conflict (shop_id, id) do update set order_id = excluded.order_id, product_id = excluded.product_id,
         variant_id = excluded.variant_id, product_type = excluded.product_type, vendor = excluded.vendor,
         quantity = excluded.quantity, price = excluded.price`,
      [shopId],
    );
  }
  if (batch.irregular && batch.lineItems.length > 0) {
    // Line items away from their order (not expected in grouped output): attached to the order
    // stored by an earlier batch, whose item count is then summed again from its stored items.
    await client.query(
      `insert into line_items (shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price)
       select distinct on (s.id) $1::int, s.id, s.order_id, s.product_id, s.variant_id, s.product_type, s.vendor, s.quantity, s.price
         from stage_line_items s
        where s.order_id not in (select id from stage_orders)
          and exists (select 1 from orders o where o.shop_id = $1 and o.id = s.order_id and o.deleted_at is null)
        order by s.id
       on conflict (shop_id, id) do update set order_id = excluded.order_id, product_id = excluded.product_id,
         variant_id = excluded.variant_id, product_type = excluded.product_type, vendor = excluded.vendor,
         quantity = excluded.quantity, price = excluded.price`,
      [shopId],
    );
    await client.query(
      `update orders o set item_count = t.q
         from (select l.order_id, sum(l.quantity)::int as q from line_items l
                where l.shop_id = $1 and l.order_id in (select order_id from stage_line_items where order_id not in (select id from stage_orders))
                group by l.order_id) t
        where o.shop_id = $1 and o.id = t.order_id and o.item_count <> t.q`,
      [shopId],
    );
  }
  let refundedOrders: bigint[] = [];
  let refunds = 0;
  if (batch.refunds.length > 0) {
    const r = await client.query<{ order_id: bigint }>(
      `insert into refunds (shop_id, id, order_id, amount, created_at)
       select distinct on (s.id) $1::int, s.id, s.order_id, s.amount, s.created_at from stage_refunds s
        where s.order_id in (select id from stage_merged_orders)
           or exists (select 1 from orders o where o.shop_id = $1 and o.id = s.order_id)
        order by s.id
       on conflict (shop_id, id) do nothing
       returning order_id`,
      [shopId],
    );
    refunds = r.rowCount ?? 0;
    refundedOrders = r.rows.map((x) => x.order_id);
    await refreshRefundedAmounts(client, shopId, null);
  }
  if (run.kind === "reconcile") {
    const c = await client.query<{ id: bigint }>(
      `select customer_id as id from stage_merged_orders where customer_id is not null
       union select o.customer_id from orders o where o.shop_id = $1 and o.id = any($2::bigint[]) and o.customer_id is not null`,
      [shopId, refundedOrders],
    );
    changed.push(...c.rows.map((x) => x.id));
    // Offers: the merged orders' attribution follows their newest stored version, as a webhook's
    // does (a backfill re-derives the whole shop once, at its end).
    if ((orders > 0 || refundedOrders.length > 0) && (await client.query("select 1 from offers where shop_id = $1 limit 1", [shopId])).rowCount) {
      const touched = await client.query<{ id: bigint }>("select id from stage_merged_orders union select unnest($1::bigint[])", [refundedOrders]);
      await attributeStoredOrders(client, shopId, touched.rows.map((x) => BigInt(x.id)));
    }
  }
  return { customers: 0, orders, refunds };
}

/**
 * Merges one batch of a file into the store tables in one transaction with its checkpoint (after
 * the previous batch's commit): by a direct COPY while `direct.on` (a first backfill), else staged
 * and upserted with the webhooks' stale protection. The run's line checkpoint and counters move
 * forward with it. A crash before the commit leaves the checkpoint where it was (the batch is
 * merged again from its first line: both paths are idempotent); after it, the next attempt starts
 * at the next line.
 */
async function mergeBatch(
  client: pg.ClientBase, run: RunRow, which: FileKind, batch: StageRows, upTo: number, direct: { on: boolean }, previous: Promise<void>, timings: Timings | null,
): Promise<BatchResult> {
  const changed: bigint[] = [];
  let counts: Counts | null = null;
  if (direct.on && !batch.irregular) {
    counts = await copyBatch(client, run.shop_id, which, batch, timings);
    if (!counts) direct.on = false;
  }
  counts ??= await upsertBatch(client, run, which, batch, changed, timings);
  try {
    await previous;
  } catch (error) {
    throw new EarlierBatchFailed(`an earlier batch of the ${which} file failed: ${(error as Error).message}`);
  }
  const { customers, orders, refunds } = counts;
  const checkpoint = await client.query(
    `update sync_runs set ${which}_lines = $2, customers_merged = customers_merged + $3, orders_merged = orders_merged + $4,
            repaired = repaired + $5, updated_at = now()
      where id = $1 and status = 'loading'`,
    [run.id, upTo, customers, orders, customers + orders + refunds],
  );
  // Superseded while loading (a reinstall started a fresh run): roll back, the fresh run does the work.
  if (!checkpoint.rowCount) throw new RunSuperseded(`run ${run.id} was superseded while loading`);
  return { changed };
}

// Deadlock (a webhook apply locking the same rows), serialization, lock timeout.
const RETRYABLE = new Set(["40P01", "40001", "55P03"]);

class EarlierBatchFailed extends Error {
  override name = "EarlierBatchFailed";
}

/**
 * Loads one export file from its checkpoint: lines are parsed into batches of about
 * SYNC_COPY_BATCH_LINES; each batch is merged in its own transaction while the next one is
 * downloaded and parsed (Node parses on one core while PostgreSQL merges on another).
 */
async function loadFile(run: RunRow, which: FileKind, changed: Set<bigint>, timings: Timings | null, signal: AbortSignal) {
  if (run[`${which}_loaded`]) return;
  const url = run[`${which}_url`] as string;
  const done = Number(run[`${which}_lines`]);
  const batchLines = Number(process.env.SYNC_COPY_BATCH_LINES ?? 20_000);
  const shopId = String(run.shop_id);
  const { optOutTag } = syncSettingsOf(run.settings);
  // A backfill copies straight into the store tables until a row is found already there.
  const direct = { on: run.kind === "backfill" };
  let batch: StageRows = emptyStage();
  let lastLine = done;
  let pending = 0;
  // Batches merge concurrently (up to SYNC_BATCHES_IN_FLIGHT), but each one's checkpoint is
  // written only after the previous batch committed, so the checkpoint never passes a batch that
  // is not in. If a batch fails for good, the ones after it roll back too.
  const maxInFlight = Math.max(1, Number(process.env.SYNC_BATCHES_IN_FLIGHT ?? 2));
  const inFlight: Promise<void>[] = [];
  let previous: Promise<void> = Promise.resolve();
  let waited = 0;
  const started = performance.now();
  const drain = async (keep: number) => {
    const w0 = performance.now();
    while (inFlight.length > keep) await inFlight.shift();
    waited += performance.now() - w0;
  };
  const flush = async () => {
    if (pending === 0) return;
    closeStage(batch);
    const rows = batch;
    const upTo = lastLine;
    batch = emptyStage();
    pending = 0;
    await drain(maxInFlight - 1);
    const after = previous;
    const merged = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await inTransaction(async (client) => {
            // A crash may lose the last commits: their checkpoints go with them, so those batches
            // are merged again (idempotently) on resume.
            await client.query("set local synchronous_commit = off");
            // Never wait forever on a lock (a cycle through the in-order checkpoints): fail and retry.
            await client.query("set local lock_timeout = '60s'");
            await ensureStaging(client);
            return mergeBatch(timedClient(client, timings), run, which, rows, upTo, direct, after, timings);
          });
          for (const id of result.changed) changed.add(id);
          return;
        } catch (error) {
          if (error instanceof EarlierBatchFailed || attempt >= 5 || !RETRYABLE.has((error as { code?: string }).code ?? "")) throw error;
        }
      }
    })();
    // Its failure surfaces when it is drained; not an unhandled rejection meanwhile.
    merged.catch(() => {});
    previous = merged;
    inFlight.push(merged);
  };
  try {
    for await (const [lineNo, line] of jsonlLines(url, signal)) {
      if (lineNo <= done) continue;
      const node = parseLine(line);
      // A batch ends before a top-level object: children (line items) follow their parent in
      // Shopify's JSONL, so every batch holds whole orders and the checkpoint is an order boundary.
      if (pending >= batchLines && node.__parentId === undefined) await flush();
      stageNode(shopId, node, batch, optOutTag);
      lastLine = lineNo;
      pending++;
    }
    await flush();
  } catch (error) {
    // Nothing of this attempt may still be writing when the next one reads the checkpoint.
    await Promise.allSettled(inFlight);
    throw error;
  }
  await drain(0);
  if (timings) console.info(`[sync] run ${run.id} ${which}: ${(performance.now() - started).toFixed(0)} ms loading, of which ${waited.toFixed(0)} ms waiting for batches to merge`);
  await update(run.id, { [`${which}_loaded`]: true, [`${which}_lines`]: lastLine });
  run[`${which}_loaded`] = true;
}

/** After both files: a backfill's offer attribution over the whole shop, and the run completed. */
async function finishRun(run: RunRow): Promise<void> {
  await inTransaction(async (client) => {
    // Customers the merged orders point at whose own row did not come (not exported, or filtered
    // out of a reconciliation), as placeholders: once per run rather than per batch. A
    // reconciliation merged only orders updated since its filter: it reads just those (by the
    // (shop_id, updated_at) index), not the shop's whole order history every six hours.
    const since = run.updated_since ? new Date(run.updated_since.getTime() - 60_000) : null;
    await client.query(
      `insert into customers (shop_id, id)
       select distinct $1::int, o.customer_id from orders o
        where o.shop_id = $1 and o.customer_id is not null and ($2::timestamptz is null or o.updated_at >= $2)
          and not exists (select 1 from customers c where c.shop_id = $1 and c.id = o.customer_id)
          and not exists (select 1 from redacted_customers r where r.shop_id = $1 and r.redacted_customer_id = o.customer_id)
       on conflict do nothing`,
      [run.shop_id, since],
    );
    if (run.kind === "backfill" && (await client.query("select 1 from offers where shop_id = $1 limit 1", [run.shop_id])).rowCount) {
      await attributeStoredOrders(client, run.shop_id, null);
    }
    const completed = await client.query(
      "update sync_runs set status = 'completed', finished_at = clock_timestamp(), error = null, updated_at = now() where id = $1 and status = 'merging'",
      [run.id],
    );
    // Superseded meanwhile (a reinstall started a fresh run): roll back, the fresh run does the work.
    if (!completed.rowCount) throw new RunSuperseded(`run ${run.id} was superseded while merging`);
  });
}

/**
 * Drives a run to its end: export, load (merging batch by batch), recompute. Safe to call again
 * after a crash at any point (it continues from the stored phase and checkpoints) and from several
 * workers (one drives, the others return at once).
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
    // Batches merged by an earlier attempt changed customers this attempt does not know: then a
    // reconciliation recomputes the whole shop rather than only the customers it saw change.
    const resumed = run.status === "merging" || Number(run.customers_lines) > 0 || Number(run.orders_lines) > 0;
    const changed = new Set<bigint>();
    const timings: Timings | null = logTimings ? new Map() : null;
    try {
      if (run.status !== "merging") {
        await startExports(run);
        // Each file loads as soon as its export is ready; the first failure stops the other.
        const stop = new AbortController();
        const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
        const outcomes = await Promise.allSettled(
          FILES.map(async (which) => {
            try {
              await awaitExport(run, which, signal);
              await loadFile(run, which, changed, timings, signal);
            } catch (error) {
              stop.abort(error);
              throw error;
            }
          }),
        );
        const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
        if (failed) throw failed.reason;
        await update(runId, { status: "merging" });
      }
      await finishRun(run);
      if (timings) {
        for (const [label, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms)) console.info(`[sync] run ${runId}: ${t.ms.toFixed(0)} ms in ${t.n} x ${label}`);
      }
      // Bulk-loaded tables: fresh statistics before the engine's set-based recompute plans its joins.
      if (run.kind === "backfill") await syncPool().query("analyze customers, orders, line_items, refunds");
      if (run.kind === "backfill" || resumed) await recomputeShop(run.shop_id);
      else await recomputeCustomers(run.shop_id, [...changed]);
      return "completed";
    } catch (error) {
      if (error instanceof RunSuperseded) return "superseded";
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
  else if (run.status === "loading") percent = total ? Math.min(98, Math.floor(5 + (rows / total) * 93)) : 2;
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
