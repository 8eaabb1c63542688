// Webhook events: recorded on the request path (unique on the webhook id, so a redelivery is a
// no-op), applied by workers with exactly-once effects, parked when they keep failing.
import type pg from "pg";
import { enqueueEvent, enqueueEvents } from "../jobs/queue.server";
import { inTransaction, syncPool } from "./pg.server";
import {
  COMPLIANCE_TOPICS,
  factsFromJson,
  factsToJson,
  UnusablePayloadError,
  type Facts,
} from "./payloads.server";
import {
  applyCustomer,
  applyCustomerDelete,
  applyOrder,
  applyRefund,
  applyTags,
  TerminalEventError,
  type Applied,
} from "./apply.server";
import { syncSettingsOf } from "./shop-settings.server";
import { recomputeCustomers } from "./recompute.server";
import { handleCompliance } from "./compliance.server";
import { noteBulkOperationFinished } from "./runs.server";

export interface IncomingWebhook {
  shop: string;
  webhookId: string;
  eventId: string | null;
  topic: string;
  triggeredAt: Date | null;
  apiVersion: string | null;
  facts: Facts | null;
  /** Set when the body could not be used: the event is recorded as failed with this message. */
  error: string | null;
}

export interface Recorded {
  id: bigint | null;
  status: string;
  duplicate: boolean;
}

/**
 * Records a delivery (one statement, which also decides from the shop's install state whether it
 * needs work) and enqueues it. A repeated webhook id changes nothing. Should the process die
 * between the two, the event stays `received` and the sweeper enqueues it (see sweepStuckEvents).
 *
 * Group commit: deliveries that arrive while earlier ones are being written wait and go together,
 * one INSERT for all their events and one queue insert for their jobs, so under load the database
 * sees a few statements per batch instead of two per delivery (and a quiet request is written at
 * once, alone). Every caller still gets its own answer only after its row and job are committed.
 */
export function recordWebhook(w: IncomingWebhook): Promise<Recorded> {
  return new Promise<Recorded>((resolve, reject) => {
    intake.push({ w, resolve, reject });
    if (writing < MAX_WRITES_IN_FLIGHT) void writeIntake();
  });
}

interface PendingRecord {
  w: IncomingWebhook;
  resolve(r: Recorded): void;
  reject(e: unknown): void;
}

const intake: PendingRecord[] = [];
let writing = 0;
const MAX_WRITES_IN_FLIGHT = 2;
const MAX_BATCH = 500;

async function writeIntake() {
  writing++;
  try {
    while (intake.length) {
      const batch = intake.splice(0, MAX_BATCH);
      try {
        const results = await recordBatch(batch.map((p) => p.w));
        batch.forEach((p, i) => p.resolve(results[i]));
      } catch (error) {
        if (batch.length === 1) {
          batch[0].reject(error);
          continue;
        }
        // One delivery the database refuses must not fail the others: each alone, once.
        await Promise.all(
          batch.map((p) =>
            recordBatch([p.w]).then(
              ([r]) => p.resolve(r),
              (e: unknown) => p.reject(e),
            ),
          ),
        );
      }
    }
  } finally {
    writing--;
  }
}

async function recordBatch(ws: IncomingWebhook[]): Promise<Recorded[]> {
  const inserted = await syncPool().query<{ id: bigint; status: string; webhook_id: string }>(
    `with input as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::text[], $9::boolean[])
         with ordinality as t(shop, webhook_id, event_id, topic, triggered_at, api_version, payload, error, compliance, ord)),
     decided as (
       select i.*, s.install_state,
              case when i.error is not null then 'failed'
                   when s.domain is null then 'ignored'
                   when s.install_state <> 'installed' and not i.compliance then 'ignored'
                   else 'received' end as status
         from input i left join shops s on s.domain = i.shop)
     insert into webhook_events (shop, webhook_id, event_id, topic, triggered_at, api_version, payload, status, last_error, processed_at)
     select shop, webhook_id, event_id, topic, triggered_at, api_version, payload, status,
            case when status = 'failed' then error
                 when status = 'ignored' then coalesce('shop ' || shop || ' is ' || install_state, 'shop ' || shop || ' is not known to the app')
            end,
            case when status = 'received' then null else now() end
       from decided order by ord
     on conflict (webhook_id) do nothing
     returning id, status, webhook_id`,
    [
      ws.map((w) => w.shop),
      ws.map((w) => w.webhookId),
      ws.map((w) => w.eventId),
      ws.map((w) => w.topic),
      ws.map((w) => w.triggeredAt),
      ws.map((w) => w.apiVersion),
      ws.map((w) => (w.facts ? factsToJson(w.facts) : null)),
      ws.map((w) => w.error),
      ws.map((w) => COMPLIANCE_TOPICS.has(w.topic)),
    ],
  );
  const byWebhook = new Map(inserted.rows.map((r) => [r.webhook_id, r]));
  await enqueueEvents(inserted.rows.filter((r) => r.status === "received").map((r) => r.id));
  // The same webhook id twice in one batch: the first is recorded, the second is the duplicate.
  return ws.map((w) => {
    const row = byWebhook.get(w.webhookId);
    if (!row) return { id: null, status: "duplicate", duplicate: true };
    byWebhook.delete(w.webhookId);
    return { id: row.id, status: row.status, duplicate: false };
  });
}

interface EventRow {
  id: bigint;
  shop: string;
  topic: string;
  status: string;
  payload: unknown;
  webhook_id: string;
  shop_id: number | null;
  install_state: string | null;
  settings: unknown;
}

export type EventOutcome = "applied" | "skipped" | "ignored" | "failed" | "retry" | "parked";

async function applyFacts(db: pg.ClientBase, row: EventRow, facts: Facts): Promise<Applied> {
  const shopId = row.shop_id as number;
  switch (facts.kind) {
    case "customer":
      return applyCustomer(db, shopId, facts.customer);
    case "customer_delete":
      return applyCustomerDelete(db, shopId, facts.customerId);
    case "order":
      return applyOrder(db, shopId, facts.order);
    case "refund":
      return applyRefund(db, shopId, facts.refund);
    case "tags":
      return applyTags(db, shopId, facts.added, facts.tags, syncSettingsOf(row.settings));
    case "bulk_finish":
      await noteBulkOperationFinished(db, shopId, facts.bulk.bulkOperationId);
      return { changed: false, customerIds: [] };
    case "compliance":
      // Compliance work runs outside this switch (it spans many tables and its own log).
      return { changed: false, customerIds: [] };
  }
}

/** The customers an already-stored event touched (recovery after a crash before recompute). */
async function customersOf(db: pg.ClientBase, shopId: number, facts: Facts): Promise<bigint[]> {
  switch (facts.kind) {
    case "customer":
      return [facts.customer.id];
    case "customer_delete":
      return [facts.customerId];
    case "tags":
      return [facts.tags.customerId];
    case "order":
      return facts.order.customerId !== null ? [facts.order.customerId] : [];
    case "refund": {
      const r = await db.query<{ customer_id: bigint | null }>("select customer_id from orders where shop_id = $1 and id = $2", [shopId, facts.refund.orderId]);
      return r.rows[0]?.customer_id != null ? [r.rows[0].customer_id] : [];
    }
    default:
      return [];
  }
}

async function settle(id: bigint, status: string, error: string | null) {
  await syncPool().query(
    "update webhook_events set status = $2, last_error = $3, processed_at = now() where id = $1",
    [id, status, error],
  );
}

export interface EventStep {
  outcome: EventOutcome | "recompute";
  shopId: number | null;
  customers: bigint[];
}

/**
 * Applies one event. The apply and the event's move to `stored` commit together (so a crash
 * before the commit leaves it `received`, and a repeated job finds it `stored`/`applied` and does
 * no second apply). `recompute` means: call the engine for `customers`, then `finishEvents`.
 */
export async function stepEvent(eventId: bigint, options: { finalAttempt?: boolean } = {}): Promise<EventStep> {
  let shopId: number | null = null;
  let customers: bigint[] = [];
  let compliance: { row: EventRow; facts: Facts } | null = null;
  try {
    const step = await inTransaction(async (client): Promise<EventOutcome | "recompute" | "compliance"> => {
      const found = await client.query<EventRow>(
        `select e.id, e.shop, e.topic, e.status, e.payload, e.webhook_id, s.id as shop_id, s.install_state, s.settings
           from webhook_events e left join shops s on s.domain = e.shop
          where e.id = $1 for update of e`,
        [eventId],
      );
      const row = found.rows[0];
      if (!row) return "skipped";
      if (!["received", "stored"].includes(row.status)) return "skipped";
      shopId = row.shop_id;
      if (row.shop_id === null) throw new TerminalEventError(`shop ${row.shop} is not known to the app`);
      const facts = factsFromJson(row.payload);
      if (facts.kind === "compliance") {
        compliance = { row, facts };
        return "compliance";
      }
      if (row.install_state !== "installed") throw new TerminalEventError(`shop ${row.shop} is ${row.install_state}`);
      if (row.status === "stored") {
        customers = await customersOf(client, row.shop_id, facts);
        return "recompute";
      }
      const applied = await applyFacts(client, row, facts);
      customers = applied.customerIds;
      await client.query(
        `update webhook_events set status = $2, attempts = attempts + 1, last_error = $3,
                processed_at = case when $2 = 'applied' then now() else processed_at end
          where id = $1`,
        [eventId, customers.length ? "stored" : "applied", applied.changed ? null : (applied.note ?? null)],
      );
      return customers.length ? "recompute" : "applied";
    });
    if (step === "compliance" && compliance) {
      const { row, facts } = compliance as { row: EventRow; facts: Facts };
      await handleCompliance({ eventId, shop: row.shop, shopId: row.shop_id as number, topic: row.topic, webhookId: row.webhook_id, facts });
      return { outcome: "applied", shopId, customers: [] };
    }
    return { outcome: step as EventOutcome | "recompute", shopId, customers };
  } catch (error) {
    return { outcome: await recordFailure(eventId, error, options.finalAttempt === true), shopId, customers: [] };
  }
}

async function recordFailure(eventId: bigint, error: unknown, finalAttempt: boolean): Promise<EventOutcome> {
  if (error instanceof TerminalEventError) {
    await settle(eventId, "ignored", error.message);
    return "ignored";
  }
  if (error instanceof UnusablePayloadError) {
    await settle(eventId, "failed", error.message);
    return "failed";
  }
  const message = error instanceof Error ? error.message : String(error);
  await syncPool().query(
    `update webhook_events set attempts = attempts + 1, last_error = $2,
            status = case when $3 then 'parked' else status end,
            processed_at = case when $3 then now() else processed_at end
      where id = $1`,
    [eventId, message.slice(0, 2000), finalAttempt],
  );
  return finalAttempt ? "parked" : "retry";
}

/** Marks stored events applied once the engine has recomputed their customers. */
export async function finishEvents(eventIds: bigint[]) {
  if (eventIds.length === 0) return;
  await syncPool().query(
    "update webhook_events set status = 'applied', last_error = null, processed_at = now() where id = any($1::bigint[]) and status = 'stored'",
    [eventIds],
  );
}

/**
 * Applies several events, then recomputes each shop's changed customers once (after every apply
 * transaction has committed), then marks them applied. Returns each event's outcome.
 */
export async function processEvents(
  events: { eventId: bigint; finalAttempt?: boolean }[],
): Promise<Map<bigint, EventOutcome>> {
  const outcomes = new Map<bigint, EventOutcome>();
  const pending = new Map<number, { ids: bigint[]; customers: bigint[]; final: Map<bigint, boolean> }>();
  for (const { eventId, finalAttempt } of events) {
    const step = await stepEvent(eventId, { finalAttempt });
    if (step.outcome !== "recompute") {
      outcomes.set(eventId, step.outcome);
      continue;
    }
    const group = pending.get(step.shopId as number) ?? { ids: [] as bigint[], customers: [] as bigint[], final: new Map<bigint, boolean>() };
    group.ids.push(eventId);
    group.customers.push(...step.customers);
    group.final.set(eventId, finalAttempt === true);
    pending.set(step.shopId as number, group);
  }
  for (const [shopId, group] of pending) {
    try {
      await recomputeCustomers(shopId, group.customers);
      await finishEvents(group.ids);
      for (const id of group.ids) outcomes.set(id, "applied");
    } catch (error) {
      // The data is stored; the retry only recomputes.
      for (const id of group.ids) outcomes.set(id, await recordFailure(id, error, group.final.get(id) === true));
    }
  }
  return outcomes;
}

export async function processEvent(eventId: bigint, options: { finalAttempt?: boolean } = {}): Promise<EventOutcome> {
  const outcomes = await processEvents([{ eventId, finalAttempt: options.finalAttempt }]);
  return outcomes.get(eventId) as EventOutcome;
}

export interface ParkedEvent {
  id: string;
  topic: string;
  webhookId: string;
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
}

/** Events that kept failing, for the merchant's admin (newest first). */
export async function listParkedEvents(shopId: number, limit = 100): Promise<ParkedEvent[]> {
  const r = await syncPool().query(
    `select e.id, e.topic, e.webhook_id, e.attempts, e.last_error, e.received_at
       from webhook_events e join shops s on s.domain = e.shop
      where s.id = $1 and e.status = 'parked' order by e.received_at desc limit $2`,
    [shopId, limit],
  );
  return r.rows.map((x) => ({
    id: String(x.id),
    topic: x.topic,
    webhookId: x.webhook_id,
    attempts: x.attempts,
    lastError: x.last_error,
    receivedAt: x.received_at,
  }));
}

/** Puts a parked event of this shop back in the queue; false when there is no such parked event. */
export async function retryParkedEvent(shopId: number, id: string | bigint): Promise<boolean> {
  return inTransaction(async (client) => {
    const r = await client.query(
      `update webhook_events e set status = 'received', last_error = null, processed_at = null
         from shops s where s.domain = e.shop and s.id = $1 and e.id = $2 and e.status = 'parked'
       returning e.id`,
      [shopId, BigInt(id)],
    );
    if (r.rowCount === 0) return false;
    await enqueueEvent(BigInt(id), { client });
    return true;
  });
}

/**
 * Re-enqueues events a crash left behind (recorded but never finished). Duplicated jobs are
 * harmless: processEvent locks the event row and skips what is already done.
 */
export async function sweepStuckEvents(olderThanSeconds = 120): Promise<number> {
  const r = await syncPool().query<{ id: bigint }>(
    `select id from webhook_events where status in ('received', 'stored') and received_at < now() - make_interval(secs => $1)
      order by id limit 10000`,
    [olderThanSeconds],
  );
  for (const { id } of r.rows) await enqueueEvent(id);
  return r.rows.length;
}
