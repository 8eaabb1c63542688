import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, parseAndValidate, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { renderBlock } from "../../extensions/tests/liquid";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { saveOffer } from "../offers/offers.server";
import { adminFor } from "./admin-client.server";
import { CREATE_METAFIELD_DEFINITION, ensureOfferMetafieldDefinitions } from "./publish-offers-definitions.server";
import { SET_OFFERS_METAFIELD, SHOP_ID, publishOffers } from "./publish-offers.server";
import { CREATE_CODE_DISCOUNT, CREATE_SEGMENT, FIND_SEGMENT } from "./create-segment-discount.server";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin();
  void adminFor; // load the admin client (and app/shopify.server.ts) before rerouting
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
});

describe("offer documents", () => {
  it.each(Object.entries({ CREATE_METAFIELD_DEFINITION, SET_OFFERS_METAFIELD, SHOP_ID, CREATE_SEGMENT, FIND_SEGMENT, CREATE_CODE_DISCOUNT }))(
    "%s is a #graphql document valid against the Admin API 2026-10 schema",
    (_name, document) => {
      expect(document.trimStart().startsWith("#graphql")).toBe(true);
      expect(parseAndValidate(document).errors ?? []).toEqual([]);
    },
  );
});

describe("publishing offers to the twin", () => {
  it("creates the metafield definitions once, readable by the storefront, then publishes the feed Liquid renders", async () => {
    // GIVEN the app installed on a twin shop with a VIP segment and a live VIP offer
    const domain = "offers-publish.myshopify.com";
    twin.createShop(domain);
    const shop = await installOnTwin(twin, domain);
    await prisma.segment.create({ data: { shopId: shop.id, key: "vip", kind: "catalogue", name: "VIP" } });
    const saved = await saveOffer(shop.id, {
      segmentKey: "vip",
      content: { en: { headline: "Thanks, VIP", body: "Free shipping this week", cta: "Shop" } },
      ctaUrl: "/collections/all",
      discountCode: "VIP10",
    });
    expect(saved.ok).toBe(true);

    // WHEN the offers are published (which ensures the definitions), and the definitions ensured again
    const published = await publishOffers(domain);
    const again = await ensureOfferMetafieldDefinitions(adminFor(domain));

    // THEN both definitions exist once, app-owned, merchant-readable and storefront-readable
    expect(again).toEqual({ created: [], existing: ["shop.offers", "customer.segments"] });
    const definitions = twin.shop(domain).metafieldDefinitions;
    expect(definitions.map((d) => [d.ownerType, d.key, d.type, d.access])).toEqual([
      ["SHOP", "offers", "json", { admin: "MERCHANT_READ", storefront: "PUBLIC_READ" }],
      ["CUSTOMER", "segments", "json", { admin: "MERCHANT_READ", storefront: "PUBLIC_READ" }],
    ]);
    expect(definitions.every((d) => d.namespace.startsWith("app--"))).toBe(true);

    // AND the shop metafield holds the feed, which the block renders for a VIP
    expect(published.offers).toBe(1);
    const metafield = twin.shop(domain).metafield("SHOP", undefined, "$app", "offers");
    expect(metafield?.type).toBe("json");
    const feed = JSON.parse(metafield!.value);
    expect(feed.offers[0]).toMatchObject({ segment: "vip", discount_code: "VIP10", headline: { en: "Thanks, VIP" } });
    const html = await renderBlock("segment-offer", { feed, visitor: { kind: "customer", segments: ["vip"] } });
    expect(html).toContain("Thanks, VIP");
    expect(html).toContain("VIP10");
  });

  it("sends nothing when the feed would exceed 128 KB", async () => {
    const domain = "offers-too-big.myshopify.com";
    twin.createShop(domain);
    const shop = await installOnTwin(twin, domain);
    const huge = { headline: "h".repeat(120), body: "b".repeat(500), cta: "c".repeat(40) };
    await prisma.offer.createMany({
      data: Array.from({ length: 200 }, (_, i) => ({ shopId: shop.id, segmentKey: "vip", name: `o${i}`, content: { en: huge, es: huge, "pt-BR": huge } })),
    });
    const calls = twin.graphqlCalls.length;
    await expect(publishOffers(domain)).rejects.toThrow(/above Shopify's 128 KB limit/);
    expect(twin.graphqlCalls.length).toBe(calls);
    expect(twin.shop(domain).metafield("SHOP", undefined, "$app", "offers")).toBeUndefined();
  });
});
