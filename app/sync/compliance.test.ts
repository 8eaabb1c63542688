import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { generateStore } from "../../datasets/generate.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startRouteServer, type RouteServer } from "../../test/helpers/route-server";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { drainEvents, drainRuns } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";
import { closeSyncPool } from "./pg.server";
import { startSyncRun } from "./runs.server";

let twin: Twin;
let routes: RouteServer;
beforeAll(async () => {
  routes = await startRouteServer();
  twin = await startTwin({ appUrl: routes.url, bulkStepDelayMs: 5, timeScale: 0.0001 });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await twin?.stop();
  await routes?.stop();
});

async function backfilledShop(domain: string, seed: number) {
  await twin.seed(domain, generateStore({ customers: 120, ordersPerCustomer: 3, seed, domain }));
  const shop = await installOnTwin(twin, domain);
  await startSyncRun(shop.id, "backfill");
  await drainRuns();
  return shop;
}

async function settle() {
  await twin.webhooks.idle();
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
    const twinA = twin.shop(a.domain);
    const [redacted, exported] = twinA.customers.filter((c) => c.orders.length > 0).map((c) => c.id);
    const orderIds = twinA.customer(redacted)!.orders.map((o) => o.id);
    expect(Object.keys(await rowsOfCustomer(a.id, redacted)).length).toBeGreaterThan(1);

    // WHEN Shopify asks to redact one customer and to export another's data
    twinA.requestCustomerRedact(redacted);
    twinA.requestCustomerData(exported);
    await settle();

    // THEN no row about the redacted customer remains (orders, their line items and refunds too)
    expect(await rowsOfCustomer(a.id, redacted)).toEqual({});
    expect(await prisma.lineItem.count({ where: { shopId: a.id, orderId: { in: orderIds } } })).toBe(0);
    expect(await prisma.refund.count({ where: { shopId: a.id, orderId: { in: orderIds } } })).toBe(0);
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
    // AND both are logged, without personal data
    const log = await prisma.complianceRequest.findMany({ orderBy: { topic: "asc" } });
    expect(log.map((l) => [l.topic, l.status, l.subjectCustomerId])).toEqual([
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
