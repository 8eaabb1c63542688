import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { logChanges, seedPushCustomers } from "../../test/helpers/push-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { closeSyncPool } from "../sync/pg.server";
import { closeEnginePool } from "../segments/index.server";
import { stopBoss } from "../jobs/queue.server";
import { resetPushWorkers, startPushWorkers, sweepPushes } from "./jobs.server";
import { pushStatus } from "./push.server";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ subscriptions: [] });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  resetPushWorkers();
  await stopBoss({ graceful: false });
  await twin?.stop();
  await closeSyncPool();
  await closeEnginePool();
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not reached in time");
}

describe("push jobs", () => {
  it("the sweep finds a shop with changes past its cursor, and the push worker tags the customer", async () => {
    // GIVEN an installed shop whose change log has a change push-back has not seen
    const domain = "push-jobs.myshopify.com";
    const shop = twin.createShop(domain);
    const { id: shopId } = await installOnTwin(twin, domain);
    const id = 7_300_000_000_001n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter"] }]);
    await logChanges(shopId, [[id, "vip", "entered"]]);

    // WHEN the push workers start (their start runs the sweep) in this process
    await startPushWorkers({ schedule: false });

    // THEN a push job ran: the tag and the Flow trigger are in the twin, nothing is left
    await waitFor(() => shop.tags(id).includes("seg:vip") && shop.flowTriggers.length === 1);
    await waitFor(async () => (await pushStatus(shopId)).behind === 0 && (await pushStatus(shopId)).dirty === 0);
    expect(shop.tags(id).sort()).toEqual(["newsletter", "seg:vip"]);
    // AND a later sweep finds nothing to do
    expect(await sweepPushes()).toBe(0);
  });
});
