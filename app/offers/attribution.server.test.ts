import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createCustomer, createOrder, createShop } from "../../test/factories";
import { attributeStoredOrder, attributeStoredOrders } from "./attribution.server";
import { offerResults, saveOffer } from "./offers.server";

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db.end();
});

async function offerFor(shopId: number, segmentKey: string, code: string, priority = 0) {
  const saved = await saveOffer(shopId, { segmentKey, content: { en: { headline: `${segmentKey} offer`, body: "", cta: "" } }, discountCode: code, priority });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  return saved.offer;
}

describe("attributeStoredOrder (sync's hook, inside its transaction)", () => {
  it("follows the stored order through apply, refund, re-apply and cancellation, committing with the caller", async () => {
    // GIVEN a VIP offer and a VIP member's order that used its code
    const shop = await createShop();
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    const offer = await offerFor(shop.id, "vip", "VIP10");
    await createCustomer(shop.id, { id: 11n });
    await prisma.membership.create({ data: { shopId: shop.id, segmentKey: "vip", customerId: 11n, enteredAt: new Date() } });
    await createOrder(shop.id, 11n, { id: 501n, total: "80.00" });
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 501n } }, data: { discountCodes: ["vip10"] } });

    // WHEN sync's transaction applies it and rolls back THEN nothing is attributed
    await db.query("begin");
    expect(await attributeStoredOrder(db, shop.id, 501n)).toMatchObject({ offerId: offer.id, amount: "80.0000", wasMember: true });
    await db.query("rollback");
    expect(await prisma.offerAttribution.count()).toBe(0);

    // WHEN it commits, twice (a redelivery) THEN one attribution
    for (let i = 0; i < 2; i++) {
      await db.query("begin");
      await attributeStoredOrder(db, shop.id, 501n);
      await db.query("commit");
    }
    expect(await offerResults(shop.id)).toEqual([expect.objectContaining({ offerId: offer.id, membersTargeted: 1, redemptions: 1, revenue: "80.00" })]);

    // WHEN a refund is applied THEN revenue is net of it
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 501n } }, data: { refundedAmount: "30.00" } });
    await attributeStoredOrder(db, shop.id, 501n);
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 1, revenue: "50.00" });

    // WHEN the order is cancelled THEN the attribution goes away
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 501n } }, data: { cancelledAt: new Date() } });
    expect(await attributeStoredOrder(db, shop.id, 501n)).toBeNull();
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 0, revenue: "0.00" });
  });

  it("ignores orders without an offer's code, unknown orders, and other shops' offers", async () => {
    const shop = await createShop();
    const other = await createShop();
    await prisma.segment.create({ data: { shopId: other.id, key: "vip", kind: "catalogue", name: "VIP" } });
    await offerFor(other.id, "vip", "VIP10");
    await createOrder(shop.id, null, { id: 1n });
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 1n } }, data: { discountCodes: ["VIP10"] } });
    expect(await attributeStoredOrder(db, shop.id, 1n)).toBeNull();
    expect(await attributeStoredOrder(db, shop.id, 999n)).toBeNull();
    expect(await prisma.offerAttribution.count()).toBe(0);
  });

  it("picks the higher-priority offer when the order used two codes", async () => {
    const shop = await createShop();
    for (const key of ["vip", "lost"]) await prisma.segment.create({ data: { shopId: shop.id, key, kind: "catalogue", name: key } });
    await offerFor(shop.id, "lost", "BACK15", 1);
    const vip = await offerFor(shop.id, "vip", "VIP10", 9);
    await createOrder(shop.id, null, { id: 2n, total: "12.00" });
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 2n } }, data: { discountCodes: ["back15", " Vip10 "] } });
    expect(await attributeStoredOrder(db, shop.id, 2n)).toMatchObject({ offerId: vip.id, segmentKey: "vip", wasMember: false });
  });

  it("re-derives a whole shop after a bulk merge, skipping orders placed before the offer applied", async () => {
    // GIVEN orders loaded in bulk (no per-order hook): one before the offer existed, two after, one deleted later
    const shop = await createShop();
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    await createOrder(shop.id, null, { id: 10n, total: "5.00", processedAt: new Date(Date.now() - 3 * 86_400_000) });
    const offer = await offerFor(shop.id, "vip", "VIP10");
    await createOrder(shop.id, null, { id: 11n, total: "7.00" });
    await createOrder(shop.id, null, { id: 12n, total: "9.00" });
    await prisma.order.updateMany({ where: { shopId: shop.id }, data: { discountCodes: ["VIP10"] } });
    await attributeStoredOrder(db, shop.id, 12n);
    // (deleted in Shopify: orders/delete marks the row; only a redaction erases it, keeping its attribution anonymised)
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: 12n } }, data: { deletedAt: new Date() } });

    // WHEN the whole shop is re-derived
    const rows = await attributeStoredOrders(db, shop.id, null);

    // THEN only the order placed after the offer counts, and the deleted order's attribution is gone
    expect(rows.map((r) => r.orderId)).toEqual([11n]);
    expect(await offerResults(shop.id)).toEqual([expect.objectContaining({ offerId: offer.id, redemptions: 1, revenue: "7.00" })]);
  });
});
