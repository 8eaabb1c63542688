import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExact, startTwin, type Twin } from "./index.ts";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ subscriptions: [] });
});
afterAll(async () => {
  await twin.stop();
});

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${twin.url}/__twin${path}`, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: parseExact(await response.text()) as Record<string, unknown> & unknown[] };
}

describe("control API over HTTP (for the demo, benches and worker processes)", () => {
  it("creates, seeds, installs and drives a shop as shoppers and merchants would", async () => {
    const domain = "control-twin.myshopify.com";
    // GIVEN a shop created and seeded from the project's generator over HTTP
    expect((await control("POST", "/shops", { domain, currency: "EUR" })).status).toBe(200);
    const seeded = await control("POST", `/shops/${domain}/seed`, { customers: 30, ordersPerCustomer: 2, seed: 7, now: "2026-11-01T00:00:00Z" });
    expect(seeded.body.customers).toBe(30);
    const install = await control("POST", `/shops/${domain}/install`);
    expect(install.body.accessToken).toMatch(/^shpat_/);

    // WHEN a shopper places and pays an order and the merchant refunds and tags
    const customerId = twin.shop(domain).customers[0].id;
    const order = await control("POST", `/shops/${domain}/orders`, { customerId: String(customerId), lineItems: [{ price: "12.50", quantity: 2 }], paid: false });
    const orderId = String(order.body.id);
    expect(orderId).toMatch(/^\d+$/);
    await control("POST", `/shops/${domain}/orders/${orderId}/pay`);
    await control("POST", `/shops/${domain}/orders/${orderId}/refund`, { amount: "5.00" });
    const tags = await control("POST", `/shops/${domain}/customers/${customerId}/tags`, { add: ["vip"] });

    // THEN the twin's state and the Admin API agree
    expect(tags.body.tags).toContain("vip");
    const payload = await control("GET", `/shops/${domain}/orders/${orderId}/payload`);
    expect(payload.body).toMatchObject({ financial_status: "partially_refunded", total_price: "25.00", current_total_price: "20.00", currency: "EUR" });
    const admin = twin.adminClient(domain, install.body.accessToken as string);
    const read = await admin.graphql<{ customer: { tags: string[] } }>(`{ customer(id: "gid://shopify/Customer/${customerId}") { tags } }`);
    expect(read.data!.customer.tags).toContain("vip");
    expect((await control("GET", `/shops/${domain}/session-token`)).body.idToken).toMatch(/^eyJ/);
    expect((await control("GET", "/shops/nope.myshopify.com/flow-triggers")).status).toBe(400);
  });
});
