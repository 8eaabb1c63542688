// Issue 7, "done when": an order placed in the twin with an offer's code shows up in that offer's
// results, through the real path: twin webhook -> route -> queue -> sync apply -> attribution.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startRouteServer, type RouteServer } from "../../test/helpers/route-server";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { drainEvents } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";
import { closeSyncPool } from "../sync/pg.server";
import { offerResults, saveOffer } from "./offers.server";

let twin: Twin;
let routes: RouteServer;
beforeAll(async () => {
  routes = await startRouteServer();
  twin = await startTwin({ appUrl: routes.url, timeScale: 0.0001 });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await twin?.stop();
  await routes?.stop();
});

async function settle() {
  await twin.webhooks.idle();
  await drainEvents();
}

describe("offer results from the twin", () => {
  it("counts an order placed with the offer's code, once, net of its refund", async () => {
    // GIVEN the app on a twin shop, a VIP customer and a VIP offer with the code VIP10
    const domain = "offer-results.myshopify.com";
    const twinShop = twin.createShop(domain);
    const shop = await installOnTwin(twin, domain);
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    const customer = twinShop.createCustomer({ tags: ["seg:vip"] });
    await settle();
    await prisma.membership.create({ data: { shopId: shop.id, segmentKey: "vip", customerId: BigInt(customer.id), enteredAt: new Date() } });
    const saved = await saveOffer(shop.id, {
      segmentKey: "vip",
      content: { en: { headline: "VIP week", body: "", cta: "" } },
      discountCode: "VIP10",
    });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));

    // WHEN the customer orders with the code (orders/create and orders/paid, possibly redelivered)
    // and another order arrives without it
    twinShop.setWebhookFaults({ duplicate: 0.5 });
    const order = twinShop.placeOrder({ customerId: customer.id, lineItems: [{ price: "40.00", quantity: 2 }], discountCodes: ["vip10"] });
    twinShop.placeOrder({ customerId: customer.id, lineItems: [{ price: "15.00" }] });
    await settle();

    // THEN the offer shows one redemption with that order's revenue
    const total = twinShop.order(order.id)!.totalPrice;
    const [result] = await offerResults(shop.id);
    expect(result).toMatchObject({ offerId: saved.offer.id, segmentKey: "vip", membersTargeted: 1, redemptions: 1, revenue: Number(total).toFixed(2) });

    // WHEN part of it is refunded THEN the revenue is net of the refund
    twinShop.refundOrder(order.id, { amount: "10.00" });
    await settle();
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 1, revenue: (Number(total) - 10).toFixed(2) });

    // WHEN it is cancelled THEN the offer no longer counts it
    twinShop.cancelOrder(order.id);
    await settle();
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 0, revenue: "0.00" });
  });
});
