// The engine's contract with sync, push-back and the admin: incremental recompute, the change log
// with its why, settings and re-evaluation, custom segments (hostile input stays data), history.
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { Prisma } from "../generated/prisma/client";
import { createCustomer, createFullOrder, createRefund, createShop } from "../../test/factories";
import {
  closeEnginePool,
  compileCustomRule,
  explainMembership,
  getSegmentSettings,
  previewCustomSegment,
  recomputeCustomers,
  recomputeShop,
  reevaluateShop,
  rfmMigration,
  saveCustomSegment,
  segmentHistory,
  SegmentSettingsError,
  updateSegmentSettings,
  validateRule,
} from "./index.server";

const NOW = new Date("2026-06-15T12:00:00Z");
const day = 86400_000;
const ago = (d: number) => new Date(NOW.getTime() - d * day);

afterAll(async () => {
  await closeEnginePool();
});

async function changes(shopId: number) {
  return prisma.membershipChange.findMany({ where: { shopId }, orderBy: { id: "asc" } });
}

describe("incremental recompute and the change log", () => {
  it("logs each enter and leave once with a why, and a repeat call changes nothing", async () => {
    // GIVEN a shop computed once, with a customer whose only order is 200 days old (lost)
    const shop = await createShop();
    const c = await createCustomer(shop.id, { id: 7n });
    await createFullOrder(shop.id, 7n, { total: "40.00", processedAt: ago(200) });
    await recomputeShop(shop.id, { now: NOW });
    const before = await changes(shop.id);
    expect(before.filter((ch) => ch.segmentKey === "lost")).toMatchObject([{ customerId: 7n, change: "entered" }]);
    expect(before.find((ch) => ch.segmentKey === "lost")?.why).toMatchObject({
      source: "full",
      values: { orders_count: 1, days_since_last_order: 200 },
    });

    // WHEN sync applies a new order for them and recomputes them
    await createFullOrder(shop.id, c.id, { total: "60.00", processedAt: ago(1) });
    const first = await recomputeCustomers(shop.id, [7n], { now: NOW });
    const second = await recomputeCustomers(shop.id, [7n], { now: NOW });

    // THEN they left lost (logged once, with ids increasing) and the repeat changed nothing
    expect(first.changes).toBeGreaterThan(0);
    expect(second.changes).toBe(0);
    const after = (await changes(shop.id)).slice(before.length);
    expect(after.filter((ch) => ch.segmentKey === "lost")).toMatchObject([{ change: "left", why: { source: "incremental", values: { days_since_last_order: 1 } } }]);
    const idsInOrder = (await changes(shop.id)).map((ch) => ch.id);
    expect([...idsInOrder].sort((a, b) => (a < b ? -1 : 1))).toEqual(idsInOrder);
    expect(await prisma.membership.count({ where: { shopId: shop.id, segmentKey: "lost" } })).toBe(0);
  });

  it("refunds and cancellations move spend; deleted customers leave every segment; opting out empties them", async () => {
    const shop = await createShop();
    for (const id of [1n, 2n, 3n]) await createCustomer(shop.id, { id });
    const big = await createFullOrder(shop.id, 1n, { total: "100.00", processedAt: ago(3) });
    await createFullOrder(shop.id, 2n, { total: "10.00", processedAt: ago(3) });
    await createFullOrder(shop.id, 3n, { total: "10.00", processedAt: ago(300) });
    await recomputeShop(shop.id, { now: NOW });
    // shop AOV 40: customer 1 is a big spender
    const seg = async (id: bigint) =>
      (await prisma.customerFeature.findUnique({ where: { shopId_customerId: { shopId: shop.id, customerId: id } } }))?.segments ?? null;
    expect(await seg(1n)).toContain("big-spender");

    // WHEN most of customer 1's order is refunded THEN their AOV falls under the shop's
    await createRefund(shop.id, big.id, { amount: "90.00" });
    await recomputeCustomers(shop.id, [1n], { now: NOW });
    expect(await seg(1n)).not.toContain("big-spender");

    // WHEN the order is cancelled THEN they have no orders left (and no order-based segment)
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: big.id } }, data: { cancelledAt: NOW } });
    await recomputeCustomers(shop.id, [1n], { now: NOW });
    expect(await seg(1n)).toEqual([]);

    // WHEN customer 3 (lost) opts out THEN they are in no segment; WHEN customer 2 is deleted THEN gone
    expect(await seg(3n)).toContain("lost");
    await prisma.customer.update({ where: { shopId_id: { shopId: shop.id, id: 3n } }, data: { optedOut: true } });
    await prisma.customer.update({ where: { shopId_id: { shopId: shop.id, id: 2n } }, data: { deletedAt: NOW } });
    await recomputeCustomers(shop.id, [2n, 3n], { now: NOW });
    expect(await seg(3n)).toEqual([]);
    expect(await seg(2n)).toBeNull();
    expect(await prisma.membership.count({ where: { shopId: shop.id, customerId: { in: [2n, 3n] } } })).toBe(0);
    const log = await changes(shop.id);
    expect(log.filter((ch) => ch.customerId === 2n && ch.change === "left").length).toBeGreaterThan(0);
    expect(log.find((ch) => ch.customerId === 2n && ch.change === "left")?.why).toMatchObject({ deleted: true });
    expect(log.find((ch) => ch.customerId === 3n && ch.segmentKey === "lost" && ch.change === "left")?.why).toMatchObject({ opted_out: true });
  });
});

describe("settings and re-evaluation", () => {
  it("defaults come from SEGMENTS.md; a threshold change re-evaluates from features and logs the diff", async () => {
    const shop = await createShop();
    await createCustomer(shop.id, { id: 1n });
    await createFullOrder(shop.id, 1n, { processedAt: ago(100) });
    await recomputeShop(shop.id, { now: NOW });
    expect((await getSegmentSettings(shop.id, "lost")).settings).toEqual({ olderThanDays: 180 });

    const updated = await updateSegmentSettings(shop.id, "lost", { settings: { olderThanDays: 99 } });
    expect(updated.settings.olderThanDays).toBe(99);
    const r = await reevaluateShop(shop.id, { now: NOW });
    expect(r.changes).toBeGreaterThan(0);
    const entered = await prisma.membershipChange.findFirst({ where: { shopId: shop.id, segmentKey: "lost", change: "entered" } });
    expect(entered?.why).toMatchObject({ source: "reevaluate", values: { days_since_last_order: 100 } });
    const why = await explainMembership(shop.id, 1n, "lost", { now: NOW });
    expect(why).toMatchObject({ member: true, matches: true });
    expect(why.rule.children?.[1]).toMatchObject({ feature: "days_since_last_order", cmp: ">", value: "100", threshold: 99, pass: true });

    // WHEN lost is disabled THEN its members leave
    await updateSegmentSettings(shop.id, "lost", { enabled: false });
    await reevaluateShop(shop.id, { now: NOW });
    expect(await prisma.membership.count({ where: { shopId: shop.id, segmentKey: "lost" } })).toBe(0);
  });

  it("a re-evaluation evaluates only what the change can move, and ends where evaluating everything ends", async () => {
    // GIVEN customers 60..400 days since their only order (one with two orders), a custom segment
    // that reads lost's membership, computed once
    const shop = await createShop();
    const ages = [60, 100, 130, 170, 185, 250, 400];
    for (const [i, d] of ages.entries()) {
      await createCustomer(shop.id, { id: BigInt(i + 1) });
      await createFullOrder(shop.id, BigInt(i + 1), { total: `${20 + i * 15}.00`, processedAt: ago(d) });
    }
    await createFullOrder(shop.id, 2n, { total: "30.00", processedAt: ago(140) });
    await saveCustomSegment(shop.id, { key: "lost-big", name: "Lost big", rule: { op: "and", rules: [{ op: "segment", segment: "lost" }, { op: "cmp", feature: "spend_lifetime", cmp: ">=", value: 60 }] } });
    await recomputeShop(shop.id, { now: NOW });
    const everything = async () => {
      // what evaluating every segment finds (nothing recorded: the re-evaluation takes all of them)
      await prisma.segmentShopStats.update({ where: { shopId: shop.id }, data: { evaluated: Prisma.DbNull } });
      return (await reevaluateShop(shop.id, { now: NOW })).changes;
    };
    const members = async (key: string) =>
      (await prisma.membership.findMany({ where: { shopId: shop.id, segmentKey: key }, orderBy: { customerId: "asc" } })).map((m) => m.customerId);
    expect(await members("lost")).toEqual([5n, 6n, 7n]);

    // WHEN lost's threshold drops to 120 days THEN lost, churn-quick (reads lost's setting) and the
    // custom segment (reads lost) follow, and evaluating everything finds nothing left to change
    await updateSegmentSettings(shop.id, "lost", { settings: { olderThanDays: 120 } });
    expect((await reevaluateShop(shop.id, { now: NOW })).changes).toBeGreaterThan(0);
    expect(await members("lost")).toEqual([3n, 4n, 5n, 6n, 7n]);
    expect(await members("churn-quick")).toEqual([3n, 4n, 5n, 6n, 7n]);
    expect(await members("lost-big")).toEqual([4n, 5n, 6n, 7n]);
    expect(await everything()).toBe(0);

    // WHEN the new-customer spend share changes (a percentile cut is re-derived) or nothing changed THEN the same
    await updateSegmentSettings(shop.id, "new-high-potential", { settings: { topSpendShare: 0.5 } });
    await reevaluateShop(shop.id, { now: NOW });
    expect(await everything()).toBe(0);
    expect((await reevaluateShop(shop.id, { now: NOW })).changes).toBe(0);

    // WHEN the custom segment is disabled THEN its members leave
    await updateSegmentSettings(shop.id, "lost-big", { enabled: false });
    await reevaluateShop(shop.id, { now: NOW });
    expect(await members("lost-big")).toEqual([]);
    expect(await everything()).toBe(0);
  });

  it("rejects settings out of range with clear messages", async () => {
    const shop = await createShop();
    await expect(updateSegmentSettings(shop.id, "vip", { settings: { topSpendShare: 2, nope: 1 } })).rejects.toMatchObject({
      errors: [
        { path: "settings.topSpendShare", message: expect.stringContaining("between 0 and 1") },
        { path: "settings.nope", message: expect.stringContaining('no setting "nope"') },
      ],
    });
    await expect(updateSegmentSettings(shop.id, "lost", { settings: { olderThanDays: 1.5 } })).rejects.toBeInstanceOf(SegmentSettingsError);
  });
});

describe("custom segments", () => {
  it("validates with path-addressed errors", () => {
    const r = validateRule(
      { op: "and", rules: [{ op: "cmp", feature: "orders_count; drop table orders", cmp: ">=", value: 1 }, { op: "cmp", feature: "aov", cmp: "like", value: "x" }, { op: "segment", segment: "nope" }] },
      ["vip"],
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(["rules[0].feature", "rules[1].cmp", "rules[1].value", "rules[2].segment"]);
  });

  it("stores and evaluates a rule built from hostile strings as data, never as SQL", async () => {
    // GIVEN customers whose top product type is itself hostile text
    const shop = await createShop();
    const hostile = `Robert'); DROP TABLE customers; -- "ünïcödé" 🛒 $1 \\' OR 1=1`;
    await createCustomer(shop.id, { id: 1n });
    await createCustomer(shop.id, { id: 2n });
    await createFullOrder(shop.id, 1n, { processedAt: ago(2), lineItems: [{ productType: hostile, vendor: "v", quantity: 3 }] });
    await createFullOrder(shop.id, 2n, { processedAt: ago(2), lineItems: [{ productType: "Hats", vendor: "v", quantity: 3 }] });
    await recomputeShop(shop.id, { now: NOW });
    const rule = {
      op: "or",
      rules: [
        { op: "cmp", feature: "top_product_type", cmp: "=", value: hostile },
        { op: "cmp", feature: "top_product_type", cmp: "in", value: ["'; select pg_sleep(10); --", "SELECT * FROM shops", "日本語"] },
        { op: "not", rule: { op: "segment", segment: "vip" } },
      ],
    };
    const strict = { op: "and", rules: [rule.rules[0], { op: "cmp", feature: "orders_count", cmp: ">=", value: 1 }] };

    // WHEN it is compiled THEN no input text is in the SQL, only placeholders
    const compiled = compileCustomRule(strict);
    expect("sql" in compiled && compiled.sql).not.toContain("DROP");
    expect("params" in compiled && compiled.params).toContain(hostile);

    // WHEN previewed and saved (with a hostile name) THEN it counts and stores exactly the text
    expect(await previewCustomSegment(shop.id, strict, { now: NOW })).toEqual({ ok: true, count: 1 });
    expect(await previewCustomSegment(shop.id, rule, { now: NOW })).toEqual({ ok: true, count: 2 });
    await saveCustomSegment(shop.id, { key: "hostile-fans", name: `Fans of ${hostile}`, rule: strict });
    await reevaluateShop(shop.id, { now: NOW });
    const members = await prisma.membership.findMany({ where: { shopId: shop.id, segmentKey: "hostile-fans" } });
    expect(members.map((m) => m.customerId)).toEqual([1n]);
    const stored = await getSegmentSettings(shop.id, "hostile-fans");
    expect(stored.name).toBe(`Fans of ${hostile}`);
    expect(stored.rule).toEqual(strict);
    expect(await prisma.customer.count({ where: { shopId: shop.id } })).toBe(2);

    // AND a hostile key is refused
    await expect(saveCustomSegment(shop.id, { key: "x'; drop table segments; --", name: "x", rule: strict })).rejects.toMatchObject({
      errors: [{ path: "key" }],
    });
  });
});

describe("history", () => {
  it("keeps daily size, entries and exits, and an RFM migration matrix from the change log", async () => {
    const shop = await createShop();
    for (const id of [1n, 2n]) await createCustomer(shop.id, { id });
    await createFullOrder(shop.id, 1n, { processedAt: ago(200), total: "30.00" });
    await createFullOrder(shop.id, 2n, { processedAt: ago(10), total: "30.00" });
    const day1 = ago(2);
    await recomputeShop(shop.id, { now: day1 });
    await createFullOrder(shop.id, 1n, { processedAt: ago(1), total: "30.00" });
    await recomputeCustomers(shop.id, [1n], { now: NOW });
    await recomputeShop(shop.id, { now: NOW });

    const lost = await segmentHistory(shop.id, "lost", 3, { now: NOW });
    expect(lost.map((p) => [p.day, p.size, p.entries, p.exits])).toEqual([
      ["2026-06-13", 1, 1, 0],
      ["2026-06-14", 1, 0, 0],
      ["2026-06-15", 0, 0, 1],
    ]);
    const m = await rfmMigration(shop.id, day1, NOW);
    const total = Object.values(m.matrix).reduce((n, row) => n + Object.values(row).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(2);
  });
});
