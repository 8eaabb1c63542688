// Offer results from bulk merges: orders that reach the database through a reconciliation (their
// webhooks were lost) are attributed to the offer whose code they used, as webhook applies are.
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { generateStore } from "../../datasets/generate.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startTwinAppForFile } from "../../test/helpers/twin-app";
import { drainRuns } from "../jobs/drain.server";
import { startSyncRun } from "../sync/runs.server";
import { updateSegmentSettings } from "../segments/index.server";
import { offerResults, saveOffer } from "./offers.server";

const app = startTwinAppForFile();

describe("offer attribution after a bulk merge", () => {
  it("attributes orders that only a reconciliation brought in", async () => {
    // GIVEN a backfilled shop with a VIP offer using the code VIP10
    const domain = "bulk-attribution.myshopify.com";
    await app.twin.seed(domain, generateStore({ customers: 40, ordersPerCustomer: 2, seed: 5, domain }));
    const shop = await installOnTwin(app.twin, domain);
    await startSyncRun(shop.id, "backfill");
    await drainRuns();
    await updateSegmentSettings(shop.id, "vip", {});
    const saved = await saveOffer(shop.id, { segmentKey: "vip", content: { en: { headline: "VIP: 10% off", body: "", cta: "Shop" } }, ctaUrl: "/collections/all", discountCode: "VIP10" });
    expect(saved.ok ? [] : saved.errors).toEqual([]);

    // WHEN two orders use the code (one in lower case) while every webhook is lost, and a third uses none
    app.twin.webhooks.setFaults({ drop: 1 }, domain);
    const s = app.twin.shop(domain);
    const [c1, c2] = s.customers.map((c) => c.id);
    const processedAt = new Date(Date.now() + 60_000);
    s.placeOrder({ customerId: c1, lineItems: [{ price: "20.00", quantity: 1 }], discountCodes: ["VIP10"], processedAt });
    s.placeOrder({ customerId: c2, lineItems: [{ price: "15.50", quantity: 2 }], discountCodes: ["vip10"], processedAt });
    s.placeOrder({ customerId: c2, lineItems: [{ price: "99.00", quantity: 1 }], processedAt });
    await app.twin.webhooks.idle();
    expect(await prisma.offerAttribution.count({ where: { shopId: shop.id } })).toBe(0);
    // AND a reconciliation runs
    await startSyncRun(shop.id, "reconcile");
    await drainRuns();

    // THEN the offer counts both redemptions and their revenue
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 2, revenue: "51.00" });
  });
});
