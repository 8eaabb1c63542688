// The pixel ingest end to end: refusals that store nothing, and 100,000 events from 5,000 clients
// (some logging in part-way) turned into browsing features and segment memberships that a second,
// independent computation in TypeScript agrees with.
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closeEnginePool, updateSegmentSettings } from "../segments/index.server";
import { action } from "../routes/pixel.events";
import { createShop } from "../../test/factories";
import { batchesOf, generateTraffic, type Traffic } from "../../test/helpers/pixel-traffic";
import { DWELL_CAP_MS, LOOKBACK_DAYS, SESSION_GAP_MS, refreshBrowsing } from "./features.server";
import { forgetShops, ingestPixelBatch, pixelToken, resetRateLimits } from "./ingest.server";
import { forgetPartitions } from "./partitions.server";
import { closeBrowsingPool } from "./pool.server";
import { parseBatch, type WireBatch, type WireEvent } from "./wire";

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
afterAll(async () => {
  await db.end();
  await closeBrowsingPool();
  await closeEnginePool();
});
beforeEach(() => {
  resetRateLimits();
  forgetShops();
  forgetPartitions();
});

const count = async (table: string) => (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0].n;

function post(body: string | Uint8Array) {
  return action({ request: new Request("https://segment-sync.test/pixel/events", { method: "POST", body: body as BodyInit, headers: { "Content-Type": "text/plain" } }), params: {}, context: {} });
}

const batch = (shop: string, events: Partial<WireEvent>[] = [{}], extra: Partial<WireBatch> = {}) =>
  JSON.stringify({
    v: 1,
    shop,
    token: pixelToken(shop),
    clientId: "client-a",
    events: events.map((e, i) => ({ id: `sh-${i}`, name: "page_viewed", at: Date.now() - 1000 + i, ...e })),
    ...extra,
  });

describe("pixel ingest endpoint", () => {
  it("stores a well-formed batch of an installed shop and answers 202", async () => {
    // GIVEN an installed shop
    const shop = await createShop();
    // WHEN its pixel posts two events, twice (a retried request)
    const body = batch(shop.domain, [{}, { name: "product_viewed", productId: "12", variantId: "13", rec: true }]);
    const first = await post(body);
    const again = await post(body);
    // THEN both are accepted, the events stored once
    expect(first.status).toBe(202);
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    expect(await first.json()).toMatchObject({ accepted: 2, stored: 2 });
    expect(await again.json()).toMatchObject({ accepted: 2, stored: 0 });
    const { rows } = await db.query("select name, product_id::text, from_recommendation, customer_id from pixel_events order by event_id");
    expect(rows).toEqual([
      { name: "page_viewed", product_id: null, from_recommendation: false, customer_id: null },
      { name: "product_viewed", product_id: "12", from_recommendation: true, customer_id: null },
    ]);
  });

  it("refuses oversized, malformed, unknown-shop, uninstalled-shop and wrong-token batches, storing nothing", async () => {
    const shop = await createShop();
    const gone = await createShop();
    await db.query("update shops set install_state = 'uninstalled' where id = $1", [gone.id]);
    const many = Array.from({ length: 101 }, () => ({}));
    const cases: Array<[string, string | Uint8Array, number]> = [
      ["over 64 KB", batch(shop.domain, [{}], { pad: "x".repeat(70_000) } as Partial<WireBatch>), 413],
      ["over 100 events", batch(shop.domain, many), 413],
      ["a raw 1 MB body", new Uint8Array(1024 * 1024), 413],
      ["not JSON", "{oops", 400],
      ["an unknown event", batch(shop.domain, [{ name: "customer_email_seen" as WireEvent["name"] }]), 400],
      ["a non-numeric product id", batch(shop.domain, [{ productId: "gid://x" }]), 400],
      ["a field we do not take (an email)", batch(shop.domain, [{ email: "a@b.c" } as Partial<WireEvent>]), 400],
      ["no events", batch(shop.domain, []), 400],
      ["an unknown shop", batch("nobody-here.myshopify.com"), 404],
      ["an uninstalled shop", batch(gone.domain), 404],
      ["another shop's token", batch(shop.domain, [{}], { token: pixelToken(gone.domain) }), 401],
    ];
    for (const [what, body, status] of cases) {
      // WHEN the batch is posted THEN it is refused with a clear error
      const res = await post(body);
      expect(res.status, what).toBe(status);
      expect((await res.json()).error, what).toEqual(expect.any(String));
    }
    // AND nothing at all was stored
    expect(await count("pixel_events")).toBe(0);
    expect(await count("browsing_clients")).toBe(0);
    expect(await count("browsing_dirty")).toBe(0);
  });

  it("rate-limits a client that floods, and drops events from a wrong clock", async () => {
    // GIVEN a stopped clock, so that no tokens refill however slow the machine
    resetRateLimits(() => 1_800_000_000_000);
    const shop = await createShop();
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: `f-${i}` }));
    const statuses: number[] = [];
    for (let k = 0; k < 8; k++) {
      statuses.push((await post(batch(shop.domain, hundred.map((e) => ({ ...e, id: `${e.id}-${k}` }))))).status);
    }
    // 600 events at once: six batches pass, then 429 with Retry-After
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 429, 429]);
    const res = await post(batch(shop.domain, [{ at: Date.now() - 10 * 86400_000 }], { clientId: "client-b" }));
    expect(await res.json()).toMatchObject({ accepted: 0, dropped: 1 });
    expect(await count("pixel_events")).toBe(600);
  });

  it("concurrent batches written together: a retry counted once, two clients of one customer marked once", async () => {
    // GIVEN an installed shop
    const shop = await createShop();
    const login = (clientId: string, id: string) => batch(shop.domain, [{ id }, { id: `${id}-login`, customerId: "77" }], { clientId });
    const retried = batch(shop.domain, [{ id: "r-1" }, { id: "r-2" }], { clientId: "client-r" });
    // WHEN batches arrive at once (those behind the first write go in one statement): a batch and
    // its retry, and two clients logging in as the same customer
    const answers = await Promise.all([post(batch(shop.domain, [{ id: "first" }])), post(retried), post(retried), post(login("client-x", "x")), post(login("client-y", "y"))]);
    // THEN every batch is accepted, the retried events are stored and counted once
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ stored: number }>));
    expect(bodies[1].stored + bodies[2].stored).toBe(2);
    expect(bodies.map((b) => b.stored)).toEqual([1, bodies[1].stored, bodies[2].stored, 2, 2]);
    expect(await count("pixel_events")).toBe(7);
    // AND both clients are linked to the customer, who is marked for a refresh once
    const { rows } = await db.query("select client_id, customer_id::text from browsing_clients where customer_id is not null order by client_id");
    expect(rows).toEqual([{ client_id: "client-x", customer_id: "77" }, { client_id: "client-y", customer_id: "77" }]);
    expect((await db.query("select customer_id::text from browsing_dirty")).rows).toEqual([{ customer_id: "77" }]);
  });
});

// ---------------------------------------------------------------------------------------------
// The second computation: features and memberships straight from the generated events.

interface Expected {
  page_views_7d: number;
  page_views_30d: number;
  sessions_7d: number;
  sessions_30d: number;
  product_views_30d: number;
  product_dwell_seconds_30d: number;
  cart_adds_30d: number;
  cart_adds_without_order_30d: number;
  rec_clicks_30d: number;
  rec_products_not_bought_30d: number;
  checkouts_started_7d: number;
  abandoned_checkouts_7d: number;
  last_abandoned_checkout_at: number | null;
}

const DAY = 86400_000;
const localDay = (ms: number, tz: string) => new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(new Date(ms));
const dayNumber = (isoDay: string) => Date.parse(`${isoDay}T00:00:00Z`) / DAY;

function expectedFeatures(traffic: Traffic, now: number): Map<bigint, Expected> {
  const lookbackStart = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`) - (LOOKBACK_DAYS + 1) * DAY;
  const in7 = (t: number) => t > now - 7 * DAY;
  const in30 = (t: number) => t > now - 30 * DAY;
  const byCustomer = new Map<bigint, WireEvent[][]>();
  for (const c of traffic.clients) {
    if (c.customerId === null) continue;
    const list = byCustomer.get(c.customerId) ?? [];
    list.push(c.events.filter((e) => e.at >= lookbackStart && e.at <= now).sort((a, b) => a.at - b.at));
    byCustomer.set(c.customerId, list);
  }
  const out = new Map<bigint, Expected>();
  for (const [customer, clients] of byCustomer) {
    const all = clients.flat();
    const orders = traffic.orders.filter((o) => o.customerId === customer);
    const completions = all.filter((e) => e.name === "checkout_completed").map((e) => e.at);
    const lastPurchase = Math.max(-Infinity, ...orders.map((o) => o.processedAt.getTime()), ...completions);
    const bought = new Set([...orders.flatMap((o) => o.productIds.map(String)), ...all.filter((e) => e.name === "checkout_completed").flatMap((e) => e.products ?? [])]);
    const x: Expected = {
      page_views_7d: 0, page_views_30d: 0, sessions_7d: 0, sessions_30d: 0, product_views_30d: 0, product_dwell_seconds_30d: 0,
      cart_adds_30d: 0, cart_adds_without_order_30d: 0, rec_clicks_30d: 0, rec_products_not_bought_30d: 0, checkouts_started_7d: 0,
      abandoned_checkouts_7d: 0, last_abandoned_checkout_at: null,
    };
    let dwellMs = 0;
    const recNotBought = new Set<string>();
    for (const events of clients) {
      events.forEach((e, i) => {
        const prev = events[i - 1];
        const next = events[i + 1];
        const starts = !prev || e.at - prev.at > SESSION_GAP_MS;
        if (starts && in7(e.at)) x.sessions_7d++;
        if (starts && in30(e.at)) x.sessions_30d++;
        if (e.name === "page_viewed") {
          if (in7(e.at)) x.page_views_7d++;
          if (in30(e.at)) x.page_views_30d++;
        }
        if (e.name === "product_viewed" && in30(e.at)) {
          x.product_views_30d++;
          if (next) dwellMs += Math.min(next.at - e.at, DWELL_CAP_MS);
          if (e.rec) {
            x.rec_clicks_30d++;
            if (!bought.has(e.productId!)) recNotBought.add(e.productId!);
          }
        }
        if (e.name === "product_added_to_cart" && in30(e.at)) {
          x.cart_adds_30d++;
          if (e.at > lastPurchase) x.cart_adds_without_order_30d++;
        }
        if (e.name === "checkout_started") {
          if (in7(e.at)) x.checkouts_started_7d++;
          if (in7(e.at) && e.at > lastPurchase) x.abandoned_checkouts_7d++;
          if (in30(e.at) && e.at > lastPurchase) x.last_abandoned_checkout_at = Math.max(x.last_abandoned_checkout_at ?? 0, e.at);
        }
      });
    }
    x.product_dwell_seconds_30d = Math.round(dwellMs / 1000);
    x.rec_products_not_bought_30d = recNotBought.size;
    out.set(customer, x);
  }
  return out;
}

describe("browsing features and segments from 100,000 events", () => {
  it("match a second computation, including clients that logged in part-way", { timeout: 600_000 }, async () => {
    // GIVEN a shop (New York time) with 5,000 pixel clients sending 100,000 events over 35 days;
    // 60 % log in part-way (their earlier anonymous events belong to the customer too), some
    // customers share two devices, a fifth have orders (some with products they clicked)
    const now = new Date("2026-11-20T15:30:00Z");
    const shop = await createShop({ timezone: "America/New_York" });
    const traffic = generateTraffic({ clients: 5000, events: 100_000, days: 35, end: now, seed: 7 });
    expect(traffic.clients.reduce((n, c) => n + c.events.length, 0)).toBe(100_000);
    await db.query("insert into customers (shop_id, id, created_at, updated_at) select $1, id, $2, $2 from unnest($3::bigint[]) id", [
      shop.id,
      now,
      traffic.customers.map(String),
    ]);
    await db.query(
      `insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, currency, total_price, item_count)
       select $1, id, customer_id, at, at, at, 'USD', 20, 2 from unnest($2::bigint[], $3::bigint[], $4::timestamptz[]) u(id, customer_id, at)`,
      [shop.id, traffic.orders.map((o) => String(o.id)), traffic.orders.map((o) => String(o.customerId)), traffic.orders.map((o) => o.processedAt)],
    );
    const lines = traffic.orders.flatMap((o) => o.productIds.map((p) => [String(o.id), String(p)]));
    await db.query(
      `insert into line_items (shop_id, id, order_id, product_id, quantity, price)
       select $1, 90000000 + n, order_id, product_id, 1, 10 from unnest($2::bigint[], $3::bigint[]) with ordinality u(order_id, product_id, n)`,
      [shop.id, lines.map((l) => l[0]), lines.map((l) => l[1])],
    );
    // AND the browsing segments enabled with the shop's own thresholds
    await updateSegmentSettings(shop.id, "cart-abandoner", { enabled: true, settings: { withinDays: 5 } });
    await updateSegmentSettings(shop.id, "browse-no-buy", { enabled: true, settings: { minProducts: 2 } });
    await updateSegmentSettings(shop.id, "deep-browser", { enabled: true, settings: { minPages: 12 } });
    await updateSegmentSettings(shop.id, "long-dweller", { enabled: true, settings: { minMinutes: 30 } });

    // WHEN every client's batches arrive (each as the pixel sends it, shortly after its last event), 32 at a time
    const token = pixelToken(shop.domain);
    const batches = traffic.clients.flatMap((c) => batchesOf(c, shop.domain, token, 20));
    let next = 0;
    let stored = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < batches.length) {
          const b = batches[next++];
          const parsed = parseBatch(JSON.stringify(b));
          if (!parsed.ok) throw new Error(parsed.error);
          const res = await ingestPixelBatch(parsed.batch, { now: new Date(b.events[b.events.length - 1].at + 2000) });
          expect(res.status).toBe(202);
          stored += res.body.stored!;
        }
      }),
    );
    // AND the browsing refresh runs
    await refreshBrowsing(shop.id, { now });

    // THEN every event is stored once, in day partitions
    expect(stored).toBe(100_000);
    expect(await count("pixel_events")).toBe(100_000);
    const parts = await db.query<{ n: number }>("select count(*)::int as n from pg_inherits where inhparent = 'pixel_events'::regclass");
    expect(parts.rows[0].n).toBeGreaterThanOrEqual(35);
    // AND each client that logged in is linked to its customer
    const links = await db.query<{ client_id: string; customer_id: string | null }>("select client_id, customer_id::text from browsing_clients");
    const linkOf = new Map(links.rows.map((r) => [r.client_id, r.customer_id]));
    for (const c of traffic.clients) expect(linkOf.get(c.clientId) ?? null).toBe(c.customerId === null ? null : String(c.customerId));
    expect(await count("browsing_dirty")).toBe(0);

    // AND the stored features equal the second computation for every customer
    const expected = expectedFeatures(traffic, now.getTime());
    const { rows } = await db.query<Record<string, unknown>>("select * from browsing_features where shop_id = $1", [shop.id]);
    expect(rows.length).toBe(expected.size);
    const loggedInLate = traffic.clients.filter((c) => c.customerId !== null && c.loginAt > 0).length;
    expect(loggedInLate).toBeGreaterThan(1000);
    for (const row of rows) {
      const want = expected.get(BigInt(row.customer_id as string))!;
      const got = Object.fromEntries(Object.keys(want).map((k) => [k, row[k] instanceof Date ? (row[k] as Date).getTime() : row[k]]));
      expect(got, `customer ${row.customer_id}`).toEqual(want);
    }

    // AND the memberships (and their change log) are what the thresholds say
    const tz = "America/New_York";
    const today = dayNumber(localDay(now.getTime(), tz));
    const lastOrder = new Map<bigint, number>();
    for (const o of traffic.orders) lastOrder.set(o.customerId, Math.max(lastOrder.get(o.customerId) ?? 0, o.processedAt.getTime()));
    const want = new Set<string>();
    for (const [customer, x] of expected) {
      if (x.page_views_30d >= 12) want.add(`deep-browser ${customer}`);
      if (Math.round((x.product_dwell_seconds_30d / 60) * 100) / 100 >= 30) want.add(`long-dweller ${customer}`);
      if (x.rec_products_not_bought_30d >= 2) want.add(`browse-no-buy ${customer}`);
      const abandoned = x.last_abandoned_checkout_at;
      if (abandoned !== null && abandoned > (lastOrder.get(customer) ?? -Infinity) && today - dayNumber(localDay(abandoned, tz)) <= 5) {
        want.add(`cart-abandoner ${customer}`);
      }
    }
    const keys = ["cart-abandoner", "browse-no-buy", "deep-browser", "long-dweller"];
    const members = await db.query<{ k: string }>("select segment_key || ' ' || customer_id as k from memberships where shop_id = $1 and segment_key = any($2)", [shop.id, keys]);
    const got = new Set(members.rows.map((r) => r.k));
    for (const key of keys) expect([...want].filter((k) => k.startsWith(`${key} `)).length, key).toBeGreaterThan(20);
    expect([...got].sort()).toEqual([...want].sort());
    const entered = await db.query<{ n: number }>("select count(*)::int as n from membership_changes where shop_id = $1 and segment_key = any($2) and change = 'entered'", [shop.id, keys]);
    expect(entered.rows[0].n).toBe(want.size);
  });
});
