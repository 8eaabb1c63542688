import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import prisma from "../db.server";
import { webhookRequest } from "../../test/helpers/webhooks";
import { sampleBody } from "../../test/helpers/shopify-samples";
import { createShop } from "../../test/factories";
import { allowConsoleError } from "../../test/setup";
import { receiveWebhook } from "./receive-webhook.server";
import { drainEvents } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";
import { closeSyncPool, syncPool } from "./pg.server";
import { listParkedEvents, processEvent, retryParkedEvent } from "./events.server";

const SHOP = "sync-hooks.myshopify.com";
const ORDER_ID = 820982911946154508n; // the sample's exact admin_graphql_api_id
const CUSTOMER_ID = 706405506930370084n;

afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
});

async function deliver(topic: string, body: unknown, extra: Partial<Parameters<typeof webhookRequest>[0]> = {}) {
  try {
    return await receiveWebhook(webhookRequest({ topic, shop: SHOP, body, ...extra }));
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** Shopify's order sample with fields edited (the sample itself is a cancelled, voided test order). */
function editedOrder(edit: (o: Record<string, unknown>) => void): string {
  const o = JSON.parse(sampleBody("orders-create.json"));
  edit(o);
  return JSON.stringify(o);
}

describe("sync webhooks", () => {
  it("applies the same delivery three times as one order, with counts unchanged", async () => {
    // GIVEN an installed shop and Shopify's orders/create sample
    await createShop({ domain: SHOP });
    const body = sampleBody("orders-create.json");

    // WHEN the same delivery (same webhook id) arrives three times and the queue is worked
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await deliver("orders/create", body, { webhookId: "dup-1" })).status);
    await drainEvents();
    const after1 = { orders: await prisma.order.count(), items: await prisma.lineItem.count(), events: await prisma.webhookEvent.count() };
    // AND Shopify also sends the same order under orders/paid (another webhook id)
    await deliver("orders/paid", body, { webhookId: "dup-2" });
    await drainEvents();

    // THEN every delivery got 200; one event per webhook id; one order with its line items
    expect(statuses).toEqual([200, 200, 200]);
    expect(after1).toEqual({ orders: 1, items: 5, events: 1 });
    expect(await prisma.order.count()).toBe(1);
    expect(await prisma.lineItem.count()).toBe(5);
    const order = await prisma.order.findFirstOrThrow();
    expect(order.id).toBe(ORDER_ID);
    expect(order.customerId).toBe(115310627314723954n);
    expect(order.totalPrice.toString()).toBe("404.95");
    expect(order.itemCount).toBe(5);
    expect(order.test).toBe(true);
    expect(order.cancelledAt).not.toBeNull();
    const events = await prisma.webhookEvent.findMany({ orderBy: { id: "asc" } });
    expect(events.map((e) => e.status)).toEqual(["applied", "applied"]);
  });

  it("records concurrent deliveries once each (a redelivery among them included) and applies each once", async () => {
    // GIVEN an installed shop and 40 different orders, one of them delivered twice at the same moment
    await createShop({ domain: SHOP });
    const bodies = Array.from({ length: 40 }, (_, i) =>
      editedOrder((o) => {
        o.admin_graphql_api_id = `gid://shopify/Order/${9_000_000 + i}`;
        o.line_items = (o.line_items as Record<string, unknown>[]).map((li, k) => ({ ...li, admin_graphql_api_id: `gid://shopify/LineItem/${90_000_000 + i * 10 + k}` }));
      }),
    );

    // WHEN all 41 deliveries arrive at once (so they are written together) and the queue is worked
    const since = (await syncPool().query("select clock_timestamp() as t")).rows[0].t as Date;
    const answers = await Promise.all([
      ...bodies.map((body, i) => deliver("orders/create", body, { webhookId: `burst-${i}` })),
      deliver("orders/create", bodies[7], { webhookId: "burst-7" }),
    ]);
    const jobs = await syncPool().query("select count(*)::int as n from pgboss.job where name = 'sync-event' and created_on >= $1", [since]);
    await drainEvents();

    // THEN every delivery got 200; one event and one job per webhook id; 40 orders applied once
    expect(answers.map((r) => r.status)).toEqual(Array(41).fill(200));
    expect(await prisma.webhookEvent.count()).toBe(40);
    expect(jobs.rows[0].n).toBe(40);
    expect(await prisma.order.count()).toBe(40);
    const events = await prisma.webhookEvent.findMany();
    expect(events.every((e) => e.status === "applied" && e.attempts === 1)).toBe(true);
  });

  it("ignores an orders/updated older than the stored row and applies a newer one", async () => {
    // GIVEN the order stored at its sample version (updated 2022-01-01T00:00Z)
    await createShop({ domain: SHOP });
    await deliver("orders/create", sampleBody("orders-create.json"));
    await drainEvents();

    // WHEN an older version (edited copy: updated earlier, different total) arrives
    await deliver("orders/updated", editedOrder((o) => {
      o.updated_at = "2021-12-01T00:00:00Z";
      o.total_price = "1.00";
    }));
    await drainEvents();
    // THEN it is ignored
    expect((await prisma.order.findFirstOrThrow()).totalPrice.toString()).toBe("404.95");

    // WHEN a newer version arrives (edited copy: paid, not cancelled, one line item)
    await deliver("orders/updated", editedOrder((o) => {
      o.updated_at = "2022-02-01T00:00:00Z";
      o.total_price = "99.00";
      o.financial_status = "paid";
      o.cancelled_at = null;
      o.line_items = (o.line_items as unknown[]).slice(0, 1);
      o.discount_codes = [{ code: "SPRING", amount: "5.00", type: "fixed_amount" }];
    }));
    await drainEvents();
    // THEN it replaces the stored row and its line items
    const order = await prisma.order.findFirstOrThrow();
    expect(order.totalPrice.toString()).toBe("99");
    expect(order.financialStatus).toBe("paid");
    expect(order.cancelledAt).toBeNull();
    expect(order.discountCodes).toEqual(["SPRING"]);
    expect(await prisma.lineItem.count()).toBe(1);
    expect(order.itemCount).toBe(1);
  });

  it("answers 401 to a wrong signature and stores nothing", async () => {
    // GIVEN an installed shop
    await createShop({ domain: SHOP });
    // WHEN an order arrives signed with another secret
    const response = await deliver("orders/create", sampleBody("orders-create.json"), { secret: "not-the-app-secret" });
    // THEN 401 and nothing is recorded
    expect(response.status).toBe(401);
    expect(await prisma.webhookEvent.count()).toBe(0);
    expect(await prisma.order.count()).toBe(0);
  });

  it("records a signed but unusable body as failed with a readable error and answers 200", async () => {
    // GIVEN an installed shop
    await createShop({ domain: SHOP });
    // WHEN a signed body that is not JSON, and a JSON order without its dates, arrive
    const notJson = await deliver("orders/create", "{ this is not json", { webhookId: "bad-1" });
    const noDates = await deliver("orders/create", editedOrder((o) => {
      delete o.updated_at;
    }), { webhookId: "bad-2" });
    await drainEvents();
    // THEN both are answered 200 and recorded as failed with a message a person can act on
    expect([notJson.status, noDates.status]).toEqual([200, 200]);
    const events = await prisma.webhookEvent.findMany({ orderBy: { webhookId: "asc" } });
    expect(events.map((e) => [e.webhookId, e.status])).toEqual([["bad-1", "failed"], ["bad-2", "failed"]]);
    expect(events[0].lastError).toMatch(/orders\/create: body is not JSON/);
    expect(events[1].lastError).toBe('order: "updated_at" is missing');
    expect(await prisma.order.count()).toBe(0);
  });

  it("stores none of the payloads' personal data in any column", async () => {
    // GIVEN an installed shop
    await createShop({ domain: SHOP });
    // WHEN Shopify's customer, order, refund and compliance samples are delivered and applied
    await deliver("customers/create", sampleBody("customers-create.json"));
    await deliver("orders/create", sampleBody("orders-create.json"));
    await deliver("refunds/create", sampleBody("refunds-create.json"));
    await deliver("customers/data_request", sampleBody("customers-data-request.json").replace("{shop}.myshopify.com", SHOP));
    await drainEvents();
    // THEN no column of any table holds a name, email, phone or address from them
    const pii = ["Bob", "Biller", "bob@biller.com", "john@example.com", "John", "Smith", "O'Connor", "Elm St", "Ottawa", "K2P 2L8", "K2H7A8", "555-555-5555", "123-123-1234", "555-625-1199"];
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const tables = await client.query<{ t: string }>("select tablename as t from pg_tables where schemaname = 'public'");
      const hits: string[] = [];
      for (const { t } of tables.rows) {
        const rows = await client.query(`select row_to_json(x)::text as j from "${t}" x`);
        for (const { j } of rows.rows) for (const s of pii) if ((j as string).includes(s)) hits.push(`${t}: ${s}`);
      }
      expect(hits).toEqual([]);
      expect(await prisma.customer.count({ where: { id: CUSTOMER_ID } })).toBe(1);
    } finally {
      await client.end();
    }
  });

  it("records and ignores webhooks for unknown and uninstalled shops", async () => {
    // GIVEN one uninstalled shop (and no shop for another domain)
    const shop = await createShop({ domain: SHOP });
    await prisma.shop.update({ where: { id: shop.id }, data: { installState: "uninstalled" } });
    // WHEN orders arrive for both
    const a = await deliver("orders/create", sampleBody("orders-create.json"));
    const b = await receiveWebhook(webhookRequest({ topic: "orders/create", shop: "nobody.myshopify.com", body: sampleBody("orders-create.json") }));
    await drainEvents();
    // THEN both answered 200, recorded as ignored, nothing applied
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await prisma.webhookEvent.findMany()).map((e) => e.status)).toEqual(["ignored", "ignored"]);
    expect(await prisma.order.count()).toBe(0);
  });

  it("keeps refunded_amount equal to the sum of refunds, each refund counted once", async () => {
    // GIVEN the sample order stored
    await createShop({ domain: SHOP });
    await deliver("orders/create", sampleBody("orders-create.json"));
    // WHEN the refunds/create sample arrives twice under two webhook ids. Edited copy: the sample's
    // order_id is rounded by the docs (820982911946154500); we put back the order's exact id.
    const refund = sampleBody("refunds-create.json").replace('"order_id": 820982911946154500', `"order_id": ${ORDER_ID}`);
    await deliver("refunds/create", refund);
    await deliver("refunds/create", refund);
    await drainEvents();
    // THEN one refund of 85.00 (its two successful refund transactions: 75 + 10)
    const refunds = await prisma.refund.findMany();
    expect(refunds.map((r) => [r.id, r.amount.toString()])).toEqual([[890088186047892319n, "85"]]);
    expect((await prisma.order.findFirstOrThrow()).refundedAmount.toString()).toBe("85");
  });

  it("honours the opt-out tag, ignores our own tag echoes, and keeps deleted customers deleted", async () => {
    // GIVEN the sample customer stored
    await createShop({ domain: SHOP });
    await deliver("customers/create", sampleBody("customers-create.json"));
    await drainEvents();
    const gid = `gid://shopify/Customer/${CUSTOMER_ID}`;
    // WHEN the opt-out tag is added, and our own segment tag echoes back
    await deliver("customer.tags_added", { customerId: gid, tags: ["seg:opt-out"], occurredAt: "2026-01-02T00:00:00Z" });
    await deliver("customer.tags_added", { customerId: gid, tags: ["seg:vip"], occurredAt: "2026-01-03T00:00:00Z" });
    // AND an older removal of the opt-out tag arrives late
    await deliver("customer.tags_removed", { customerId: gid, tags: ["seg:opt-out"], occurredAt: "2026-01-01T00:00:00Z" });
    await drainEvents();
    // THEN the customer is opted out, the echo was ignored
    expect((await prisma.customer.findFirstOrThrow()).optedOut).toBe(true);
    const echo = await prisma.webhookEvent.findFirstOrThrow({ where: { payload: { path: ["tags", "tags"], array_contains: ["seg:vip"] } } });
    expect(echo.lastError).toBe("our own tag echo");

    // WHEN the customer is deleted and a late customers/update (edited copy: newer updated_at) arrives
    await deliver("customers/delete", sampleBody("customers-delete.json"));
    await drainEvents();
    await deliver("customers/update", sampleBody("customers-update.json").replace(/"updated_at": "[^"]+"/, '"updated_at": "2027-01-01T00:00:00Z"'));
    await drainEvents();
    // THEN the tombstone stays
    const customer = await prisma.customer.findFirstOrThrow();
    expect(customer.deletedAt).not.toBeNull();
    expect(customer.updatedAt?.toISOString()).toBe("2022-01-01T00:00:00.000Z");
  });

  it("parks an event that keeps failing, lists it, and applies it on retry", async () => {
    allowConsoleError();
    // GIVEN an order event whose apply fails in the database (a trigger rejects order writes)
    const shop = await createShop({ domain: SHOP });
    await syncPool().query(`create or replace function reject_orders() returns trigger language plpgsql as $$ begin raise exception 'orders are read-only today'; end $$`);
    await syncPool().query("create trigger reject_orders before insert or update on orders for each row execute function reject_orders()");
    await deliver("orders/create", sampleBody("orders-create.json"));
    const event = await prisma.webhookEvent.findFirstOrThrow();
    try {
      // WHEN it fails once, then on its last allowed attempt
      expect(await processEvent(event.id)).toBe("retry");
      expect(await processEvent(event.id, { finalAttempt: true })).toBe("parked");
    } finally {
      await syncPool().query("drop trigger reject_orders on orders");
    }
    // THEN it is parked with its error and listed for the merchant
    const parked = await listParkedEvents(shop.id);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ topic: "orders/create", attempts: 2, lastError: expect.stringMatching(/read-only/) });
    // WHEN the merchant retries it (now that the cause is gone)
    expect(await retryParkedEvent(shop.id, parked[0].id)).toBe(true);
    expect(await retryParkedEvent(shop.id + 1, parked[0].id)).toBe(false);
    await drainEvents();
    // THEN it is applied
    expect(await prisma.order.count()).toBe(1);
    expect(await listParkedEvents(shop.id)).toEqual([]);
  });
});
