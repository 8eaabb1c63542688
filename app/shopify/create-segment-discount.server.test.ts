import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { saveOffer } from "../offers/offers.server";
import { adminFor } from "./admin-client.server";
import { createSegmentDiscount, segmentQueryFor } from "./create-segment-discount.server";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin();
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
});

describe("createSegmentDiscount", () => {
  it("creates a code only the segment's members can use and records it on the offer", async () => {
    // GIVEN the app on a twin shop with a VIP offer carrying the code VIP10
    const domain = "offers-discount.myshopify.com";
    twin.createShop(domain);
    const shop = await installOnTwin(twin, domain);
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    const saved = await saveOffer(shop.id, {
      segmentKey: "vip",
      content: { en: { headline: "VIP week", body: "", cta: "" } },
      discountCode: "VIP10",
      endsAt: "2027-01-01T00:00:00Z",
    });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));

    // WHEN the app creates the discount for it
    const result = await createSegmentDiscount(domain, {
      offerId: saved.offer.id,
      title: "VIP week",
      code: "VIP10",
      segmentKey: "vip",
      tagPrefix: "seg:",
      value: { percentage: 0.1 },
      startsAt: null,
      endsAt: saved.offer.endsAt,
    });

    // THEN Shopify holds a customer segment on our tag and a code restricted to it
    const twinShop = twin.shop(domain);
    expect(twinShop.segments).toEqual([expect.objectContaining({ name: `Segment Sync: vip (offer ${saved.offer.id})`, query: "customer_tags CONTAINS 'seg:vip'" })]);
    expect(result.segmentId).toBe(`gid://shopify/Segment/${twinShop.segments[0].id}`);
    expect(twinShop.discounts).toHaveLength(1);
    expect(twinShop.discounts[0].codes).toEqual(["VIP10"]);
    expect(twinShop.discounts[0].input).toMatchObject({
      context: { customerSegments: { add: [result.segmentId] } },
      customerGets: { value: { percentage: 0.1 }, items: { all: true } },
      endsAt: "2027-01-01T00:00:00.000Z",
      appliesOncePerCustomer: true,
    });
    // AND the offer remembers the discount
    expect((await prisma.offer.findUniqueOrThrow({ where: { id: saved.offer.id } })).discountId).toBe(result.discountId);

    // WHEN another offer asks for the same code THEN Shopify's refusal is reported and nothing is recorded
    const again = { title: "again", code: "VIP10", segmentKey: "vip", tagPrefix: "seg:", value: { amount: "5.00" }, startsAt: null, endsAt: null };
    await expect(createSegmentDiscount(domain, { ...again, offerId: saved.offer.id + 1 })).rejects.toThrow(
      /refused the discount code VIP10: Code must be unique/,
    );
    expect(twinShop.discounts).toHaveLength(1);
  });

  it("refuses tags a segment query cannot hold, and the guest audience", () => {
    expect(segmentQueryFor("seg:", "big-spender")).toBe("customer_tags CONTAINS 'seg:big-spender'");
    expect(() => segmentQueryFor("o'neil:", "vip")).toThrow(/quote/);
    expect(() => segmentQueryFor("seg:", "@guest")).toThrow(/Discounts page/);
  });
});
