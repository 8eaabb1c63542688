// The two paths agree: random sequences of order, refund, cancel, opt-out and deletion events,
// each followed by the incremental recompute of the customer it touched, end in exactly the state
// one full recompute produces (features, segments, memberships, daily sizes), and the full
// recompute then finds nothing to change.
import fc from "fast-check";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createShop } from "../../test/factories";
import { closeEnginePool, recomputeCustomers, recomputeShop } from "./index.server";

// 2026-03-08 is the day New York moves to daylight time: local days are 23 hours long around here.
const NOW = new Date("2026-03-08T12:00:00Z");
const CUSTOMERS = 5;

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
afterAll(async () => {
  await db.end();
  await closeEnginePool();
});

const days = fc.oneof(fc.integer({ min: 0, max: 420 }), fc.constantFrom(0, 1, 29, 30, 31, 90, 91, 180, 181, 182, 183, 365, 366));
const orderEvent = fc.record({
  kind: fc.constant("order" as const),
  c: fc.integer({ min: 0, max: CUSTOMERS - 1 }),
  days,
  minutes: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  cents: fc.integer({ min: 1, max: 40_000 }),
  discount: fc.boolean(),
  test: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  items: fc.array(fc.record({ type: fc.constantFrom("Shoes", "Hats", ""), vendor: fc.constantFrom("Acme", "Zed"), q: fc.integer({ min: 1, max: 4 }) }), { maxLength: 3 }),
});
const event = fc.oneof(
  { weight: 5, arbitrary: orderEvent },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refund" as const), o: fc.nat(), cents: fc.integer({ min: 1, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), o: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("opt" as const), c: fc.integer({ min: 0, max: CUSTOMERS - 1 }), value: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), c: fc.integer({ min: 0, max: CUSTOMERS - 1 }) }) },
);
type Event = typeof event extends fc.Arbitrary<infer T> ? T : never;
type OrderEvent = typeof orderEvent extends fc.Arbitrary<infer T> ? T : never;

let ids = 1000n;

/** Applies one event to the synced tables as sync would; returns the customer it touched. */
async function apply(shopId: number, orders: { id: bigint; customer: bigint; cents: number; refunded: number }[], customers: bigint[], e: Event): Promise<bigint | null> {
  if (e.kind === "order") return insertOrder(shopId, orders, customers, e);
  if (e.kind === "opt") {
    await db.query("update customers set opted_out = $3 where shop_id = $1 and id = $2", [shopId, customers[e.c], e.value]);
    return customers[e.c];
  }
  if (e.kind === "delete") {
    await db.query("update customers set deleted_at = $3 where shop_id = $1 and id = $2", [shopId, customers[e.c], NOW]);
    return customers[e.c];
  }
  if (orders.length === 0) return null;
  const o = orders[e.o % orders.length];
  if (e.kind === "cancel") {
    await db.query("update orders set cancelled_at = $3 where shop_id = $1 and id = $2", [shopId, o.id, NOW]);
    return o.customer;
  }
  const cents = Math.min(e.cents, o.cents - o.refunded);
  if (cents <= 0) return null;
  o.refunded += cents;
  await db.query("insert into refunds (shop_id, id, order_id, amount, created_at) values ($1, $2, $3, $4, $5)", [shopId, String(++ids), o.id, cents / 100, NOW]);
  await db.query(
    "update orders set refunded_amount = (select sum(amount) from refunds where shop_id = $1 and order_id = $2) where shop_id = $1 and id = $2",
    [shopId, o.id],
  );
  return o.customer;
}

async function insertOrder(shopId: number, orders: { id: bigint; customer: bigint; cents: number; refunded: number }[], customers: bigint[], e: OrderEvent) {
  const id = ++ids;
  const at = new Date(NOW.getTime() - e.days * 86400_000 - e.minutes * 60_000);
  const items = e.items.reduce((n, i) => n + i.q, 0);
  await db.query(
    `insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, currency, total_price, total_discounts, discount_codes, test, item_count)
     values ($1, $2, $3, $4, $4, $4, 'USD', $5, $6, '{}', $7, $8)`,
    [shopId, String(id), customers[e.c], at, e.cents / 100, e.discount ? 1 : 0, e.test, items],
  );
  for (const li of e.items) {
    await db.query("insert into line_items (shop_id, id, order_id, product_type, vendor, quantity, price) values ($1, $2, $3, $4, $5, $6, 1)", [
      shopId,
      String(++ids),
      String(id),
      li.type,
      li.vendor,
      li.q,
    ]);
  }
  orders.push({ id, customer: customers[e.c], cents: e.cents, refunded: 0 });
  return customers[e.c];
}

async function snapshot(shopId: number) {
  const features = await db.query(
    `select customer_id, as_of_day::text, opted_out, orders_count, orders_30d, orders_90d, orders_182d, orders_365d, spend_lifetime, spend_365d, aov,
            first_order_at, last_order_at, first_order_day::text, last_order_day::text, first_order_items, discounted_orders, refunded_orders,
            spend_day, total_items, top_product_type, top_product_type_items, top_vendor, top_vendor_items, r_score, f_score, m_score, rfm_group,
            segments
       from customer_features where shop_id = $1 order by customer_id`,
    [shopId],
  );
  const memberships = await db.query("select segment_key, customer_id, detail from memberships where shop_id = $1 order by 1, 2", [shopId]);
  const sizes = await db.query("select segment_key, size from segment_daily_stats where shop_id = $1 and size > 0 order by 1", [shopId]);
  return { features: features.rows, memberships: memberships.rows, sizes: sizes.rows };
}

describe("incremental and full recompute agree", () => {
  it("for random sequences of order, refund, cancel, opt-out and delete events", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(orderEvent, { minLength: 3, maxLength: 12 }), fc.array(event, { minLength: 1, maxLength: 25 }), async (seed, events) => {
        runs++;
        // GIVEN a shop in New York with a seeded history and a first full recompute (statistics S0)
        const shop = await createShop({ timezone: "America/New_York" });
        const customers = Array.from({ length: CUSTOMERS }, () => ++ids);
        for (const c of customers) await db.query("insert into customers (shop_id, id) values ($1, $2)", [shop.id, String(c)]);
        const orders: { id: bigint; customer: bigint; cents: number; refunded: number }[] = [];
        for (const e of seed) await insertOrder(shop.id, orders, customers, e);
        await recomputeShop(shop.id, { now: NOW });

        // WHEN each event is applied and its customer recomputed incrementally (twice: idempotent)
        for (const e of events) {
          const touched = await apply(shop.id, orders, customers, e);
          if (touched === null) continue;
          await recomputeCustomers(shop.id, [touched], { now: NOW });
          expect((await recomputeCustomers(shop.id, [touched], { now: NOW })).changes).toBe(0);
        }
        const incremental = await snapshot(shop.id);

        // THEN one full recompute (same statistics, roll-ups as kept at ingest) changes nothing and
        // produces the same state, and so does one that rebuilds the roll-ups from every line item
        const full = await recomputeShop(shop.id, { now: NOW, keepStatistics: true });
        expect(full.changes).toBe(0);
        expect(await snapshot(shop.id)).toEqual(incremental);
        const rebuilt = await recomputeShop(shop.id, { now: NOW, keepStatistics: true, rebuildRollups: true });
        expect(rebuilt.changes).toBe(0);
        expect(await snapshot(shop.id)).toEqual(incremental);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    expect(runs).toBeGreaterThan(0);
  });
});
