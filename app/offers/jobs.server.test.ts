import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startTwinForFile } from "../../test/helpers/twin-app";
import { saveOffer } from "./offers.server";
import { handleOffersPublish, requestOffersPublish } from "./jobs.server";

const app = startTwinForFile();

describe("the offers publish job", () => {
  it("is queued once per shop and publishes the feed to the shop metafield", async () => {
    // GIVEN an installed shop with a live VIP offer
    const domain = "offers-job.myshopify.com";
    app.twin.createShop(domain);
    const shop = await installOnTwin(app.twin, domain);
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
    const feed = JSON.parse(app.twin.shop(domain).metafield("SHOP", undefined, "$app", "offers")!.value);
    expect(feed.offers.map((o: { segment: string }) => o.segment)).toEqual(["vip"]);
  });

  it("skips a shop that is no longer installed", async () => {
    const uninstalled = await prisma.shop.create({ data: { domain: "gone.myshopify.com", installState: "uninstalled" } });
    expect(await handleOffersPublish(uninstalled.id)).toEqual({ skipped: true });
  });
});
