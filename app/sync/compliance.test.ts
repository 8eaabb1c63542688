import { describe, expect, it } from "vitest";
import pg from "pg";
import prisma from "../db.server";
import { generateStore } from "../../datasets/generate.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startTwinAppForFile } from "../../test/helpers/twin-app";
import { drainEvents, drainRuns } from "../jobs/drain.server";
import { startSyncRun } from "./runs.server";
import { ingestPixelBatch, pixelToken } from "../browsing/ingest.server";
import { attributeOrder, offerResults, saveOffer } from "../offers/offers.server";
import { updateSegmentSettings } from "../segments/index.server";

const app = startTwinAppForFile();

async function backfilledShop(domain: string, seed: number) {
  await app.twin.seed(domain, generateStore({ customers: 120, ordersPerCustomer: 3, seed, domain }));
  const shop = await installOnTwin(app.twin, domain);
  await startSyncRun(shop.id, "backfill");
  await drainRuns();
  return shop;
}

async function settle() {
  await app.twin.webhooks.idle();
  await drainEvents();
}

/** Rows in every public table that reference the shop (by shop_id, shop or domain column). */
async function rowsOfShop(shopId: number, domain: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const cols = await client.query<{ table_name: string; column_name: string }>(
      `select table_name, column_name from information_schema.columns
        where table_schema = 'public' and column_name in ('shop_id', 'shop', 'domain', 'shop_domain')`,
    );
    const out: Record<string, number> = {};
    for (const { table_name, column_name } of cols.rows) {
      const value = column_name === "shop_id" ? shopId : domain;
      const r = await client.query(`select count(*)::int as n from "${table_name}" where "${column_name}"::text = $1::text`, [String(value)]);
      if (r.rows[0].n > 0) out[`${table_name}.${column_name}`] = r.rows[0].n;
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Rows in every public table having a customer_id column, for that customer. */
async function rowsOfCustomer(shopId: number, customerId: bigint): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'customer_id'",
    );
    const out: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      const r = await client.query(`select count(*)::int as n from "${table_name}" where shop_id = $1 and customer_id = $2`, [shopId, customerId]);
      if (r.rows[0].n > 0) out[table_name] = r.rows[0].n;
    }
    const c = await client.query("select count(*)::int as n from customers where shop_id = $1 and id = $2", [shopId, customerId]);
    if (c.rows[0].n > 0) out.customers = c.rows[0].n;
    return out;
  } finally {
    await client.end();
  }
}

describe("compliance webhooks from the twin", () => {
  it("customers/redact erases the customer everywhere; data_request exports; shop/redact erases the shop", async () => {
    // GIVEN two backfilled shops (the segment engine has computed their features and memberships)
    const a = await backfilledShop("comply-a.myshopify.com", 21);
    const b = await backfilledShop("comply-b.myshopify.com", 22);
    const twinA = app.twin.shop(a.domain);
    const [redacted, exported] = twinA.customers.filter((c) => c.orders.length > 0).map((c) => c.id);
    const orderIds = twinA.customer(redacted)!.orders.map((o) => o.id);
    expect(Object.keys(await rowsOfCustomer(a.id, redacted)).length).toBeGreaterThan(1);
    // AND earlier: a data export of that customer, a refund on one of their orders, a tag-limit notice naming them
    twinA.requestCustomerData(redacted);
    twinA.refundOrder(orderIds[0], { amount: "1.00" });
    await settle();
    expect(await prisma.dataExport.count({ where: { shopId: a.id, subjectCustomerId: redacted } })).toBe(1);
    await prisma.pushShop.upsert({
      where: { shopId: a.id },
      create: { shopId: a.id, notices: [{ code: "tag_limit", customerId: String(redacted), suppressed: ["seg:vip"], at: new Date().toISOString() }] },
      update: { notices: [{ code: "tag_limit", customerId: String(redacted), suppressed: ["seg:vip"], at: new Date().toISOString() }] },
    });
    const mentions = async () => {
      const ids = [redacted, ...orderIds].map(String);
      const events = await prisma.webhookEvent.findMany({ where: { shop: a.domain, topic: { not: "customers/redact" } }, select: { topic: true, payload: true } });
      return events.filter((e) => ids.some((id) => JSON.stringify(e.payload).includes(`"${id}"`))).map((e) => e.topic);
    };
    expect((await mentions()).sort()).toEqual(expect.arrayContaining(["customers/data_request", "refunds/create"]));

    // AND the customer browsed anonymously, then logged in (the pixel linked the client to them)
    const now = new Date();
    const pageView = (i: number, customerId: bigint | null) => ({ id: `pv-${i}`, name: "page_viewed" as const, at: new Date(now.getTime() - (10 - i) * 1000), customerId, productId: null, variantId: null, rec: false, checkout: null, products: [] });
    const browse = (clientId: string, customerId: bigint) =>
      ingestPixelBatch({ shop: a.domain, token: pixelToken(a.domain), clientId, events: [pageView(1, null), pageView(2, null), pageView(3, customerId)] }, { now });
    expect((await browse("redacted-client", redacted)).status).toBe(202);
    expect((await browse("other-client", exported)).status).toBe(202);
    // AND one of their orders redeemed an offer (to the vip segment, its row stored as the admin does)
    await updateSegmentSettings(a.id, "vip", {});
    const offer = await saveOffer(a.id, { segmentKey: "vip", content: { en: { headline: "VIP: 10% off", body: "", cta: "Shop" } }, ctaUrl: "/collections/all", discountCode: "VIP10" }, now);
    expect(offer.ok ? [] : offer.errors).toEqual([]);
    // (placed after the offer was created: an order before it is not the offer's doing)
    await attributeOrder(a.id, { id: orderIds[0], customerId: redacted, discountCodes: ["VIP10"], totalPrice: "12.50", processedAt: new Date() });

    // WHEN Shopify asks to redact one customer and to export another's data
    twinA.requestCustomerRedact(redacted);
    twinA.requestCustomerData(exported);
    await settle();

    // THEN no row about the redacted customer remains (orders, their line items and refunds too)
    expect(await rowsOfCustomer(a.id, redacted)).toEqual({});
    expect(await prisma.lineItem.count({ where: { shopId: a.id, orderId: { in: orderIds } } })).toBe(0);
    expect(await prisma.refund.count({ where: { shopId: a.id, orderId: { in: orderIds } } })).toBe(0);
    // AND no export, notice or webhook event names them or their orders any more
    expect(await prisma.dataExport.count({ where: { shopId: a.id, subjectCustomerId: redacted } })).toBe(0);
    expect(JSON.stringify((await prisma.pushShop.findUniqueOrThrow({ where: { shopId: a.id } })).notices)).not.toContain(String(redacted));
    expect(await mentions()).toEqual([]);
    // AND their browsing is gone, the anonymous events before the login included; the other shopper's stays
    const pixelRows = await prisma.$queryRaw<{ client_id: string; n: number }[]>`select client_id, count(*)::int as n from pixel_events where shop_id = ${a.id} group by client_id`;
    expect(pixelRows).toEqual([{ client_id: "other-client", n: 3 }]);
    // AND the offer keeps its redemption and revenue, without knowing who redeemed it
    expect(await prisma.offerAttribution.findMany({ where: { shopId: a.id }, select: { customerId: true, amount: true } })).toEqual([
      { customerId: null, amount: expect.objectContaining({}) },
    ]);
    expect((await offerResults(a.id))[0]).toMatchObject({ redemptions: 1, revenue: "12.50" });
    // AND a later order of that customer is not re-imported
    twinA.placeOrder({ customerId: redacted, lineItems: [{ price: "5.00" }] });
    await settle();
    expect(await rowsOfCustomer(a.id, redacted)).toEqual({});
    // AND the export holds the other customer's orders, kept for the merchant
    const exports = await prisma.dataExport.findMany({ where: { shopId: a.id } });
    expect(exports).toHaveLength(1);
    const data = exports[0].data as { customerId: string; data: { orders: { id: string }[]; customers: unknown[] } };
    expect(data.customerId).toBe(String(exported));
    expect(data.data.orders.map((o) => o.id).sort()).toEqual(twinA.customer(exported)!.orders.map((o) => String(o.id)).sort());
    // AND every request is logged (ids only, no personal data), the earlier export of the redacted customer too
    const log = await prisma.complianceRequest.findMany({ orderBy: [{ topic: "asc" }, { id: "asc" }] });
    expect(log.map((l) => [l.topic, l.status, l.subjectCustomerId])).toEqual([
      ["customers/data_request", "completed", redacted],
      ["customers/data_request", "completed", exported],
      ["customers/redact", "completed", redacted],
    ]);
    expect(JSON.stringify(log, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toMatch(/@/);

    // WHEN Shopify sends shop/redact for shop A (48 h after uninstall)
    twinA.uninstall();
    await settle();
    twinA.requestShopRedact();
    await settle();

    // THEN no row of shop A remains in any table (the compliance log keeps its entries, unlinked)
    const left = await rowsOfShop(a.id, a.domain);
    expect(Object.keys(left).filter((k) => k !== "compliance_requests.shop_domain")).toEqual([]);
    expect(await prisma.complianceRequest.count({ where: { shopId: a.id } })).toBe(0);
    expect(await prisma.complianceRequest.count({ where: { shopDomain: a.domain, topic: "shop/redact", status: "completed" } })).toBe(1);
    // AND shop B is untouched
    expect(await prisma.customer.count({ where: { shopId: b.id } })).toBe(120);
    expect(Object.keys(await rowsOfShop(b.id, b.domain)).length).toBeGreaterThan(5);
  });
});
