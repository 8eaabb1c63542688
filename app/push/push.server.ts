// Push-back: the shop's memberships into Shopify. One push = fold the change log past the cursor,
// finish bulk runs a crash left behind, then either one bulk mutation per kind (large diffs) or
// single calls (tagsAdd / tagsRemove per customer, metafieldsSet per 25 customers), then the Flow
// outbox. Shopify calls are idempotent against the desired-vs-pushed state: a crash between a call
// and its state commit only repeats the call. See docs/decisions/0006-push-back.md.
import type pg from "pg";
import { syncPool } from "../sync/pg.server";
import { adminFor, AdminApiError, type AdminClient } from "../shopify/admin-client.server";
import { tagsAdd } from "../shopify/tags-add.server";
import { tagsRemove } from "../shopify/tags-remove.server";
import { getCustomerTags } from "../shopify/get-customer-tags.server";
import { METAFIELDS_PER_CALL, metafieldsSetCustomers } from "../shopify/metafields-set-customers.server";
import { getCustomerMetafield } from "../shopify/get-customer-metafield.server";
import { flowTriggerReceive } from "../shopify/flow-trigger-receive.server";
import {
  categoryOfTag,
  fingerprint,
  foldChanges,
  isDirty,
  loadContext,
  readDirtyRows,
  rederiveShop,
  saveRows,
  SEGMENTS_METAFIELD,
  type PushRow,
  type ShopPushContext,
} from "./state.server";
import { customerGid, finishBulkRun, metafieldInput, planBulk, startBulkRun, unfinishedBulkRuns, type BulkKind, type BulkRunReport } from "./bulk.server";
import { fitTags, isOurTag, minus, planTags, TAG_LIMIT, union } from "./tags";

export const PUSH_BULK_THRESHOLD = Number(process.env.PUSH_BULK_THRESHOLD ?? 200);
const MAX_ATTEMPTS = Number(process.env.PUSH_MAX_ATTEMPTS ?? 5);
/** Customers per round of bulk mutations (one JSONL file per kind per round). */
const BULK_CHUNK = Number(process.env.PUSH_BULK_CHUNK ?? 100_000);
const FLOW_BATCH = Number(process.env.PUSH_FLOW_BATCH ?? 500);
/** Share of the cost bucket Flow triggers leave untouched for tags and metafields of new changes. */
const FLOW_HEADROOM = Number(process.env.PUSH_FLOW_HEADROOM ?? 0.5);
/** Seconds a push spends on Flow triggers before yielding, so tags of new changes never wait long behind them. */
const FLOW_SLICE_SECONDS = Number(process.env.PUSH_FLOW_SLICE_SECONDS ?? 1);

export interface PushOptions {
  now?: Date;
  admin?: AdminClient;
  /** Customers with tag work above which the push goes through bulk mutations. */
  bulkThreshold?: number;
  /** Flow triggers sent by this push at most (the rest wait for the next push); 0 = none. */
  flowLimit?: number;
  /** Time spent on Flow triggers at most, seconds (default 1; the job asks for another push). */
  flowSeconds?: number;
  /** Share of the bucket Flow triggers leave to tags (default 0.5; 0 = spend it all). */
  flowHeadroom?: number;
  /** Re-derive every customer's desired state first (done anyway when prefix, opt-out tag or live offers changed). */
  rederive?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
  /**
   * Fault injection for tests: runs after a Shopify call answered and before its state commits
   * (throwing here is a crash between "pushed" and "recorded").
   */
  afterCall?: (stage: "tags" | "metafields" | "flow" | "bulk") => void | Promise<void>;
}

export interface PushReport {
  shopId: number;
  /** Another process holds the shop's push lock: nothing done (its push covers these changes). */
  busy: boolean;
  folded: { changes: number; customers: number };
  path: "none" | "single" | "bulk";
  bulkRuns: BulkRunReport[];
  tagCalls: number;
  metafieldCalls: number;
  flowSent: number;
  /** Customers still dirty after this push (failed calls under their retry cap). */
  remaining: number;
  /** Customers given up on (attempt cap reached): reported to the merchant. */
  failed: number;
  flowPending: number;
  /** Flow triggers were held back to leave the bucket's headroom to tags (the job asks again in a moment). */
  flowDeferred: boolean;
}

const lockKey = (shopId: number) => `segsync:push:${shopId}`;

/** Holds the shop's push lock (session-level, so a crashed process releases it) around `fn`. */
async function withPushLock<T>(shopId: number, fn: (db: pg.PoolClient) => Promise<T>): Promise<T | null> {
  const db = await syncPool().connect();
  let locked = false;
  try {
    const r = await db.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtextextended($1, 0)) as ok", [lockKey(shopId)]);
    locked = r.rows[0].ok;
    if (!locked) return null;
    return await fn(db);
  } finally {
    if (locked) await db.query("select pg_advisory_unlock(hashtextextended($1, 0))", [lockKey(shopId)]).catch(() => {});
    db.release();
  }
}

/** Pushes a shop's pending membership changes into Shopify. Safe to call any time, from anywhere. */
export async function pushShop(shopId: number, options: PushOptions = {}): Promise<PushReport> {
  const report: PushReport = {
    shopId,
    busy: false,
    folded: { changes: 0, customers: 0 },
    path: "none",
    bulkRuns: [],
    tagCalls: 0,
    metafieldCalls: 0,
    flowSent: 0,
    remaining: 0,
    failed: 0,
    flowPending: 0,
    flowDeferred: false,
  };
  const done = await withPushLock(shopId, async (db) => {
    const ctx = await loadContext(db, shopId, options.now ?? new Date());
    // Uninstalled: nothing can be sent; the state waits (a reinstall picks it up, shop/redact erases it).
    if (!ctx.installed) return true;
    const admin = options.admin ?? adminFor(ctx.domain);
    // Prefix, opt-out tag or live offers changed since the rows were derived: re-derive them all.
    await db.query("insert into push_shops (shop_id) values ($1) on conflict do nothing", [shopId]);
    const print = fingerprint(ctx);
    const stored = await db.query<{ derived_from: string | null }>("select derived_from from push_shops where shop_id = $1", [shopId]);
    if (options.rederive || stored.rows[0].derived_from !== print) {
      await rederiveShop(db, ctx);
      await db.query("update push_shops set derived_from = $2 where shop_id = $1", [shopId, print]);
    }
    for (;;) {
      const folded = await foldChanges(db, ctx);
      report.folded.changes += folded.changes;
      report.folded.customers += folded.customers;
      if (folded.changes === 0) break;
    }
    // Bulk runs a crash left behind finish first (their results are part of the pushed state).
    for (const runId of await unfinishedBulkRuns(db, shopId)) report.bulkRuns.push(await finishBulkRun(db, ctx, runId, options));
    await pushDirty(db, ctx, admin, options, report);
    await sendFlowTriggers(db, ctx, admin, options, report);
    const counts = await db.query<{ remaining: number; failed: number; flow: number }>(
      `select (select count(*) from push_customers where shop_id = $1 and dirty and not gone and attempts < $2)::int as remaining,
              (select count(*) from push_customers where shop_id = $1 and dirty and not gone and attempts >= $2)::int as failed,
              (select count(*) from push_flow_triggers where shop_id = $1 and status = 'pending')::int as flow`,
      [shopId, MAX_ATTEMPTS],
    );
    report.remaining = counts.rows[0].remaining;
    report.failed = counts.rows[0].failed;
    report.flowPending = counts.rows[0].flow;
    await db.query("update push_shops set last_push_at = now() where shop_id = $1", [shopId]);
    return true;
  });
  if (done === null) report.busy = true;
  return report;
}

async function pushDirty(db: pg.PoolClient, ctx: ShopPushContext, admin: AdminClient, options: PushOptions, report: PushReport) {
  const threshold = options.bulkThreshold ?? PUSH_BULK_THRESHOLD;
  // Large diff (after a backfill, a threshold change, a nightly recompute): bulk mutations, in chunks,
  // for every customer that needs no read first; the rest (and failed lines) go through single calls.
  const pending = await db.query<{ n: number }>(
    `select count(*)::int as n from push_customers
      where shop_id = $1 and dirty and not gone and attempts = 0 and not sweep_tags and cardinality(suppressed_tags) = 0`,
    [ctx.shopId],
  );
  if (pending.rows[0].n > threshold) {
    report.path = "bulk";
    let from = -1n;
    for (;;) {
      if (options.signal?.aborted) return;
      const chunk = await readDirtyRows(db, ctx.shopId, { after: from, limit: BULK_CHUNK, maxAttempts: MAX_ATTEMPTS });
      if (chunk.length === 0) break;
      from = chunk[chunk.length - 1].customerId;
      const lines = planBulk(chunk.filter((r) => !r.sweepTags && r.suppressedTags.length === 0 && r.attempts === 0));
      const started: bigint[] = [];
      for (const kind of ["tags_remove", "tags_add", "metafields"] as BulkKind[]) {
        if (lines[kind].length === 0) continue;
        try {
          started.push(await startBulkRun(db, ctx, admin, kind, lines[kind]));
        } catch (error) {
          if (!(error instanceof AdminApiError)) throw error;
          // Not started (e.g. LIMIT_REACHED): these customers stay dirty for the single path below.
        }
      }
      await options.afterCall?.("bulk");
      for (const runId of started) report.bulkRuns.push(await finishBulkRun(db, ctx, runId, options));
    }
  }

  // Single calls: everything still dirty (small diffs, bulk leftovers, opt-out sweeps, limits).
  let after = -1n;
  for (;;) {
    if (options.signal?.aborted) return;
    const rows = await readDirtyRows(db, ctx.shopId, { after, limit: 250, maxAttempts: MAX_ATTEMPTS });
    if (rows.length === 0) return;
    if (report.path === "none") report.path = "single";
    after = rows[rows.length - 1].customerId;
    const afterTags: PushRow[] = [];
    for (const row of rows) afterTags.push(await pushCustomerTags(db, ctx, admin, row, options, report));
    await pushMetafields(db, ctx, admin, afterTags.filter((r) => !r.gone && r.desiredMetafield !== null && r.desiredMetafield !== r.pushedMetafield), options, report);
  }
}

/** Shopify answered with user errors: counted as a failed attempt of this customer. */
class ShopifyRefused extends Error {
  override name = "ShopifyRefused";
}

const GONE = /does not exist|not found|can't be found/i;
const LIMIT = /250|exceed/i;

function failed(row: PushRow, error: unknown): PushRow {
  const message = error instanceof Error ? error.message : String(error);
  return { ...row, attempts: row.attempts + 1, lastError: message.slice(0, 500) };
}

async function addNotice(db: pg.ClientBase, shopId: number, notice: Record<string, unknown>) {
  await db.query(
    `update push_shops set notices = (
       select coalesce(jsonb_agg(n), '[]'::jsonb) from (
         select n from jsonb_array_elements(jsonb_build_array($2::jsonb) || notices) with ordinality t(n, i) order by i limit 50) x)
     where shop_id = $1`,
    [shopId, JSON.stringify({ ...notice, at: new Date().toISOString() })],
  );
}

/** One customer's tags: sweep (opt-out), remove, add within the 250 limit. Commits after each call. */
async function pushCustomerTags(db: pg.ClientBase, ctx: ShopPushContext, admin: AdminClient, input: PushRow, options: PushOptions, report: PushReport): Promise<PushRow> {
  let row = input;
  const gid = customerGid(row.customerId);
  const commit = async (next: PushRow) => {
    await saveRows(db, ctx.shopId, [next]);
    row = next;
  };
  try {
    if (row.sweepTags) {
      const store = await getCustomerTags(admin, gid);
      if (store === null) {
        await commit({ ...row, gone: true, lastError: "customer no longer exists in Shopify" });
        return row;
      }
      const ours = store.filter((t) => isOurTag(t, ctx.prefix, ctx.optOutTag));
      const target = minus(row.desiredTags, row.suppressedTags);
      const stray = minus(ours, target);
      if (stray.length) {
        const errors = await tagsRemove(admin, gid, stray);
        report.tagCalls++;
        if (errors.length) throw new ShopifyRefused(errors.map((e) => e.message).join("; "));
        await options.afterCall?.("tags");
      }
      await commit({ ...row, pushedTags: minus(ours, stray), sweepTags: false, pushedAt: new Date() });
    }
    const plan = planTags(row.desiredTags, row.pushedTags, row.suppressedTags);
    if (plan.remove.length) {
      // From the call until its answer is committed the store's tags are uncertain: should the
      // process or the database go away in between, sweepTags stays set and the next push reads
      // the store's tags instead of trusting pushedTags (else an add that took effect unrecorded
      // is never removed, or a removal unrecorded never re-added).
      await commit({ ...row, sweepTags: true });
      const errors = await tagsRemove(admin, gid, plan.remove);
      report.tagCalls++;
      if (errors.some((e) => GONE.test(e.message))) {
        await commit({ ...row, gone: true, lastError: errors[0].message });
        return row;
      }
      if (errors.length) throw new ShopifyRefused(errors.map((e) => e.message).join("; "));
      await options.afterCall?.("tags");
      await commit({ ...row, pushedTags: minus(row.pushedTags, plan.remove), sweepTags: false, pushedAt: new Date() });
    }
    // Near the limit (a tag was suppressed before), read the count first; else learn it from the error.
    const add = row.suppressedTags.length ? minus(row.desiredTags, row.pushedTags) : plan.add;
    if (add.length) {
      await commit({ ...row, sweepTags: true });
      let fit: { keep: string[]; suppressed: string[]; present: string[] } | null = null;
      if (row.suppressedTags.length) fit = await fitToLimit(ctx, admin, gid, add);
      let errors = fit && fit.keep.length === 0 ? [] : await tagsAdd(admin, gid, fit ? fit.keep : add);
      if (!fit || fit.keep.length) report.tagCalls++;
      if (errors.some((e) => LIMIT.test(e.message)) && !fit) {
        fit = await fitToLimit(ctx, admin, gid, add);
        errors = fit.keep.length ? await tagsAdd(admin, gid, fit.keep) : [];
        if (fit.keep.length) report.tagCalls++;
      }
      if (errors.some((e) => GONE.test(e.message))) {
        await commit({ ...row, gone: true, lastError: errors[0].message });
        return row;
      }
      if (errors.length) throw new ShopifyRefused(errors.map((e) => e.message).join("; "));
      await options.afterCall?.("tags");
      const added = fit ? [...fit.keep, ...fit.present] : add;
      const suppressed = fit ? fit.suppressed : minus(row.suppressedTags, add);
      if (fit && fit.suppressed.length && fit.suppressed.some((t) => !row.suppressedTags.includes(t))) {
        await addNotice(db, ctx.shopId, {
          code: "tag_limit",
          customerId: String(row.customerId),
          suppressed: fit.suppressed,
          categories: [...new Set(fit.suppressed.map((t) => categoryOfTag(ctx, t)))],
        });
      }
      await commit({ ...row, pushedTags: union(row.pushedTags, added), suppressedTags: suppressed, sweepTags: false, pushedAt: new Date() });
    }
    if (row.attempts || row.lastError) await commit({ ...row, attempts: 0, lastError: null });
  } catch (error) {
    // Anything else (our bugs, a crash) propagates: the row stays as last committed.
    if (!(error instanceof AdminApiError || error instanceof ShopifyRefused)) throw error;
    await commit(failed(row, error));
  }
  return row;
}

/** Reads the customer's tags and keeps what fits under 250, whole categories first. */
async function fitToLimit(ctx: ShopPushContext, admin: AdminClient, gid: string, add: string[]) {
  const store = (await getCustomerTags(admin, gid)) ?? [];
  const present = add.filter((t) => store.some((s) => s.toLowerCase() === t.toLowerCase()));
  const missing = minus(add, present);
  const { keep, suppressed } = fitTags(missing, TAG_LIMIT - store.length, (t) => categoryOfTag(ctx, t));
  return { keep, suppressed, present };
}

/** metafieldsSet in batches of 25, compare-and-set; STALE_OBJECT re-reads the digest and retries. */
async function pushMetafields(db: pg.ClientBase, ctx: ShopPushContext, admin: AdminClient, rows: PushRow[], options: PushOptions, report: PushReport) {
  for (let i = 0; i < rows.length; i += METAFIELDS_PER_CALL) {
    let batch = rows.slice(i, i + METAFIELDS_PER_CALL);
    for (let round = 0; batch.length > 0 && round < 3; round++) {
      let result;
      try {
        result = await metafieldsSetCustomers(admin, batch.map(metafieldInput));
        report.metafieldCalls++;
      } catch (error) {
        if (!(error instanceof AdminApiError)) throw error;
        await saveRows(db, ctx.shopId, batch.map((r) => failed(r, error)));
        break;
      }
      if (result.userErrors.length === 0) {
        await options.afterCall?.("metafields");
        const digests = new Map(result.written.map((w) => [w.ownerId, w.compareDigest]));
        await saveRows(
          db,
          ctx.shopId,
          batch.map((r) => ({ ...r, pushedMetafield: r.desiredMetafield, metafieldDigest: digests.get(customerGid(r.customerId)) ?? null, pushedAt: new Date() })),
        );
        break;
      }
      // Atomic: nothing was written. Settle the elements in error, send the rest again.
      const bad = new Map<number, { message: string; code: string | null }>();
      for (const e of result.userErrors) if (typeof e.elementIndex === "number") bad.set(e.elementIndex, e);
      if (bad.size === 0) {
        await saveRows(db, ctx.shopId, batch.map((r) => failed(r, new Error(result.userErrors.map((e) => e.message).join("; ")))));
        break;
      }
      const settled: PushRow[] = [];
      for (const [index, e] of bad) {
        const row = batch[index];
        if (e.code === "STALE_OBJECT") {
          // Someone (a crashed earlier push of ours) wrote since we last recorded: read and compare.
          const current = await getCustomerMetafield(admin, customerGid(row.customerId), SEGMENTS_METAFIELD.namespace, SEGMENTS_METAFIELD.key);
          if (!current.exists) settled.push({ ...row, gone: true, lastError: "customer no longer exists in Shopify" });
          else if (current.value === row.desiredMetafield) settled.push({ ...row, pushedMetafield: current.value, metafieldDigest: current.compareDigest, pushedAt: new Date() });
          else settled.push({ ...failed(row, new Error(e.message)), pushedMetafield: current.value, metafieldDigest: current.compareDigest });
        } else if (GONE.test(e.message)) settled.push({ ...row, gone: true, lastError: e.message });
        else settled.push(failed(row, new Error(e.message)));
      }
      await saveRows(db, ctx.shopId, settled);
      const retry = settled.filter((r) => !r.gone && r.pushedMetafield !== r.desiredMetafield && r.metafieldDigest !== null);
      batch = [...batch.filter((_, k) => !bad.has(k)), ...retry];
    }
  }
}

/**
 * The Flow outbox, oldest change first. A row is marked `sending` (committed) before the call and
 * `sent` after: a row found `sending` by a later push belongs to a push that crashed mid-call and
 * becomes `uncertain`, never re-fired (a workflow must not run twice for one change).
 */
async function sendFlowTriggers(db: pg.ClientBase, ctx: ShopPushContext, admin: AdminClient, options: PushOptions, report: PushReport) {
  await db.query("update push_flow_triggers set status = 'uncertain' where shop_id = $1 and status = 'sending'", [ctx.shopId]);
  let budget = options.flowLimit ?? FLOW_BATCH;
  const deadline = Date.now() + (options.flowSeconds ?? FLOW_SLICE_SECONDS) * 1000;
  while (budget > 0 && Date.now() < deadline) {
    if (options.signal?.aborted) return;
    const { rows } = await db.query<{ change_id: bigint; customer_id: bigint; segment_key: string; handle: string; attempts: number }>(
      `select change_id, customer_id, segment_key, handle, attempts from push_flow_triggers
        where shop_id = $1 and status = 'pending' order by change_id limit $2`,
      [ctx.shopId, Math.min(budget, 100)],
    );
    if (rows.length === 0) return;
    for (const t of rows) {
      if (Date.now() >= deadline) return;
      // Tags come first: Flow triggers only spend the bucket above the headroom kept for them.
      const bucket = admin.bucket?.();
      if (bucket && bucket.available < bucket.maximum * (options.flowHeadroom ?? FLOW_HEADROOM)) {
        report.flowDeferred = true;
        return;
      }
      budget--;
      const id = String(t.change_id);
      await db.query("update push_flow_triggers set status = 'sending', attempts = attempts + 1 where change_id = $1", [id]);
      const payload = {
        customer_id: Number(t.customer_id),
        "Segment key": t.segment_key,
        "Segment name": ctx.segments.get(t.segment_key)?.name ?? t.segment_key,
      };
      try {
        const errors = await flowTriggerReceive(admin, t.handle, payload);
        await options.afterCall?.("flow");
        if (errors.length) {
          await db.query("update push_flow_triggers set status = 'failed', last_error = $2 where change_id = $1", [id, errors.map((e) => e.message).join("; ").slice(0, 500)]);
        } else {
          await db.query("update push_flow_triggers set status = 'sent', sent_at = now(), last_error = null where change_id = $1", [id]);
          report.flowSent++;
        }
      } catch (error) {
        if (!(error instanceof AdminApiError)) throw error;
        // Not delivered as far as we know (throttled or refused after retries): try again later.
        const retry = error.details.retryable && t.attempts + 1 < MAX_ATTEMPTS;
        await db.query("update push_flow_triggers set status = $2, last_error = $3 where change_id = $1", [id, retry ? "pending" : "failed", error.message.slice(0, 500)]);
        if (retry) return;
      }
    }
  }
}

/** Merchant-visible push status: progress, failures, notices (for the admin). */
export async function pushStatus(shopId: number) {
  const { rows } = await syncPool().query<{
    cursor: string | null;
    latest: string | null;
    dirty: number;
    failed: number;
    customers: number;
    flow_pending: number;
    flow_failed: number;
    notices: unknown;
    last_push_at: Date | null;
    last_drift_at: Date | null;
    last_drift_repaired: number | null;
  }>(
    `select s.last_change_id::text as cursor, (select max(id)::text from membership_changes where shop_id = $1) as latest,
            (select count(*) from push_customers where shop_id = $1 and dirty and not gone and attempts < $2)::int as dirty,
            (select count(*) from push_customers where shop_id = $1 and dirty and not gone and attempts >= $2)::int as failed,
            (select count(*) from push_customers where shop_id = $1)::int as customers,
            (select count(*) from push_flow_triggers where shop_id = $1 and status = 'pending')::int as flow_pending,
            (select count(*) from push_flow_triggers where shop_id = $1 and status in ('failed', 'uncertain'))::int as flow_failed,
            s.notices, s.last_push_at, s.last_drift_at, s.last_drift_repaired
       from (select $1::int as shop_id) x left join push_shops s on s.shop_id = x.shop_id`,
    [shopId, MAX_ATTEMPTS],
  );
  const r = rows[0];
  return {
    /** Changes in the log not yet folded into the push state. */
    behind: r.latest && r.cursor !== null ? Number(BigInt(r.latest) - BigInt(r.cursor)) : r.latest ? Number(r.latest) : 0,
    dirty: r.dirty,
    failed: r.failed,
    customers: r.customers,
    flowPending: r.flow_pending,
    flowFailed: r.flow_failed,
    notices: (r.notices ?? []) as Array<{ code: string; at: string } & Record<string, unknown>>,
    lastPushAt: r.last_push_at,
    lastDriftAt: r.last_drift_at,
    lastDriftRepaired: r.last_drift_repaired ?? 0,
  };
}

export { isDirty };
