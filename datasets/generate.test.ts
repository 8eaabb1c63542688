import { describe, expect, it } from "vitest";
import { PRODUCT_TYPES, VENDORS, CATALOGUE } from "./catalogue.ts";
import { generateStore } from "./generate.ts";
import type { SeedCustomer, SeedOrder } from "./types.ts";

const NOW = new Date("2026-11-01T12:00:00Z");
const DAY = 86_400_000;

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

const cents = (money: string) => {
  expect(money).toMatch(/^-?\d+\.\d{2}$/);
  return Math.round(Number(money) * 100);
};

describe("generateStore", () => {
  it("GIVEN the same seed WHEN generated twice THEN the first records are identical; another seed differs", () => {
    const a = generateStore({ customers: 500, seed: 42, now: NOW });
    const b = generateStore({ customers: 500, seed: 42, now: NOW });
    const c = generateStore({ customers: 500, seed: 43, now: NOW });
    expect(take(a.customers() as Iterable<SeedCustomer>, 200)).toEqual(take(b.customers() as Iterable<SeedCustomer>, 200));
    const ordersA = take(a.orders() as Iterable<SeedOrder>, 300);
    expect(ordersA).toEqual(take(b.orders() as Iterable<SeedOrder>, 300));
    expect(ordersA).not.toEqual(take(c.orders() as Iterable<SeedOrder>, 300));
    // A stream read twice gives the same records.
    expect(take(a.orders() as Iterable<SeedOrder>, 300)).toEqual(ordersA);
  });

  it("GIVEN a 3,000-customer store WHEN its streams are read THEN they are internally consistent", () => {
    const store = generateStore({ customers: 3000, seed: 7, now: NOW });
    const customers = [...(store.customers() as Iterable<SeedCustomer>)];
    const customerIds = new Set(customers.map((c) => c.id));
    expect(customerIds.size).toBe(3000);
    for (const c of customers) {
      expect(c.createdAt.getTime()).toBeLessThan(NOW.getTime());
      expect(c.updatedAt.getTime()).toBeGreaterThanOrEqual(c.createdAt.getTime());
      expect(c.updatedAt.getTime()).toBeLessThan(NOW.getTime());
    }
    const orderIds = new Set<bigint>();
    const lineIds = new Set<bigint>();
    const refundIds = new Set<bigint>();
    const firstOrderAt = new Map<bigint, number>();
    let previous = -Infinity;
    let orders = 0;
    let guests = 0;
    let cancelled = 0;
    let tests = 0;
    let refunded = 0;
    for (const o of store.orders() as Iterable<SeedOrder>) {
      orders++;
      const at = o.processedAt.getTime();
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
      expect(at).toBeLessThan(NOW.getTime());
      expect(o.updatedAt.getTime()).toBeGreaterThanOrEqual(at);
      expect(o.updatedAt.getTime()).toBeLessThan(NOW.getTime());
      expect(orderIds.has(o.id)).toBe(false);
      orderIds.add(o.id);
      if (o.customerId === null) guests++;
      else {
        expect(customerIds.has(o.customerId)).toBe(true);
        if (!firstOrderAt.has(o.customerId)) firstOrderAt.set(o.customerId, at);
      }
      expect(o.lineItems.length).toBeGreaterThanOrEqual(1);
      expect(o.lineItems.length).toBeLessThanOrEqual(4);
      let subtotal = 0;
      for (const line of o.lineItems) {
        expect(lineIds.has(line.id)).toBe(false);
        lineIds.add(line.id);
        expect(line.quantity).toBeGreaterThan(0);
        subtotal += line.quantity * cents(line.price);
      }
      expect(cents(o.subtotalPrice)).toBe(subtotal);
      expect(cents(o.totalPrice)).toBe(subtotal - cents(o.totalDiscounts));
      expect(o.discountCodes.length > 0).toBe(cents(o.totalDiscounts) > 0);
      if (o.cancelledAt) {
        cancelled++;
        expect(o.cancelledAt.getTime()).toBeGreaterThanOrEqual(at);
        expect(o.cancelReason).not.toBeNull();
      }
      if (o.test) tests++;
      if (o.refunds.length) refunded++;
      for (const refund of o.refunds) {
        expect(refundIds.has(refund.id)).toBe(false);
        refundIds.add(refund.id);
        expect(refund.createdAt.getTime()).toBeGreaterThanOrEqual(at);
        expect(refund.createdAt.getTime()).toBeLessThan(NOW.getTime());
        const amount = cents(refund.amount);
        expect(amount).toBe(refund.lineItems.reduce((s, l) => s + cents(l.subtotal), 0));
        expect(amount).toBeGreaterThan(0);
        expect(amount).toBeLessThanOrEqual(cents(o.totalPrice));
        expect(o.financialStatus).toBe(amount === cents(o.totalPrice) ? "refunded" : "partially_refunded");
      }
    }
    // Customers are created no later than their first order.
    for (const c of customers) {
      const first = firstOrderAt.get(c.id);
      if (first !== undefined) expect(c.createdAt.getTime()).toBeLessThanOrEqual(first);
    }
    // Distinct id ranges per entity.
    const all = [...customerIds, ...orderIds, ...lineIds, ...refundIds];
    expect(new Set(all).size).toBe(all.length);
    // The mix the task asks for, within generous bounds.
    expect(orders / 3000).toBeGreaterThan(2.6);
    expect(orders / 3000).toBeLessThan(3.4);
    expect(guests / orders).toBeGreaterThan(0.015);
    expect(guests / orders).toBeLessThan(0.05);
    expect(cancelled / orders).toBeGreaterThan(0.01);
    expect(cancelled / orders).toBeLessThan(0.035);
    expect(tests).toBeGreaterThan(0);
    expect(tests / orders).toBeLessThan(0.015);
    expect(refunded / orders).toBeGreaterThan(0.05);
    expect(refunded / orders).toBeLessThan(0.11);
  });

  it("GIVEN a 3,000-customer store WHEN customers' behaviour is summarised independently THEN every kind the catalogue needs is present", () => {
    const store = generateStore({ customers: 3000, seed: 11, now: NOW });
    interface Stats { orders: number; discounted: number; refunded: number; last: number; first: number; in30: number; in182: number; spend: number; items: Map<string, number>; total: number }
    const stats = new Map<bigint, Stats>();
    for (const o of store.orders() as Iterable<SeedOrder>) {
      if (o.customerId === null || o.cancelledAt || o.test) continue;
      const at = o.processedAt.getTime();
      const s = stats.get(o.customerId) ?? { orders: 0, discounted: 0, refunded: 0, last: 0, first: at, in30: 0, in182: 0, spend: 0, items: new Map(), total: 0 };
      s.orders++;
      if (o.discountCodes.length) s.discounted++;
      if (o.refunds.length) s.refunded++;
      s.last = at;
      if (NOW.getTime() - at <= 30 * DAY) s.in30++;
      if (NOW.getTime() - at <= 182 * DAY) s.in182++;
      s.spend += Number(o.totalPrice) - o.refunds.reduce((x, r) => x + Number(r.amount), 0);
      for (const line of o.lineItems) {
        s.total += line.quantity;
        for (const key of [`type:${line.productType}`, `vendor:${line.vendor}`]) s.items.set(key, (s.items.get(key) ?? 0) + line.quantity);
      }
      stats.set(o.customerId, s);
    }
    const all = [...stats.values()];
    const count = (f: (s: Stats) => boolean) => all.filter(f).length;
    const oneTime = count((s) => s.orders === 1 && NOW.getTime() - s.last > 30 * DAY);
    const lost = count((s) => NOW.getTime() - s.last > 180 * DAY);
    const churnLate = count((s) => s.orders >= 3 && NOW.getTime() - s.last > 180 * DAY);
    const discountOnly = count((s) => s.orders >= 2 && s.discounted === s.orders);
    const loyal = count((s) => s.total >= 3 && Math.max(...s.items.values()) / s.total >= 0.6);
    const frequent30 = count((s) => s.in30 >= 2);
    const frequent6m = count((s) => s.in182 >= 5);
    const returners = count((s) => s.refunded >= 2 && s.refunded / s.orders >= 0.2);
    for (const [name, n] of Object.entries({ oneTime, lost, churnLate, discountOnly, loyal, frequent30, frequent6m, returners })) {
      expect(n, name).toBeGreaterThan(10);
    }
    // Spend is skewed: the top 10 % of customers hold well over 10 % of it.
    const spends = all.map((s) => s.spend).sort((a, b) => b - a);
    const top = spends.slice(0, Math.ceil(spends.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / spends.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.3);
  });

  it("GIVEN the fixed catalogue THEN it has 200 products in 12 types from 20 vendors, each vendor selling", () => {
    expect(CATALOGUE).toHaveLength(200);
    expect(new Set(CATALOGUE.map((p) => p.productType))).toEqual(new Set(PRODUCT_TYPES));
    expect(new Set(CATALOGUE.map((p) => p.vendor))).toEqual(new Set(VENDORS));
    expect(new Set(CATALOGUE.map((p) => p.productId)).size).toBe(200);
  });
});
