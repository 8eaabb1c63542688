// The pixel ingest: checks a batch (size, shape, known and installed shop, the shop's public pixel
// token, per-client rate), then appends its events to pixel_events, links the client to a customer
// when an event names one, and marks linked customers for a browsing refresh. One round trip to
// Postgres per batch; features are computed later by refreshBrowsing (app/browsing/features.server.ts).
import { createHmac, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import { ensurePartitions, utcDay } from "./partitions.server";
import { browsingPool } from "./pool.server";
import { TokenBuckets } from "./rate-limit";
import { parseBatch, type ParsedBatch, type ParsedEvent } from "./wire";

/** Events older than this (a queue a browser kept) or this far in the future (a wrong clock) are dropped. */
const MAX_AGE_MS = 3 * 24 * 3600 * 1000;
const MAX_AHEAD_MS = 10 * 60 * 1000;
const SHOP_CACHE_MS = 30_000;

export interface IngestResult {
  status: 202 | 400 | 401 | 404 | 413 | 429;
  body: { accepted?: number; stored?: number; dropped?: number; error?: string };
  headers?: Record<string, string>;
  shopId?: number;
  /** The batch's client belongs to a customer (a refresh is due). */
  linked?: boolean;
}

/** The public token the pixel carries for a shop (set in its settings by webPixelCreate). Not a secret. */
export function pixelToken(shopDomain: string, secret = process.env.SHOPIFY_API_SECRET ?? ""): string {
  if (!secret) throw new Error("SHOPIFY_API_SECRET is not set.");
  return createHmac("sha256", secret).update(`segsync-pixel:v1:${shopDomain}`).digest("base64url").slice(0, 32);
}

// The expected token per shop, computed once per process (an HMAC per request is measurable CPU).
const expectedTokens = new Map<string, Buffer>();

function tokenMatches(shopDomain: string, token: string): boolean {
  let want = expectedTokens.get(shopDomain);
  if (!want) {
    want = Buffer.from(pixelToken(shopDomain));
    if (expectedTokens.size > 10_000) expectedTokens.clear();
    expectedTokens.set(shopDomain, want);
  }
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

interface ShopInfo {
  id: number;
  installed: boolean;
  at: number;
}
const shops = new Map<string, ShopInfo>();

async function lookupShop(db: Pick<pg.Pool, "query">, domain: string, nowMs: number): Promise<ShopInfo | null> {
  const cached = shops.get(domain);
  if (cached && nowMs - cached.at < SHOP_CACHE_MS) return cached;
  const { rows } = await db.query<{ id: number; install_state: string }>("select id, install_state from shops where domain = $1", [domain]);
  if (!rows[0]) {
    shops.delete(domain);
    return null;
  }
  const info = { id: rows[0].id, installed: rows[0].install_state === "installed", at: nowMs };
  if (shops.size > 10_000) shops.clear();
  shops.set(domain, info);
  return info;
}

/** Forget cached shops (tests change install state between requests). */
export function forgetShops() {
  shops.clear();
}

// 600 events at once and 10 per second per pixel client: far above a shopper, far below a flood.
const buckets = new TokenBuckets({
  capacity: Number(process.env.PIXEL_RATE_CAPACITY ?? 600),
  refillPerSecond: Number(process.env.PIXEL_RATE_PER_SECOND ?? 10),
});
let rateClock = () => Date.now();

/** Tests: start with full buckets and, when given, a clock of their own for the rate limit. */
export function resetRateLimits(clock: () => number = () => Date.now()) {
  buckets.clear();
  rateClock = clock;
}

export interface IngestOptions {
  /** The clock (tests and the replay of history). */
  now?: Date;
  db?: Pick<pg.Pool, "query">;
}

/** Checks and stores one raw batch body; never throws for bad input. */
export async function ingestPixelBody(body: string, options: IngestOptions = {}): Promise<IngestResult> {
  const parsed = parseBatch(body);
  if (!parsed.ok) return { status: parsed.status, body: { error: parsed.error } };
  return ingestPixelBatch(parsed.batch, options);
}

export async function ingestPixelBatch(batch: ParsedBatch, options: IngestOptions = {}): Promise<IngestResult> {
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const db = options.db ?? browsingPool();
  const shop = await lookupShop(db, batch.shop, Date.now());
  if (!shop || !shop.installed) return { status: 404, body: { error: "Unknown shop, or the app is not installed." } };
  if (!tokenMatches(batch.shop, batch.token)) return { status: 401, body: { error: "The pixel token does not belong to this shop." } };
  const key = `${shop.id}:${batch.clientId}`;
  if (!buckets.take(key, batch.events.length, rateClock())) {
    const seconds = buckets.retryAfter(key, batch.events.length);
    return { status: 429, body: { error: "Too many events from this client." }, headers: { "Retry-After": String(seconds) } };
  }
  const events = batch.events.filter((e) => e.at.getTime() >= nowMs - MAX_AGE_MS && e.at.getTime() <= nowMs + MAX_AHEAD_MS);
  const dropped = batch.events.length - events.length;
  if (events.length === 0) return { status: 202, body: { accepted: 0, stored: 0, dropped }, shopId: shop.id, linked: false };
  const { stored, linked } = await writer(db).write({ shopId: shop.id, clientId: batch.clientId, receivedAt: now, events });
  return { status: 202, body: { accepted: events.length, stored, dropped }, shopId: shop.id, linked };
}

// ---------------------------------------------------------------------------------------------
// Group commit: the batches of requests that arrive while a write is in flight are written together
// by the next statement (one at a time by default: bigger groups beat parallel small writes on a
// small machine); each request is answered once its own events are committed.

interface Pending {
  shopId: number;
  clientId: string;
  receivedAt: Date;
  events: ParsedEvent[];
  resolve: (r: { stored: number; linked: boolean }) => void;
  reject: (e: unknown) => void;
}

const MAX_IN_FLIGHT = Number(process.env.PIXEL_WRITERS ?? 1);
const MAX_EVENTS_PER_WRITE = 2000;

class GroupWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  constructor(private readonly db: Pick<pg.Pool, "query">) {}

  write(p: Omit<Pending, "resolve" | "reject">): Promise<{ stored: number; linked: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...p, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length) {
      const group: Pending[] = [];
      let n = 0;
      while (this.queue.length && (group.length === 0 || n + this.queue[0].events.length <= MAX_EVENTS_PER_WRITE)) {
        const p = this.queue.shift()!;
        n += p.events.length;
        group.push(p);
      }
      this.inFlight++;
      this.flush(group)
        .catch((error) => group.forEach((p) => p.reject(error)))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async flush(group: Pending[]) {
    // A retried batch can arrive twice in one group: the first copy of an event is the one written
    // (and counted), so each request's count of stored events stays exact.
    const seen = new Set<string>();
    const shopIds: number[] = [];
    const clientIds: string[] = [];
    const eventIds: string[] = [];
    const names: string[] = [];
    const customerIds: (string | null)[] = [];
    const productIds: (string | null)[] = [];
    const variantIds: (string | null)[] = [];
    const products: string[] = [];
    const checkouts: (string | null)[] = [];
    const recs: boolean[] = [];
    const ats: number[] = [];
    const receivedAts: number[] = [];
    const requests: number[] = [];
    const days = new Set<string>();
    group.forEach((p, i) => {
      for (const e of p.events) {
        const key = `${p.shopId} ${p.clientId} ${e.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        shopIds.push(p.shopId);
        clientIds.push(p.clientId);
        eventIds.push(e.id);
        names.push(e.name);
        customerIds.push(e.customerId === null ? null : String(e.customerId));
        productIds.push(e.productId === null ? null : String(e.productId));
        variantIds.push(e.variantId === null ? null : String(e.variantId));
        products.push(`{${e.products.join(",")}}`);
        checkouts.push(e.checkout);
        recs.push(e.rec);
        ats.push(e.at.getTime());
        receivedAts.push(p.receivedAt.getTime());
        requests.push(i);
        days.add(utcDay(e.at));
      }
    });
    await ensurePartitions(this.db, days);
    const result = await this.db.query<{ stored: [number, number][]; linked: number[] }>({ name: "segsync_pixel_insert_v2", text: INSERT_BATCH }, [
      shopIds, clientIds, eventIds, names, customerIds, productIds, variantIds, products, checkouts, recs, ats, receivedAts, requests,
    ]);
    const stored = new Map(result.rows[0].stored);
    const linked = new Set(result.rows[0].linked);
    group.forEach((p, i) => p.resolve({ stored: stored.get(i) ?? 0, linked: linked.has(i) }));
  }
}

const writers = new WeakMap<object, GroupWriter>();
function writer(db: Pick<pg.Pool, "query">): GroupWriter {
  let w = writers.get(db);
  if (!w) {
    w = new GroupWriter(db);
    writers.set(db, w);
  }
  return w;
}

// The events as parallel arrays ($1 shop .. $12 received at, times in epoch ms, $13 the request's
// index in the group). A client takes the customer of its newest event that names one; a client
// that is (or just became) linked marks its customer dirty. The client row is rewritten only when
// something it records changes (a new customer, an earlier first or a later last sighting by more
// than an hour: retention needs days, not seconds), so a busy client does not leave a dead row per
// batch. Clients and marks are written in key order, so concurrent writers (PIXEL_WRITERS > 1)
// cannot deadlock on them.
const INSERT_BATCH = `
  with ev as (
    select u.shop_id, u.client_id, u.event_id, u.name, u.customer_id, u.product_id, u.variant_id, u.products, u.checkout, u.rec,
           'epoch'::timestamptz + u.at_ms * interval '1 millisecond' as at,
           'epoch'::timestamptz + u.received_ms * interval '1 millisecond' as received_at, u.req
      from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[],
                  $10::boolean[], $11::bigint[], $12::bigint[], $13::int[])
        as u(shop_id, client_id, event_id, name, customer_id, product_id, variant_id, products, checkout, rec, at_ms, received_ms, req)),
  ins as (
    insert into pixel_events (shop_id, day, client_id, event_id, name, customer_id, product_id, variant_id, product_ids,
                              checkout_token, from_recommendation, occurred_at, received_at)
    select ev.shop_id, (ev.at at time zone 'UTC')::date, ev.client_id, ev.event_id, ev.name, ev.customer_id, ev.product_id, ev.variant_id,
           ev.products::bigint[], ev.checkout, ev.rec, ev.at, ev.received_at
      from ev
    on conflict do nothing
    returning shop_id, client_id, event_id),
  who as (
    select shop_id, client_id, (array_agg(customer_id order by at desc) filter (where customer_id is not null))[1] as customer_id,
           min(at) as first_at, max(at) as last_at, max(received_at) as received_at, array_agg(distinct req) as reqs
      from ev group by shop_id, client_id),
  cl as (
    insert into browsing_clients as c (shop_id, client_id, customer_id, first_seen_at, last_seen_at, linked_at)
    select shop_id, client_id, customer_id, first_at, last_at, case when customer_id is not null then received_at end
      from who order by shop_id, client_id
    on conflict (shop_id, client_id) do update set
      first_seen_at = least(c.first_seen_at, excluded.first_seen_at),
      last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at),
      customer_id = coalesce(excluded.customer_id, c.customer_id),
      linked_at = case when excluded.customer_id is not null and excluded.customer_id is distinct from c.customer_id then excluded.linked_at else c.linked_at end
    where (excluded.customer_id is not null and excluded.customer_id is distinct from c.customer_id)
       or excluded.first_seen_at < c.first_seen_at
       or excluded.last_seen_at > c.last_seen_at + interval '1 hour'),
  linked as (
    select who.shop_id, coalesce(who.customer_id, c.customer_id) as customer_id, who.reqs
      from who left join browsing_clients c on c.shop_id = who.shop_id and c.client_id = who.client_id
     where coalesce(who.customer_id, c.customer_id) is not null),
  dirty as (
    insert into browsing_dirty (shop_id, customer_id, marked_at)
    select shop_id, customer_id, clock_timestamp() from (select distinct shop_id, customer_id from linked) x order by shop_id, customer_id
    on conflict (shop_id, customer_id) do update set marked_at = excluded.marked_at)
  select coalesce((select json_agg(json_build_array(req, n))
                     from (select ev.req, count(*)::int as n from ins join ev using (shop_id, client_id, event_id) group by ev.req) s), '[]') as stored,
         array(select distinct unnest(reqs) from linked) as linked`;
