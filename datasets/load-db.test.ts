import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStoreIntoDatabase, toUnits } from "../bench/lib/load-db.ts";
import { OPT_OUT_TAG, generateStore } from "./generate.ts";
import type { SeedCustomer, SeedOrder, SeedStore } from "./types.ts";

const NOW = new Date("2026-11-01T12:00:00Z");
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db.end();
});

/** What the database should hold, tallied from the streams by plain arithmetic in ten-thousandths. */
function tally(store: SeedStore) {
  const t = { customers: 0, optedOut: 0, orders: 0, cancelled: 0, tests: 0, guests: 0, lineItems: 0, refunds: 0, total: 0, refunded: 0, items: 0, lineValue: 0, discounted: 0 };
  for (const c of store.customers() as Iterable<SeedCustomer>) {
    t.customers++;
    if (c.tags.includes(OPT_OUT_TAG)) t.optedOut++;
  }
  for (const o of store.orders() as Iterable<SeedOrder>) {
    t.orders++;
    if (o.cancelledAt) t.cancelled++;
    if (o.test) t.tests++;
    if (o.customerId === null) t.guests++;
    if (o.discountCodes.length) t.discounted++;
    t.total += toUnits(o.totalPrice);
    for (const l of o.lineItems) {
      t.lineItems++;
      t.items += l.quantity;
      t.lineValue += l.quantity * toUnits(l.price);
    }
    for (const r of o.refunds) {
      t.refunds++;
      t.refunded += toUnits(r.amount);
    }
  }
  return t;
}

const units = (v: string | null) => (v === null ? 0 : toUnits(v));

describe("loadStoreIntoDatabase", () => {
  it("GIVEN a generated 2,000-customer store WHEN loaded THEN row counts and sums in Postgres equal the generator's", async () => {
    const store = generateStore({ customers: 2000, seed: 5, now: NOW, domain: "load-test.myshopify.com" });
    const expected = tally(store);
    const phases = new Set<string>();

    const result = await loadStoreIntoDatabase(process.env.DATABASE_URL!, null, store, { onProgress: (p) => phases.add(p.phase), progressEvery: 1000 });

    expect(result).toMatchObject({ customers: expected.customers, orders: expected.orders, lineItems: expected.lineItems, refunds: expected.refunds });
    expect(phases).toEqual(new Set(["customers", "orders", "done"]));
    const shop = (await db.query("select id, domain, currency, timezone from shops")).rows;
    expect(shop).toEqual([{ id: result.shopId, domain: "load-test.myshopify.com", currency: "USD", timezone: "America/New_York" }]);
    const { rows: [c] } = await db.query(
      "select count(*)::int as n, count(*) filter (where opted_out)::int as opted_out from customers where shop_id = $1",
      [result.shopId],
    );
    expect(c).toEqual({ n: expected.customers, opted_out: expected.optedOut });
    const { rows: [o] } = await db.query(
      `select count(*)::int as n, count(cancelled_at)::int as cancelled, count(*) filter (where test)::int as tests,
              count(*) filter (where customer_id is null)::int as guests, count(*) filter (where cardinality(discount_codes) > 0)::int as discounted,
              sum(total_price)::text as total, sum(refunded_amount)::text as refunded, sum(item_count)::int as items
         from orders where shop_id = $1`,
      [result.shopId],
    );
    expect({ ...o, total: units(o.total), refunded: units(o.refunded) }).toEqual({
      n: expected.orders, cancelled: expected.cancelled, tests: expected.tests, guests: expected.guests, discounted: expected.discounted,
      total: expected.total, refunded: expected.refunded, items: expected.items,
    });
    const { rows: [l] } = await db.query(
      "select count(*)::int as n, sum(quantity * price)::text as value from line_items where shop_id = $1",
      [result.shopId],
    );
    expect({ n: l.n, value: units(l.value) }).toEqual({ n: expected.lineItems, value: expected.lineValue });
    const { rows: [r] } = await db.query("select count(*)::int as n, sum(amount)::text as amount from refunds where shop_id = $1", [result.shopId]);
    expect({ n: r.n, amount: units(r.amount) }).toEqual({ n: expected.refunds, amount: expected.refunded });
    // Every order's refunded_amount is the sum of its own refunds; subtotal minus discounts is the total.
    const { rows: [bad] } = await db.query(
      `select count(*)::int as n from orders o
        where o.shop_id = $1 and (o.refunded_amount <> coalesce((select sum(amount) from refunds r where r.shop_id = o.shop_id and r.order_id = o.id), 0)
           or o.total_price <> o.subtotal_price - o.total_discounts
           or o.item_count <> (select sum(quantity) from line_items li where li.shop_id = o.shop_id and li.order_id = o.id))`,
      [result.shopId],
    );
    expect(bad.n).toBe(0);
  });

  it("GIVEN a store already loaded WHEN loaded again into the same shop THEN it fails and nothing half-loaded stays; indexes dropped for the load are back", async () => {
    const store = generateStore({ customers: 200, seed: 9, now: NOW });
    const first = await loadStoreIntoDatabase(process.env.DATABASE_URL!, 77, store);
    expect(first.shopId).toBe(77);
    const indexes = async () => (await db.query("select indexname from pg_indexes where tablename in ('customers','orders','line_items','refunds') order by 1")).rows;
    const before = await indexes();

    await expect(loadStoreIntoDatabase(process.env.DATABASE_URL!, 77, store, { dropIndexes: true })).rejects.toThrow(/duplicate key/);

    const { rows: [n] } = await db.query("select (select count(*) from orders)::int as orders, (select count(*) from line_items)::int as lines");
    expect(n).toEqual({ orders: first.orders, lines: first.lineItems });
    expect(await indexes()).toEqual(before);
  });

  it("GIVEN awkward values (3 decimals, negatives, zeros, big round numbers, quoted codes, unicode) WHEN loaded THEN Postgres holds them exactly", async () => {
    const at = new Date("2011-12-09T12:50:00.123Z");
    const prices = ["0.001", "-11062.06", "10000.00", "0.00", "0.05", "123456789.5"];
    const store: SeedStore = {
      domain: "awkward.myshopify.com",
      currency: "GBP",
      timezone: "Europe/London",
      customers: () => [{ id: 1n, createdAt: at, updatedAt: at, state: "enabled", tags: ["seg:opt-out"] }],
      orders: () => [{
        id: 10n, customerId: null, name: "#1", createdAt: at, processedAt: at, updatedAt: at, cancelledAt: at, cancelReason: "other",
        currency: "GBP", subtotalPrice: "0.00", totalDiscounts: "0.00", totalPrice: "-0.001", discountCodes: ['SAY "HI", \\ ÑÓ', "B"],
        financialStatus: "voided", test: true, refunds: [{ id: 30n, createdAt: at, amount: "0.10", lineItems: [] }],
        lineItems: prices.map((price, i) => ({ id: BigInt(20 + i), productId: null, variantId: null, title: "t", productType: "Cafés & Crème", vendor: "Tab\there", sku: "s", quantity: 2, price })),
      }],
    };

    const { shopId } = await loadStoreIntoDatabase(process.env.DATABASE_URL!, null, store);

    const { rows: lines } = await db.query("select price::text, product_type, vendor, product_id from line_items where shop_id = $1 order by id", [shopId]);
    expect(lines.map((l) => l.price)).toEqual(["0.0010", "-11062.0600", "10000.0000", "0.0000", "0.0500", "123456789.5000"]);
    expect(lines[0]).toMatchObject({ product_type: "Cafés & Crème", vendor: "Tab\there", product_id: null });
    const { rows: [o] } = await db.query("select total_price::text, refunded_amount::text, discount_codes, test, item_count, processed_at, cancelled_at, customer_id from orders where shop_id = $1", [shopId]);
    expect(o).toEqual({ total_price: "-0.0010", refunded_amount: "0.1000", discount_codes: ['SAY "HI", \\ ÑÓ', "B"], test: true, item_count: 12, processed_at: at, cancelled_at: at, customer_id: null });
    const { rows: [c] } = await db.query("select opted_out, created_at from customers where shop_id = $1", [shopId]);
    expect(c).toEqual({ opted_out: true, created_at: at });
  });
});
