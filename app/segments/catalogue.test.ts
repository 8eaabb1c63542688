// Hand-computed fixtures pinning every catalogue segment at its boundaries, in the shop's timezone.
// The shop is in Asia/Kolkata (UTC+05:30) and "now" is 2026-06-15 20:00 UTC = 2026-06-16 01:30
// local, so the local "today" is 2026-06-16 while the UTC date is still 2026-06-15: an order at
// 00:30 local N days ago is 19:00 UTC N+1 days ago, and only the local reading gives the numbers below.
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createCustomer, createFullOrder, createRefund, createShop } from "../../test/factories";
import { closeEnginePool, explainMembership, recomputeShop, rfmGroupOf } from "./index.server";

const NOW = new Date("2026-06-15T20:00:00Z");
const TODAY_UTC_MIDNIGHT_LOCAL = Date.UTC(2026, 5, 16) - 5.5 * 3600_000; // 2026-06-16 00:00 Kolkata

/** 00:30 shop-local time, `days` local days before today. */
const daysAgo = (days: number) => new Date(TODAY_UTC_MIDNIGHT_LOCAL - days * 86400_000 + 30 * 60_000);

afterAll(async () => {
  await closeEnginePool();
});

async function shop() {
  return createShop({ timezone: "Asia/Kolkata" });
}

let nextCustomer = 100n;
async function customer(shopId: number, orders: Parameters<typeof createFullOrder>[2][]) {
  const c = await createCustomer(shopId, { id: ++nextCustomer });
  for (const o of orders) await createFullOrder(shopId, c.id, o);
  return c.id;
}

async function segmentsOf(shopId: number) {
  const rows = await prisma.customerFeature.findMany({ where: { shopId } });
  return new Map(rows.map((r) => [r.customerId, (r.segments ?? []).filter((s) => !s.startsWith("rfm-"))]));
}

async function features(shopId: number, customerId: bigint) {
  return prisma.customerFeature.findUniqueOrThrow({ where: { shopId_customerId: { shopId, customerId } } });
}

describe("catalogue boundaries (shop-local days)", () => {
  it("lost, one-time, churn-quick and churn-late: older than N days means N+1 or more local days", async () => {
    // GIVEN customers whose last order is exactly at and just past each boundary
    const s = await shop();
    const at180 = await customer(s.id, [{ processedAt: daysAgo(180) }]);
    const at181 = await customer(s.id, [{ processedAt: daysAgo(181) }]);
    const at30 = await customer(s.id, [{ processedAt: daysAgo(30) }]);
    const at31 = await customer(s.id, [{ processedAt: daysAgo(31) }]);
    const late3 = await customer(s.id, [{ processedAt: daysAgo(400) }, { processedAt: daysAgo(300) }, { processedAt: daysAgo(181) }]);
    const late2 = await customer(s.id, [{ processedAt: daysAgo(300) }, { processedAt: daysAgo(181) }]);
    const late3Recent = await customer(s.id, [{ processedAt: daysAgo(400) }, { processedAt: daysAgo(300) }, { processedAt: daysAgo(180) }]);

    // WHEN the shop is computed
    await recomputeShop(s.id, { now: NOW });

    // THEN
    const seg = await segmentsOf(s.id);
    expect((await features(s.id, at180)).lastOrderDay?.toISOString().slice(0, 10)).toBe("2025-12-18");
    expect(seg.get(at180)).not.toContain("lost");
    expect(seg.get(at180)).toContain("one-time");
    expect(seg.get(at181)).toEqual(expect.arrayContaining(["lost", "one-time", "churn-quick"]));
    expect(seg.get(at30)).not.toContain("one-time");
    expect(seg.get(at31)).toContain("one-time");
    expect(seg.get(late3)).toEqual(expect.arrayContaining(["lost", "churn-late"]));
    expect(seg.get(late3)).not.toContain("churn-quick");
    expect(seg.get(late2)).toContain("lost");
    expect(seg.get(late2)).not.toContain("churn-late");
    expect(seg.get(late2)).not.toContain("churn-quick");
    expect(seg.get(late3Recent)).not.toContain("lost");
  });

  it("big-spender: AOV exactly equal to the shop average (guest orders included) is in", async () => {
    // GIVEN orders 10+20 (AOV 15), 15 (AOV 15), 12 (AOV 12) and a guest order of 18: shop AOV 75 / 5 = 15
    const s = await shop();
    const a = await customer(s.id, [{ total: "10.00", processedAt: daysAgo(5) }, { total: "20.00", processedAt: daysAgo(4) }]);
    const b = await customer(s.id, [{ total: "15.00", processedAt: daysAgo(5) }]);
    const c = await customer(s.id, [{ total: "12.00", processedAt: daysAgo(5) }]);
    await createFullOrder(s.id, null, { total: "18.00", processedAt: daysAgo(3) });
    // AND cancelled and test orders that would change the average if they counted
    await createFullOrder(s.id, c, { total: "1000.00", processedAt: daysAgo(2), cancelledAt: daysAgo(1) });
    await createFullOrder(s.id, c, { total: "1000.00", processedAt: daysAgo(2), test: true });

    await recomputeShop(s.id, { now: NOW });

    const stats = await prisma.segmentShopStats.findUniqueOrThrow({ where: { shopId: s.id } });
    expect(stats.shopAov?.toString()).toBe("15");
    const seg = await segmentsOf(s.id);
    expect(seg.get(a)).toContain("big-spender");
    expect(seg.get(b)).toContain("big-spender");
    expect(seg.get(c)).not.toContain("big-spender");
  });

  it("big-spender: spend is net of refunds", async () => {
    // GIVEN two customers with 20.00 orders, one refunded 10.00: shop AOV (20 + 10) / 2 = 15
    const s = await shop();
    const full = await customer(s.id, [{ total: "20.00", processedAt: daysAgo(5) }]);
    const refunded = await customer(s.id, []);
    const o = await createFullOrder(s.id, refunded, { total: "20.00", processedAt: daysAgo(5) });
    await createRefund(s.id, o.id, { amount: "10.00" });

    await recomputeShop(s.id, { now: NOW });

    expect((await features(s.id, refunded)).spendLifetime.toString()).toBe("10");
    const seg = await segmentsOf(s.id);
    expect(seg.get(full)).toContain("big-spender");
    expect(seg.get(refunded)).not.toContain("big-spender");
  });

  it("vip: 3 orders within 365 days (365 counts, 366 does not) and spend above the 90th percentile", async () => {
    // GIVEN ten customers with 365-day spend 100..1000 (percentile_disc(0.9) = 900)
    const s = await shop();
    const ids: bigint[] = [];
    for (let i = 1; i <= 10; i++) {
      const third = i === 10 ? daysAgo(365) : daysAgo(10);
      ids.push(await customer(s.id, [
        { total: String(i * 100 - 20), processedAt: daysAgo(1) },
        { total: "10.00", processedAt: daysAgo(2) },
        { total: "10.00", processedAt: third },
      ]));
    }
    // AND a big spender whose third order is 366 days ago (outside the window)
    const outside = await customer(s.id, [
      { total: "5000.00", processedAt: daysAgo(1) },
      { total: "10.00", processedAt: daysAgo(2) },
      { total: "10.00", processedAt: daysAgo(366) },
    ]);

    await recomputeShop(s.id, { now: NOW });

    const stats = await prisma.segmentShopStats.findUniqueOrThrow({ where: { shopId: s.id } });
    // 11 customers: the 90th percentile (discrete) of 100..1000 and 5010 is 1000
    expect(stats.vipSpendCut?.toString()).toBe("1000");
    expect((await features(s.id, ids[9])).orders365d).toBe(3);
    expect((await features(s.id, outside)).orders365d).toBe(2);
    const seg = await segmentsOf(s.id);
    expect(ids.filter((id) => seg.get(id)?.includes("vip"))).toEqual([]);
    expect(seg.get(outside)).not.toContain("vip");
  });

  it("vip: the top 10 % by 365-day spend with 3 orders are in", async () => {
    const s = await shop();
    const ids: bigint[] = [];
    for (let i = 1; i <= 10; i++) {
      ids.push(await customer(s.id, [
        { total: String(i * 100 - 20), processedAt: daysAgo(1) },
        { total: "10.00", processedAt: daysAgo(2) },
        { total: "10.00", processedAt: daysAgo(365) },
      ]));
    }
    await recomputeShop(s.id, { now: NOW });
    const seg = await segmentsOf(s.id);
    expect(ids.filter((id) => seg.get(id)?.includes("vip"))).toEqual([ids[9]]);
    const why = await explainMembership(s.id, ids[9], "vip", { now: NOW });
    expect(why).toMatchObject({ member: true, matches: true });
    expect(why.rule.children?.[1]).toMatchObject({ feature: "spend_365d", value: "1000.0000", threshold: "900.0000", pass: true });
  });

  it("frequent-30d, frequent-6m and lapsed-3-6m at their day boundaries", async () => {
    const s = await shop();
    const f30in = await customer(s.id, [{ processedAt: daysAgo(0) }, { processedAt: daysAgo(30) }]);
    const f30out = await customer(s.id, [{ processedAt: daysAgo(0) }, { processedAt: daysAgo(31) }]);
    const f6in = await customer(s.id, [0, 10, 20, 30, 182].map((d) => ({ processedAt: daysAgo(d) })));
    const f6out = await customer(s.id, [0, 10, 20, 30, 183].map((d) => ({ processedAt: daysAgo(d) })));
    const lap90 = await customer(s.id, [{ processedAt: daysAgo(90) }]);
    const lap91 = await customer(s.id, [{ processedAt: daysAgo(91) }]);
    const lap182 = await customer(s.id, [{ processedAt: daysAgo(182) }]);
    const lap183 = await customer(s.id, [{ processedAt: daysAgo(183) }]);

    await recomputeShop(s.id, { now: NOW });

    const seg = await segmentsOf(s.id);
    expect(seg.get(f30in)).toContain("frequent-30d");
    expect(seg.get(f30out)).not.toContain("frequent-30d");
    expect(seg.get(f6in)).toContain("frequent-6m");
    expect(seg.get(f6out)).not.toContain("frequent-6m");
    expect(seg.get(lap90)).not.toContain("lapsed-3-6m");
    expect(seg.get(lap91)).toContain("lapsed-3-6m");
    expect(seg.get(lap182)).toContain("lapsed-3-6m");
    expect(seg.get(lap183)).not.toContain("lapsed-3-6m");
  });

  it("discount-only: at least 2 orders, every one discounted (a code or a discount amount)", async () => {
    const s = await shop();
    const both = await customer(s.id, [
      { processedAt: daysAgo(3), discountCodes: ["SAVE10"] },
      { processedAt: daysAgo(2), totalDiscounts: "1.00" },
    ]);
    const oneWithout = await customer(s.id, [{ processedAt: daysAgo(3), discountCodes: ["SAVE10"] }, { processedAt: daysAgo(2) }]);
    const single = await customer(s.id, [{ processedAt: daysAgo(3), discountCodes: ["SAVE10"] }]);
    await recomputeShop(s.id, { now: NOW });
    const seg = await segmentsOf(s.id);
    expect(seg.get(both)).toContain("discount-only");
    expect(seg.get(oneWithout)).not.toContain("discount-only");
    expect(seg.get(single)).not.toContain("discount-only");
  });

  it("category-loyal: >= 3 items of one product type or vendor that are >= 60 % of their items, recorded", async () => {
    const s = await shop();
    const li = (productType: string, vendor: string, quantity = 1) => ({ productType, vendor, quantity });
    const exact = await customer(s.id, [{ processedAt: daysAgo(3), lineItems: [li("Shoes", "A", 2), li("Shoes", "B"), li("Hats", "C"), li("Bags", "D")] }]);
    const half = await customer(s.id, [{ processedAt: daysAgo(3), lineItems: [li("Shoes", "A", 3), li("Hats", "B", 3)] }]);
    const few = await customer(s.id, [{ processedAt: daysAgo(3), lineItems: [li("Shoes", "A", 2)] }]);
    const brand = await customer(s.id, [{ processedAt: daysAgo(3), lineItems: [li("Shoes", "Acme"), li("Hats", "Acme"), li("Bags", "Acme")] }]);
    await recomputeShop(s.id, { now: NOW });
    const seg = await segmentsOf(s.id);
    expect(seg.get(exact)).toContain("category-loyal");
    expect(seg.get(half)).not.toContain("category-loyal");
    expect(seg.get(few)).not.toContain("category-loyal");
    expect(seg.get(brand)).toContain("category-loyal");
    const m = await prisma.membership.findUniqueOrThrow({ where: { shopId_segmentKey_customerId: { shopId: s.id, segmentKey: "category-loyal", customerId: exact } } });
    expect(m.detail).toEqual({ kind: "product_type", value: "Shoes", items: 3, of: 5 });
    const mb = await prisma.membership.findUniqueOrThrow({ where: { shopId_segmentKey_customerId: { shopId: s.id, segmentKey: "category-loyal", customerId: brand } } });
    expect(mb.detail).toMatchObject({ kind: "vendor", value: "Acme" });
  });

  it("new-high-potential and new-occasional at 29/30/90/91 days, and the new-customer spend percentile", async () => {
    const s = await shop();
    const two90 = await customer(s.id, [{ processedAt: daysAgo(90) }, { processedAt: daysAgo(1) }]);
    const two91 = await customer(s.id, [{ processedAt: daysAgo(91) }, { processedAt: daysAgo(1) }]);
    const occ29 = await customer(s.id, [{ total: "1.00", processedAt: daysAgo(29) }]);
    const occ30 = await customer(s.id, [{ total: "2.00", processedAt: daysAgo(30) }]);
    const occ90 = await customer(s.id, [{ total: "3.00", processedAt: daysAgo(90) }]);
    const occ91 = await customer(s.id, [{ total: "4.00", processedAt: daysAgo(91) }]);
    const spender = await customer(s.id, [{ total: "500.00", processedAt: daysAgo(5) }]);
    // new customers (first order within 90 d) spend: two90 20, occ29 1, occ30 2, occ90 3, spender 500
    // -> percentile_disc(0.75) = 20: only the 500 spender is above it by spend
    await recomputeShop(s.id, { now: NOW });
    const stats = await prisma.segmentShopStats.findUniqueOrThrow({ where: { shopId: s.id } });
    expect(stats.newSpendCut?.toString()).toBe("20");
    const seg = await segmentsOf(s.id);
    expect(seg.get(two90)).toContain("new-high-potential");
    expect(seg.get(two91)).not.toContain("new-high-potential");
    expect(seg.get(spender)).toContain("new-high-potential");
    expect(seg.get(occ90)).not.toContain("new-high-potential");
    expect(seg.get(occ29)).not.toContain("new-occasional");
    expect(seg.get(occ30)).toContain("new-occasional");
    expect(seg.get(occ90)).toContain("new-occasional");
    expect(seg.get(occ91)).not.toContain("new-occasional");
  });

  it("frequent-returner: refunded / orders >= 20 % with at least 2 refunded and an order within 365 days", async () => {
    const s = await shop();
    const make = async (orders: number, refunded: number, lastDaysAgo: number) => {
      const id = await customer(s.id, []);
      for (let i = 0; i < orders; i++) {
        const o = await createFullOrder(s.id, id, { processedAt: daysAgo(i === 0 ? lastDaysAgo : lastDaysAgo + i) });
        if (i < refunded) await createRefund(s.id, o.id, { amount: "1.00" });
      }
      return id;
    };
    const exact = await make(10, 2, 5);
    const below = await make(11, 2, 5);
    const one = await make(5, 1, 5);
    const inactive = await make(10, 2, 366);
    const at365 = await make(10, 2, 365);
    await recomputeShop(s.id, { now: NOW });
    const seg = await segmentsOf(s.id);
    expect(seg.get(exact)).toContain("frequent-returner");
    expect(seg.get(below)).not.toContain("frequent-returner");
    expect(seg.get(one)).not.toContain("frequent-returner");
    expect(seg.get(inactive)).not.toContain("frequent-returner");
    expect(seg.get(at365)).toContain("frequent-returner");
  });

  it("big-first-order: first-order item count >= the 75th percentile (equal is in)", async () => {
    const s = await shop();
    const ids = [];
    for (const items of [1, 2, 3, 4]) ids.push(await customer(s.id, [{ processedAt: daysAgo(10), itemCount: items }, { processedAt: daysAgo(1), itemCount: 50 }]));
    await recomputeShop(s.id, { now: NOW });
    const stats = await prisma.segmentShopStats.findUniqueOrThrow({ where: { shopId: s.id } });
    expect(stats.firstOrderItemsCut).toBe(3);
    const seg = await segmentsOf(s.id);
    expect(ids.map((id) => seg.get(id)?.includes("big-first-order"))).toEqual([false, false, true, true]);
  });

  it("cart-abandoner (web pixel checkouts, app/browsing/): disabled by default, nobody in it without browsing data", async () => {
    const s = await shop();
    const id = await customer(s.id, [{ processedAt: daysAgo(1) }]);
    await recomputeShop(s.id, { now: NOW });
    expect((await segmentsOf(s.id)).get(id)).not.toContain("cart-abandoner");
    const why = await explainMembership(s.id, id, "cart-abandoner", { now: NOW });
    expect(why).toMatchObject({ enabled: false, matches: false, rule: { op: "cmp", feature: "days_since_abandoned_checkout", pass: false } });
  });

  it("opted-out customers are in no segment, and customers without orders are only in rules that say so", async () => {
    const s = await shop();
    const opted = await customer(s.id, [{ processedAt: daysAgo(200) }]);
    await prisma.customer.update({ where: { shopId_id: { shopId: s.id, id: opted } }, data: { optedOut: true } });
    const none = await customer(s.id, []);
    await recomputeShop(s.id, { now: NOW });
    const all = await prisma.customerFeature.findMany({ where: { shopId: s.id } });
    expect(all.find((f) => f.customerId === opted)?.segments).toEqual([]);
    expect(all.find((f) => f.customerId === none)?.segments).toEqual([]);
  });

  it("RFM: one-order customers tied across quintiles all score F = 1, so recent first-time buyers are New", async () => {
    // GIVEN ten customers: six bought once for 10.00 (1 to 6 days ago), four bought 2 to 5 times for more, long ago
    const s = await shop();
    const once = [];
    for (let d = 1; d <= 6; d++) once.push(await customer(s.id, [{ total: "10.00", processedAt: daysAgo(d) }]));
    for (let k = 2; k <= 5; k++) {
      const orders = [];
      for (let j = 0; j < k; j++) orders.push({ total: "50.00", processedAt: daysAgo(100 + 10 * k + j) });
      await customer(s.id, orders);
    }
    // WHEN the shop is computed
    await recomputeShop(s.id, { now: NOW });
    // THEN every one-order customer scores F = 1 and M = 1 (60 % share the lowest values)
    for (const id of once) expect([(await features(s.id, id)).fScore, (await features(s.id, id)).mScore]).toEqual([1, 1]);
    // AND the two most recent ones (R = 5) are New
    expect((await features(s.id, once[0])).rfmGroup).toBe("new");
    expect((await features(s.id, once[1])).rfmGroup).toBe("new");
  });

  it("RFM: quintile scores with the customer_id tie-breaker and the named group grid", async () => {
    // GIVEN five customers: i orders, the last i*10 days ago reversed, spend i*100
    const s = await shop();
    const ids = [];
    for (let i = 1; i <= 5; i++) {
      const orders = [];
      for (let k = 0; k < i; k++) orders.push({ total: String((i * 100) / i), processedAt: daysAgo((6 - i) * 10 + k) });
      ids.push(await customer(s.id, orders));
    }
    await recomputeShop(s.id, { now: NOW });
    for (let i = 0; i < 5; i++) {
      const f = await features(s.id, ids[i]);
      expect([f.rScore, f.fScore, f.mScore]).toEqual([i + 1, i + 1, i + 1]);
      expect(f.rfmGroup).toBe(rfmGroupOf(i + 1, i + 1, i + 1));
      expect(f.segments).toContain(`rfm-${f.rfmGroup}`);
    }
    expect((await features(s.id, ids[4])).rfmGroup).toBe("champions");
    expect((await features(s.id, ids[0])).rfmGroup).toBe("lost");
  });
});
