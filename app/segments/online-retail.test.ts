// The UCI Online Retail history (a real UK shop, 2010-2011, shifted to end at NOW) loaded as a store:
// the engine's memberships equal a second, independent computation written here in plain
// TypeScript straight from SEGMENTS.md (no SQL, no rule compiler): one pass over the same store.
import { afterAll, describe, expect, it } from "vitest";
import { loadStoreIntoDatabase } from "../../bench/lib/load-db";
import { readOnlineRetail } from "../../datasets/online-retail";
import type { SeedOrder } from "../../datasets/types";
import prisma from "../db.server";
import { rfmGroupOf } from "./catalogue";
import { closeEnginePool, recomputeShop } from "./index.server";

const NOW = new Date("2026-06-15T12:00:00Z");

afterAll(async () => {
  await closeEnginePool();
});

/** Money to integer ten-thousandths (exact). */
function units(money: string): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(money);
  if (!m) throw new Error(`bad money ${money}`);
  const v = Number(m[2]) * 10_000 + Number((m[3] ?? "").padEnd(4, "0").slice(0, 4));
  return m[1] ? -v : v;
}

const localDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit" });
const dayNumber = (d: Date) => Date.parse(`${localDay.format(d)}T00:00:00Z`) / 86400_000;

/** percentile_disc: the first value whose cumulative share reaches p. */
function percentileDisc(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** NTILE(5) over `rows` in the given order: bucket sizes differ by at most one, larger first. */
function ntile5<T>(rows: T[]): Map<T, number> {
  const out = new Map<T, number>();
  const n = rows.length;
  const base = Math.floor(n / 5);
  const extra = n % 5;
  let i = 0;
  for (let t = 1; t <= 5; t++) {
    const size = base + (t <= extra ? 1 : 0);
    for (let k = 0; k < size; k++) out.set(rows[i++], t);
  }
  return out;
}

interface C {
  id: bigint;
  orders: number;
  w: Record<number, number>;
  spend: number;
  spend365: number;
  firstAt: number;
  firstItems: number;
  lastAt: number;
  types: Map<string, number>;
  vendors: Map<string, number>;
  items: number;
}

async function independentSegments(today: number) {
  const store = readOnlineRetail({ now: NOW });
  const customers = new Map<bigint, C>();
  for await (const c of store.customers() as AsyncIterable<{ id: bigint }>) {
    customers.set(c.id, { id: c.id, orders: 0, w: { 30: 0, 90: 0, 182: 0, 365: 0 }, spend: 0, spend365: 0, firstAt: Infinity, firstItems: 0, lastAt: -Infinity, types: new Map(), vendors: new Map(), items: 0 });
  }
  let shopSpend = 0;
  let shopOrders = 0;
  for await (const o of store.orders() as AsyncIterable<SeedOrder>) {
    if (o.cancelledAt || o.test) continue;
    const net = units(o.totalPrice) - o.refunds.reduce((s, r) => s + units(r.amount), 0);
    shopSpend += net;
    shopOrders++;
    const c = o.customerId === null ? undefined : customers.get(o.customerId);
    if (!c) continue;
    const ago = Math.max(0, today - dayNumber(o.processedAt));
    const at = o.processedAt.getTime();
    const itemCount = o.lineItems.reduce((s, l) => s + l.quantity, 0);
    c.orders++;
    for (const n of [30, 90, 182, 365]) if (ago <= n) c.w[n]++;
    c.spend += net;
    if (ago <= 365) c.spend365 += net;
    if (at < c.firstAt || (at === c.firstAt && itemCount < c.firstItems)) {
      c.firstAt = at;
      c.firstItems = itemCount;
    }
    c.lastAt = Math.max(c.lastAt, at);
    for (const l of o.lineItems) {
      c.items += l.quantity;
      if (l.productType) c.types.set(l.productType, (c.types.get(l.productType) ?? 0) + l.quantity);
      if (l.vendor) c.vendors.set(l.vendor, (c.vendors.get(l.vendor) ?? 0) + l.quantity);
    }
  }
  const round = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
  const shopAov = round(shopSpend / shopOrders);
  const buyers = [...customers.values()].filter((c) => c.orders > 0);
  const sinceLast = (c: C) => today - dayNumber(new Date(c.lastAt));
  const sinceFirst = (c: C) => today - dayNumber(new Date(c.firstAt));
  const vipCut = percentileDisc(buyers.filter((c) => c.w[365] >= 1).map((c) => c.spend365), 1 - 0.1);
  const newCut = percentileDisc(buyers.filter((c) => sinceFirst(c) <= 90).map((c) => c.spend), 1 - 0.25);
  const itemsCut = percentileDisc(buyers.map((c) => c.firstItems), 0.75);

  // RFM: NTILE with the customer id as tie-breaker gives cut points; scores count the cuts reached.
  const byId = (a: C, b: C) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const cutsOf = (order: (a: C, b: C) => number, value: (c: C) => number, pick: "max" | "min") => {
    const tiles = ntile5([...buyers].sort((a, b) => order(a, b) || byId(a, b)));
    const cuts: number[] = [];
    for (let t = 2; t <= 5; t++) {
      const vals = buyers.filter((c) => tiles.get(c) === t).map(value);
      if (vals.length) cuts.push(pick === "max" ? Math.max(...vals) : Math.min(...vals));
    }
    return cuts;
  };
  // F and M: a value shared across a tile boundary stays in the lower tile; the cut is the next larger value.
  const tiesDownCutsOf = (value: (c: C) => number) => {
    const tiles = ntile5([...buyers].sort((a, b) => value(a) - value(b) || byId(a, b)));
    const cuts: number[] = [];
    for (let t = 2; t <= 5; t++) {
      if (!buyers.some((c) => tiles.get(c) === t)) continue;
      const lowerMax = Math.max(...buyers.filter((c) => tiles.get(c) === t - 1).map(value));
      const above = buyers.map(value).filter((v) => v > lowerMax);
      cuts.push(above.length ? Math.min(...above) : Infinity);
    }
    return cuts;
  };
  const rCuts = cutsOf((a, b) => sinceLast(b) - sinceLast(a), sinceLast, "max");
  const fCuts = tiesDownCutsOf((c) => c.orders);
  const mCuts = tiesDownCutsOf((c) => c.spend);

  const top = (m: Map<string, number>) => Math.max(0, ...m.values());
  const expected = new Map<string, bigint[]>();
  const add = (key: string, c: C) => expected.set(key, [...(expected.get(key) ?? []), c.id]);
  for (const c of customers.values()) {
    if (c.orders === 0) continue;
    const dl = sinceLast(c);
    const df = sinceFirst(c);
    const aov = round(c.spend / c.orders);
    const lost = dl > 180;
    if (c.w[365] >= 3 && vipCut !== null && c.spend365 > vipCut) add("vip", c);
    if (c.orders === 1 && dl > 30) add("one-time", c);
    if (lost) add("lost", c);
    if (aov >= shopAov) add("big-spender", c);
    if (c.w[30] >= 2) add("frequent-30d", c);
    if (c.w[182] >= 5) add("frequent-6m", c);
    if (dl >= 91 && dl <= 182) add("lapsed-3-6m", c);
    const t = top(c.types);
    const v = top(c.vendors);
    if ((t >= 3 && 5 * t >= 3 * c.items) || (v >= 3 && 5 * v >= 3 * c.items)) add("category-loyal", c);
    if (df <= 90 && (c.orders >= 2 || (newCut !== null && c.spend > newCut))) add("new-high-potential", c);
    if (df >= 30 && df <= 90 && c.orders === 1) add("new-occasional", c);
    if (itemsCut !== null && c.firstItems >= itemsCut) add("big-first-order", c);
    if (lost && c.orders === 1) add("churn-quick", c);
    if (lost && c.orders >= 3) add("churn-late", c);
    const r = 1 + rCuts.filter((x) => dl <= x).length;
    const f = 1 + fCuts.filter((x) => c.orders >= x).length;
    const m = 1 + mCuts.filter((x) => c.spend >= x).length;
    add(`rfm-${rfmGroupOf(r, f, m)}`, c);
  }
  return { expected, shopAov, customers: customers.size, buyers: buyers.length };
}

describe("the UCI Online Retail history", () => {
  it("gives the memberships an independent TypeScript computation gives", async () => {
    // GIVEN the UCI history loaded as a store (Europe/London), last invoice at NOW
    const loaded = await loadStoreIntoDatabase(process.env.DATABASE_URL!, null, readOnlineRetail({ now: NOW }));

    // WHEN the engine computes the shop
    const result = await recomputeShop(loaded.shopId, { now: NOW });

    // THEN every segment holds exactly the customers the second computation puts in it
    const today = dayNumber(NOW);
    const independent = await independentSegments(today);
    expect(result.customers).toBe(independent.customers);
    const rows = await prisma.membership.findMany({ where: { shopId: loaded.shopId }, select: { segmentKey: true, customerId: true } });
    const actual = new Map<string, bigint[]>();
    for (const r of rows) actual.set(r.segmentKey, [...(actual.get(r.segmentKey) ?? []), r.customerId]);
    const sorted = (m: Map<string, bigint[]>) =>
      Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, ids]) => [k, [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))]));
    const counts = (m: Map<string, bigint[]>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, ids]) => [k, ids.length]));
    expect(counts(actual)).toEqual(counts(independent.expected));
    expect(sorted(actual)).toEqual(sorted(independent.expected));
    // AND the headline segments are not trivially empty on a real shop's history
    for (const key of ["vip", "one-time", "lost", "big-spender", "rfm-champions"]) expect(actual.get(key)?.length ?? 0).toBeGreaterThan(10);
    const stats = await prisma.segmentShopStats.findUniqueOrThrow({ where: { shopId: loaded.shopId } });
    expect(Math.round(Number(stats.shopAov) * 10_000)).toBe(independent.shopAov);
  }, 300_000);
});
