import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { saveOffer } from "./offers.server";
import { handleOffersPublish, requestOffersPublish } from "./jobs.server";
import { stopBoss } from "../jobs/queue.server";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin();
  void adminFor; // load the admin client (and app/shopify.server.ts) before rerouting
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await stopBoss({ graceful: false });
  await twin?.stop();
});

describe("the offers publish job", () => {
  it("is queued once per shop and publishes the feed to the shop metafield", async () => {
    // GIVEN an installed shop with a live VIP offer
    const domain = "offers-job.myshopify.com";
    twin.createShop(domain);
    const shop = await installOnTwin(twin, domain);
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    const saved = await saveOffer(shop.id, { segmentKey: "vip", content: { en: { headline: "Hi VIP", body: "", cta: "" } } });
    expect(saved.ok).toBe(true);

    // WHEN a publish is requested twice (two quick edits) and the job runs
    const first = await requestOffersPublish(shop.id);
    const second = await requestOffersPublish(shop.id);
    const result = await handleOffersPublish(shop.id);

    // THEN one job was queued, and the shop metafield holds the offer
    expect(first).toBeTruthy();
    expect(second).toBeNull();
    expect(result).toMatchObject({ offers: 1 });
    const feed = JSON.parse(twin.shop(domain).metafield("SHOP", undefined, "$app", "offers")!.value);
    expect(feed.offers.map((o: { segment: string }) => o.segment)).toEqual(["vip"]);
  });

  it("skips a shop that is no longer installed", async () => {
    const uninstalled = await prisma.shop.create({ data: { domain: "gone.myshopify.com", installState: "uninstalled" } });
    expect(await handleOffersPublish(uninstalled.id)).toEqual({ skipped: true });
  });
});
