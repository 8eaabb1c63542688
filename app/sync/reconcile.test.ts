import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { generateStore } from "../../datasets/generate.ts";
import { installOnTwin, dbFigures, twinFigures } from "../../test/helpers/sync-twin";
import { startRouteServer, type RouteServer } from "../../test/helpers/route-server";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { drainEvents, drainRuns } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";
import { closeSyncPool } from "./pg.server";
import { getBackfillProgress, startSyncRun } from "./runs.server";

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

const tick = () => new Promise((r) => setTimeout(r, 3));

describe("reconciliation", () => {
  it("repairs what 5 % dropped webhooks missed, until the database equals the twin", async () => {
    // GIVEN a backfilled twin shop
    const domain = "reconcile.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 300, ordersPerCustomer: 2, seed: 11, domain }));
    const shop = await installOnTwin(twin, domain);
    await startSyncRun(shop.id, "backfill");
    await drainRuns();
    expect(await dbFigures(shop.id)).toEqual(twinFigures(twin.shop(domain)));

    // WHEN the twin drops 5 % of deliveries while shoppers and the merchant keep the store busy
    twin.webhooks.setFaults({ drop: 0.05 }, domain);
    const s = twin.shop(domain);
    const customerIds = s.customers.map((c) => c.id);
    for (let i = 0; i < 150; i++) {
      const customerId = customerIds[(i * 7) % customerIds.length];
      const order = s.placeOrder({ customerId, lineItems: [{ price: `${10 + (i % 9)}.50`, quantity: 1 + (i % 3), productType: "Tea", vendor: "Leaf" }] });
      await tick();
      if (i % 5 === 0) s.refundOrder(order.id, { amount: "3.00" });
      if (i % 11 === 0) s.cancelOrder(order.id);
      if (i % 13 === 0) s.addTags(customerId, ["seg:opt-out"]);
      if (i % 17 === 0) s.createCustomer({ firstName: "New", email: `n${i}@example.com` });
      await tick();
    }
    await twin.webhooks.idle();
    await drainEvents();
    const dropped = twin.webhooks.records.filter((r) => r.shop === domain && r.state === "dropped").length;
    const before = await dbFigures(shop.id);

    // AND a reconciliation runs
    await startSyncRun(shop.id, "reconcile");
    await drainRuns();

    // THEN deliveries were really dropped, the database differed, and now equals the twin
    expect(dropped).toBeGreaterThan(5);
    const after = await dbFigures(shop.id);
    const expected = twinFigures(twin.shop(domain));
    expect(before).not.toEqual(expected);
    expect(after).toEqual(expected);
    // AND the run says what it repaired
    const run = await getBackfillProgress(shop.id);
    expect(run).toMatchObject({ kind: "reconcile", status: "completed" });
    expect(run?.repaired).toBeGreaterThan(0);
    expect(await prisma.syncRun.count({ where: { shopId: shop.id } })).toBe(2);
  });
});
