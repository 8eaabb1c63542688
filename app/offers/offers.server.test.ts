import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createCustomer, createShop } from "../../test/factories";
import { GUEST_AUDIENCE, METAFIELD_JSON_LIMIT_BYTES, OffersFeedTooLargeError, pickOffer } from "./feed";
import { attributeOrder, buildOffersMetafield, deleteOffer, listOffers, offerResults, redactOfferCustomer, saveOffer } from "./offers.server";
import type { OfferInput } from "./validate";

const DAY = 86_400_000;
const NOW = new Date("2026-11-23T12:00:00Z");
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

async function shopWithSegments(...keys: string[]) {
  const shop = await createShop();
  for (const key of keys) await prisma.segment.create({ data: { shopId: shop.id, key, kind: "catalogue", name: key.toUpperCase() } });
  return shop;
}

function input(segmentKey: string, extra: Partial<OfferInput> = {}): OfferInput {
  return {
    segmentKey,
    content: {
      en: { headline: `${segmentKey}: 10% off`, body: "Thanks for shopping with us.", cta: "Shop now" },
      es: { headline: `${segmentKey}: 10% de descuento`, body: "", cta: "Comprar" },
    },
    ctaUrl: "/collections/all",
    ...extra,
  };
}

async function saved(shopId: number, offer: OfferInput) {
  const result = await saveOffer(shopId, offer, NOW);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.offer;
}

describe("saveOffer", () => {
  it("stores a valid offer and lists offers by priority", async () => {
    // GIVEN a shop with the vip and lost segments
    const shop = await shopWithSegments("vip", "lost");
    // WHEN the merchant saves two offers
    const low = await saved(shop.id, input("lost", { priority: 1, discountCode: " comeback15 " }));
    const high = await saved(shop.id, input("vip", { priority: 10, startsAt: at(-1).toISOString(), endsAt: at(30).toISOString() }));
    // THEN they are stored normalised and listed highest priority first
    expect(low).toMatchObject({ segmentKey: "lost", discountCode: "COMEBACK15", name: "lost: 10% off", enabled: true });
    expect(high.startsAt?.toISOString()).toBe(at(-1).toISOString());
    expect((await listOffers(shop.id)).map((o) => o.id)).toEqual([high.id, low.id]);
  });

  it("rejects invalid input with every problem named, and stores nothing", async () => {
    const shop = await shopWithSegments("vip");
    const result = await saveOffer(
      shop.id,
      {
        segmentKey: "VIP customers",
        content: { en: { headline: "", body: "x".repeat(501), cta: "Go" } },
        ctaUrl: "javascript:alert(1)",
        discountCode: "no spaces!",
        priority: 1.5,
        startsAt: "2026-12-01",
        endsAt: "2026-11-01",
      },
      NOW,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.field}:${e.code}`).sort()).toEqual(
      [
        "segmentKey:invalid_segment",
        "content.en.headline:required",
        "content.en.body:too_long",
        "ctaUrl:invalid_url",
        "discountCode:invalid_code",
        "priority:invalid_priority",
        "endsAt:ends_before_start",
      ].sort(),
    );
    for (const e of result.errors) expect(e.message.length).toBeGreaterThan(10);
    expect(await listOffers(shop.id)).toEqual([]);
  });

  it("rejects an unknown segment, a call to action without a link, and a code another offer uses", async () => {
    const shop = await shopWithSegments("vip", "lost");
    await saved(shop.id, input("vip", { discountCode: "VIP10" }));
    const unknown = await saveOffer(shop.id, input("churn-late"), NOW);
    expect(unknown).toMatchObject({ ok: false, errors: [{ field: "segmentKey", code: "unknown_segment" }] });
    const noLink = await saveOffer(shop.id, input("vip", { ctaUrl: null }), NOW);
    expect(noLink).toMatchObject({ ok: false, errors: [{ field: "ctaUrl", code: "cta_needs_url" }] });
    const dup = await saveOffer(shop.id, input("lost", { discountCode: "vip10" }), NOW);
    expect(dup).toMatchObject({ ok: false, errors: [{ field: "discountCode", code: "duplicate_code" }] });
  });

  it("updates an offer in place and never touches another shop's offer", async () => {
    const shop = await shopWithSegments("vip");
    const other = await shopWithSegments("vip");
    const offer = await saved(shop.id, input("vip"));
    const updated = await saved(shop.id, { ...input("vip", { priority: 7 }), id: offer.id });
    expect(updated).toMatchObject({ id: offer.id, priority: 7 });
    const foreign = await saveOffer(other.id, { ...input("vip"), id: offer.id }, NOW);
    expect(foreign).toMatchObject({ ok: false, errors: [{ code: "not_found" }] });
    expect(await deleteOffer(other.id, offer.id)).toBe(false);
    expect(await deleteOffer(shop.id, offer.id)).toBe(true);
    expect(await listOffers(shop.id)).toEqual([]);
  });

  it("refuses the offer that would push the published feed past 128 KB", async () => {
    const shop = await shopWithSegments("vip");
    const long = (lang: string, i: number) => ({ headline: `${lang} ${i} `.padEnd(120, "h"), body: `${lang} ${i} `.padEnd(500, "é"), cta: "c".repeat(40) });
    let refused = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const result = await saveOffer(shop.id, { segmentKey: "vip", content: { en: long("en", i), es: long("es", i), "pt-BR": long("pt", i) }, ctaUrl: "/x" }, NOW);
      if (!result.ok) refused = result.errors;
    }
    expect(refused).toMatchObject([{ field: "content", code: "too_large" }]);
    // AND what was accepted still publishes
    const { bytes } = await buildOffersMetafield(shop.id, NOW);
    expect(bytes).toBeLessThan(METAFIELD_JSON_LIMIT_BYTES);
    expect(bytes).toBeGreaterThan(METAFIELD_JSON_LIMIT_BYTES - 8 * 1024);
  });
});

describe("buildOffersMetafield", () => {
  it("publishes enabled offers that have not ended, by priority, in the shape Liquid reads", async () => {
    const shop = await shopWithSegments("vip", "lost");
    await prisma.shop.update({ where: { id: shop.id }, data: { settings: { optOutTag: "no-profiling" } } });
    const vip = await saved(shop.id, input("vip", { priority: 10, discountCode: "VIP10" }));
    const scheduled = await saved(shop.id, input("lost", { priority: 20, startsAt: at(3) }));
    const guest = await saved(shop.id, input(GUEST_AUDIENCE, { priority: 0, ctaUrl: "https://example.com/welcome" }));
    await saved(shop.id, input("lost", { enabled: false }));
    await saved(shop.id, input("vip", { startsAt: at(-30), endsAt: at(-1) }));

    const { feed, value, bytes } = await buildOffersMetafield(shop.id, NOW);

    expect(JSON.parse(value)).toEqual(feed);
    expect(bytes).toBe(Buffer.byteLength(value));
    expect(feed).toMatchObject({ version: 1, generated_at: NOW.toISOString(), opt_out_tag: "no-profiling" });
    expect(feed.offers.map((o) => o.id)).toEqual([String(scheduled.id), String(vip.id), String(guest.id)]);
    expect(feed.offers[1]).toEqual({
      id: String(vip.id),
      segment: "vip",
      priority: 10,
      starts_at: null,
      ends_at: null,
      headline: { en: "vip: 10% off", es: "vip: 10% de descuento" },
      body: { en: "Thanks for shopping with us." },
      cta: { en: "Shop now", es: "Comprar" },
      cta_url: "/collections/all",
      discount_code: "VIP10",
    });
    expect(feed.offers[0].starts_at).toBe(at(3).toISOString());
  });

  it("throws a clear error instead of writing an oversized metafield", async () => {
    const shop = await shopWithSegments("vip");
    const huge = { headline: "h".repeat(120), body: "b".repeat(500), cta: "c".repeat(40) };
    // Rows written around saveOffer's guard (as an older app version or a bulk import could).
    await prisma.offer.createMany({
      data: Array.from({ length: 200 }, (_, i) => ({ shopId: shop.id, segmentKey: "vip", name: `o${i}`, content: { en: huge, es: huge, "pt-BR": huge } })),
    });
    await expect(buildOffersMetafield(shop.id, NOW)).rejects.toThrow(OffersFeedTooLargeError);
    await expect(buildOffersMetafield(shop.id, NOW)).rejects.toThrow(/above Shopify's 128 KB limit/);
  });

  it("agrees with pickOffer, the choice push-back writes into the customer metafield", async () => {
    const shop = await shopWithSegments("vip", "big-spender");
    await saved(shop.id, input("big-spender", { priority: 5 }));
    const vip = await saved(shop.id, input("vip", { priority: 9 }));
    expect(pickOffer(await listOffers(shop.id), ["big-spender", "vip"], NOW)?.id).toBe(vip.id);
    expect(pickOffer(await listOffers(shop.id), ["lost"], NOW)).toBeNull();
  });
});

describe("attributeOrder and offerResults", () => {
  const PLACED = () => new Date();
  it("attributes an order that used an offer's code to that offer and segment, once per order", async () => {
    // GIVEN a VIP offer with a code, three VIP members (one opted out) and a lost-segment offer
    const shop = await shopWithSegments("vip", "lost");
    const vipOffer = await saved(shop.id, input("vip", { discountCode: "VIP10", priority: 5 }));
    const lostOffer = await saved(shop.id, input("lost", { discountCode: "BACK15" }));
    for (const id of [101n, 102n, 103n]) {
      await createCustomer(shop.id, { id });
      await prisma.membership.create({ data: { shopId: shop.id, segmentKey: "vip", customerId: id, enteredAt: NOW } });
    }
    await prisma.customer.update({ where: { shopId_id: { shopId: shop.id, id: 103n } }, data: { optedOut: true } });

    // WHEN sync applies an order that used the code (lower case, as shoppers type it), twice
    const order = { id: "gid://shopify/Order/9001", customerId: "101", discountCodes: ["vip10"], totalPrice: "120.50", processedAt: PLACED() };
    const first = await attributeOrder(shop.id, order);
    const again = await attributeOrder(shop.id, order);

    // THEN one attribution exists, to the offer and its segment, with the member flagged
    expect({ ...again, updatedAt: null }).toEqual({ ...first, updatedAt: null });
    expect(first).toMatchObject({ orderId: 9001n, offerId: vipOffer.id, segmentKey: "vip", customerId: 101n, wasMember: true, discountCode: "VIP10" });
    expect(await prisma.offerAttribution.count({ where: { shopId: shop.id } })).toBe(1);

    // WHEN other orders arrive: one without a code, one with an unrelated code, one with the lost code
    expect(await attributeOrder(shop.id, { id: 9002n, customerId: 102n, discountCodes: [], totalPrice: "50", processedAt: PLACED() })).toBeNull();
    expect(await attributeOrder(shop.id, { id: 9003n, customerId: 102n, discountCodes: ["SUMMER"], totalPrice: "50", processedAt: PLACED() })).toBeNull();
    const lost = await attributeOrder(shop.id, { id: 9004n, customerId: 102n, discountCodes: ["BACK15"], totalPrice: "30.00", processedAt: PLACED() });
    expect(lost).toMatchObject({ offerId: lostOffer.id, segmentKey: "lost", wasMember: false });
    // AND a refund arrives for the first order (re-applied with its refunded amount)
    await attributeOrder(shop.id, { ...order, refundedAmount: "20.50" });

    // THEN the results count each order once, net of refunds, against the members targeted
    const results = await offerResults(shop.id);
    expect(results).toEqual([
      expect.objectContaining({ offerId: vipOffer.id, segmentKey: "vip", live: true, membersTargeted: 2, redemptions: 1, revenue: "100.00", currency: "USD" }),
      expect.objectContaining({ offerId: lostOffer.id, segmentKey: "lost", membersTargeted: 0, redemptions: 1, revenue: "30.00" }),
    ]);
  });

  it("takes the attribution back when the order is cancelled or loses the code", async () => {
    const shop = await shopWithSegments("vip");
    const offer = await saved(shop.id, input("vip", { discountCode: "VIP10" }));
    const order = { id: 77n, customerId: null, discountCodes: ["VIP10"], totalPrice: "10", processedAt: PLACED() };
    await attributeOrder(shop.id, order);
    expect((await offerResults(shop.id))[0]).toMatchObject({ offerId: offer.id, redemptions: 1, revenue: "10.00" });
    await attributeOrder(shop.id, { ...order, cancelled: true });
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 0, revenue: "0.00" });
    await attributeOrder(shop.id, order);
    await attributeOrder(shop.id, { ...order, discountCodes: ["OTHER"] });
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 0 });
  });

  it("picks the higher-priority offer when an order used two offers' codes, and keeps shops apart", async () => {
    const shop = await shopWithSegments("vip", "lost");
    const other = await shopWithSegments("vip");
    await saved(other.id, input("vip", { discountCode: "VIP10" }));
    await saved(shop.id, input("lost", { discountCode: "BACK15", priority: 1 }));
    const vip = await saved(shop.id, input("vip", { discountCode: "VIP10", priority: 2 }));
    const row = await attributeOrder(shop.id, { id: 5n, customerId: 1n, discountCodes: ["BACK15", "VIP10"], totalPrice: "80", processedAt: PLACED() });
    expect(row?.offerId).toBe(vip.id);
    expect((await offerResults(other.id))[0]).toMatchObject({ redemptions: 0 });
  });

  it("does not credit an offer with orders placed before it applied", async () => {
    const shop = await shopWithSegments("vip");
    const offer = await saved(shop.id, input("vip", { discountCode: "VIP10" }));
    // Shopify's processed_at has whole seconds: an order within the offer's first second counts.
    const sameSecond = new Date(Math.floor(offer.createdAt.getTime() / 1000) * 1000);
    expect(await attributeOrder(shop.id, { id: 2n, customerId: null, discountCodes: ["VIP10"], totalPrice: "5", processedAt: sameSecond })).not.toBeNull();
    const lastWeek = new Date(Date.now() - 7 * DAY);
    expect(await attributeOrder(shop.id, { id: 1n, customerId: null, discountCodes: ["VIP10"], totalPrice: "5", processedAt: lastWeek })).toBeNull();
    // A start date in the past claims the orders from then on.
    await saved(shop.id, { ...input("vip", { discountCode: "VIP10", startsAt: new Date(Date.now() - 10 * DAY) }), id: offer.id });
    expect(await attributeOrder(shop.id, { id: 1n, customerId: null, discountCodes: ["VIP10"], totalPrice: "5", processedAt: lastWeek })).toMatchObject({ offerId: offer.id });
  });

  it("refuses an order id that lost precision as a JS number", async () => {
    const shop = await shopWithSegments("vip");
    await saved(shop.id, input("vip", { discountCode: "VIP10" }));
    await expect(
      attributeOrder(shop.id, { id: 2 ** 60, customerId: null, discountCodes: ["VIP10"], totalPrice: "1", processedAt: PLACED() }),
    ).rejects.toThrow(/lost precision/);
  });

  it("forgets the customer on customers/redact but keeps the offer's numbers", async () => {
    const shop = await shopWithSegments("vip");
    await saved(shop.id, input("vip", { discountCode: "VIP10" }));
    await attributeOrder(shop.id, { id: 1n, customerId: 42n, discountCodes: ["VIP10"], totalPrice: "9.99", processedAt: PLACED() });
    await redactOfferCustomer(shop.id, 42n);
    expect(await prisma.offerAttribution.findFirst({ where: { shopId: shop.id } })).toMatchObject({ customerId: null });
    expect((await offerResults(shop.id))[0]).toMatchObject({ redemptions: 1, revenue: "9.99" });
  });

  it("reports the guest offer without a member count", async () => {
    const shop = await shopWithSegments();
    await saved(shop.id, input(GUEST_AUDIENCE, { discountCode: "WELCOME5" }));
    await attributeOrder(shop.id, { id: 3n, customerId: null, discountCodes: ["WELCOME5"], totalPrice: "25", processedAt: PLACED() });
    expect(await offerResults(shop.id)).toEqual([
      expect.objectContaining({ segmentKey: GUEST_AUDIENCE, membersTargeted: null, redemptions: 1, revenue: "25.00" }),
    ]);
  });
});
