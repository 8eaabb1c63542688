import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import prisma from "../app/db.server";
import { createShop } from "../test/factories";
import { startRouteServer, type RouteServer } from "../test/helpers/route-server";
import { signWebhook, startTwin, type Twin } from "./index.ts";

const sharedDir = process.env.SEGSYNC_SHARED_DIR ?? path.resolve(import.meta.dirname, "../../shared");
const sample = (name: string) => JSON.parse(readFileSync(path.join(sharedDir, "data/shopify-webhooks", name), "utf8")) as Record<string, unknown>;

let twin: Twin | undefined;
let routes: RouteServer | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await twin?.stop();
  await routes?.stop();
  if (receiver) await new Promise((resolve) => receiver!.close(resolve));
  twin = routes = receiver = undefined;
});

/** A stand-in app endpoint answering with the given statuses in turn (then 200). */
async function startReceiver(statuses: number[] = []) {
  const bodies: { topic: string; webhookId: string; eventId: string; body: string; hmac: string }[] = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push({
        topic: String(req.headers["x-shopify-topic"]),
        webhookId: String(req.headers["x-shopify-webhook-id"]),
        eventId: String(req.headers["x-shopify-event-id"]),
        hmac: String(req.headers["x-shopify-hmac-sha256"]),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, bodies };
}

const ALL_TOPICS = [
  "orders/create", "orders/updated", "orders/paid", "orders/cancelled", "refunds/create",
  "customers/create", "customers/update", "customers/delete", "customer.tags_added", "customer.tags_removed",
];

describe("twin webhooks", () => {
  it("delivers app/uninstalled to the app's real route, which accepts the HMAC", async () => {
    // GIVEN an installed shop in the app's database and the app's routes served over HTTP
    await createShop({ domain: "hook-twin.myshopify.com" });
    routes = await startRouteServer();
    twin = await startTwin({ appUrl: routes.url }); // subscriptions from shopify.app.toml
    twin.createShop("hook-twin.myshopify.com");
    twin.installApp("hook-twin.myshopify.com");
    // WHEN the merchant uninstalls the app
    twin.shop("hook-twin.myshopify.com").uninstall();
    await twin.webhooks.idle();
    // THEN the route answered 200 (authenticate.webhook verified the signature) and did its work
    const [delivery] = twin.webhooks.deliveries({ topic: "app/uninstalled" });
    expect(delivery).toMatchObject({ status: 200, ok: true, url: `${routes.url}/webhooks/app/uninstalled` });
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: "hook-twin.myshopify.com" } });
    expect(shop.installState).toBe("uninstalled");
  });

  it("is refused by the app's route when signed with another secret", async () => {
    await createShop({ domain: "badsig-twin.myshopify.com" });
    routes = await startRouteServer();
    twin = await startTwin({ appUrl: routes.url, apiSecret: "not-the-app-secret", timeScale: 0.0001 });
    twin.createShop("badsig-twin.myshopify.com").uninstall();
    await twin.webhooks.idle();
    const attempts = twin.webhooks.deliveries({ topic: "app/uninstalled" });
    expect(attempts[0].status).toBe(401);
    expect(attempts).toHaveLength(9); // the first attempt and Shopify's 8 retries
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: "badsig-twin.myshopify.com" } });
    expect(shop.installState).toBe("installed");
  });

  it("sends an order payload with every top-level key of Shopify's orders-create sample and exact ids", async () => {
    // GIVEN ids beyond 2^53, as real Shopify ids can be
    const app = await startReceiver();
    twin = await startTwin({ appUrl: app.url, subscriptions: [{ topics: ALL_TOPICS, uri: "/webhooks" }] });
    const shop = twin.createShop("payload-twin.myshopify.com");
    shop.createCustomer({ id: 9007199254740993n });
    // WHEN a shopper places an order
    const order = shop.placeOrder({ id: 9007199254740995n, customerId: 9007199254740993n, lineItems: [{ price: "19.99", quantity: 2 }] });
    await twin.webhooks.idle();
    // THEN orders/create carries Shopify's top-level keys and the ids written exactly
    const created = app.bodies.find((b) => b.topic === "orders/create")!;
    const payload = JSON.parse(created.body) as Record<string, unknown>;
    const missing = Object.keys(sample("orders-create.json")).filter((k) => !(k in payload));
    expect(missing).toEqual([]);
    expect(created.body).toContain(`"id":${order.id}`);
    expect(created.body).toContain(`"id":9007199254740993`);
    expect(created.hmac).toBe(signWebhook(created.body, "testApiSecretKey"));
    // and orders/paid of the same checkout shares the event id
    const paid = app.bodies.find((b) => b.topic === "orders/paid")!;
    expect(paid.eventId).toBe(created.eventId);
    expect(paid.webhookId).not.toBe(created.webhookId);
  });

  it("covers refunds, cancellations, customers and tag topics with Shopify's shapes", async () => {
    const app = await startReceiver();
    twin = await startTwin({ appUrl: app.url, subscriptions: [{ topics: ALL_TOPICS, uri: "/webhooks" }] });
    const shop = twin.createShop("topics-twin.myshopify.com");
    const customer = shop.createCustomer({ tags: ["a"] });
    const order = shop.placeOrder({ customerId: customer.id, lineItems: [{ price: "10.00", quantity: 3 }], paid: false });
    shop.payOrder(order.id);
    shop.refundOrder(order.id, { lineItems: [{ lineItemId: order.lineItems[0].id, quantity: 1 }] });
    shop.cancelOrder(order.id);
    shop.addTags(customer.id, ["vip"]);
    shop.removeTags(customer.id, ["a"]);
    shop.deleteCustomer(customer.id);
    await twin.webhooks.idle();
    const topics = app.bodies.map((b) => b.topic);
    expect(new Set(topics)).toEqual(new Set(ALL_TOPICS));
    const body = (topic: string) => JSON.parse(app.bodies.find((b) => b.topic === topic)!.body) as Record<string, unknown>;
    for (const [topic, file] of [["refunds/create", "refunds-create.json"], ["customers/create", "customers-create.json"], ["customers/delete", "customers-delete.json"]]) {
      expect(Object.keys(sample(file)).filter((k) => !(k in body(topic)))).toEqual([]);
    }
    expect(body("refunds/create")).toMatchObject({ refund_line_items: [{ quantity: 1, subtotal_set: { shop_money: { amount: "10.00" } } }] });
    expect(body("customer.tags_added")).toMatchObject({ customerId: `gid://shopify/Customer/${customer.id}`, tags: ["vip"] });
    expect(body("customer.tags_removed")).toMatchObject({ tags: ["a"] });
    expect(body("orders/cancelled")).toMatchObject({ cancel_reason: "customer", financial_status: "partially_refunded" });
  });

  it("retries failures with compressed time and keeps the webhook id", async () => {
    const app = await startReceiver([500, 502]);
    twin = await startTwin({ appUrl: app.url, timeScale: 0.0001, subscriptions: [{ topics: ["customers/create"], uri: "/webhooks" }] });
    twin.createShop("retry-twin.myshopify.com").createCustomer();
    await twin.webhooks.idle();
    const attempts = twin.webhooks.deliveries({ topic: "customers/create" });
    expect(attempts.map((a) => a.status)).toEqual([500, 502, 200]);
    expect(new Set(attempts.map((a) => a.webhookId)).size).toBe(1);
    expect(app.bodies).toHaveLength(3);
  });

  it("duplicates, drops and reorders deliveries on request", async () => {
    const app = await startReceiver();
    twin = await startTwin({ appUrl: app.url, subscriptions: [{ topics: ["customers/create"], uri: "/webhooks" }] });
    const shop = twin.createShop("faults-twin.myshopify.com");
    twin.webhooks.setFaults({ duplicate: 1 });
    shop.createCustomer();
    await twin.webhooks.idle();
    expect(app.bodies).toHaveLength(2);
    expect(app.bodies[0].webhookId).toBe(app.bodies[1].webhookId);

    twin.webhooks.setFaults({ drop: 1 });
    shop.createCustomer();
    await twin.webhooks.idle();
    expect(app.bodies).toHaveLength(2);
    expect(twin.webhooks.records.filter((r) => r.state === "dropped")).toHaveLength(1);

    twin.webhooks.setFaults({ reorder: 20 });
    const ids = Array.from({ length: 20 }, () => String(shop.createCustomer().id));
    await twin.webhooks.idle();
    const order = app.bodies.slice(2).map((b) => (JSON.parse(b.body) as { admin_graphql_api_id: string }).admin_graphql_api_id.split("/").pop());
    expect([...order].sort()).toEqual([...ids].sort());
    expect(order).not.toEqual(ids);
  });
});
