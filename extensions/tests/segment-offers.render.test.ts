import { describe, expect, it } from "vitest";
import { GUEST_AUDIENCE, buildFeed, type FeedSource, type OfferContent } from "../../app/offers/feed";
import { renderBlock } from "./liquid";

const DAY = 86_400_000;
const now = new Date();
const daysFromNow = (d: number) => new Date(now.getTime() + d * DAY);

let nextId = 1;
function offer(segmentKey: string, overrides: Partial<FeedSource> = {}): FeedSource {
  const content: OfferContent = {
    en: { headline: `${segmentKey} headline`, body: `${segmentKey} body`, cta: "Shop now" },
    es: { headline: `${segmentKey} titular`, body: `${segmentKey} cuerpo`, cta: "Comprar" },
    "pt-BR": { headline: `${segmentKey} título`, body: `${segmentKey} corpo`, cta: "Comprar agora" },
  };
  return {
    id: nextId++,
    segmentKey,
    priority: 0,
    startsAt: daysFromNow(-1),
    endsAt: daysFromNow(7),
    enabled: true,
    content,
    ctaUrl: "/collections/all",
    discountCode: null,
    ...overrides,
  };
}

const feedOf = (...offers: FeedSource[]) => buildFeed(offers, { now, optOutTag: "seg:opt-out" });
const shownOfferId = (html: string) => /data-offer-id="([^"]*)"/.exec(html)?.[1] ?? null;

describe("Segment offer block (Liquid)", () => {
  it("shows a member the offer of their segment, escaped and translated", async () => {
    // GIVEN a live VIP offer with a discount code
    const vip = offer("vip", { discountCode: "VIP10" });
    // WHEN a logged-in VIP views the block
    const html = await renderBlock("segment-offer", { feed: feedOf(vip), visitor: { kind: "customer", segments: ["vip"] } });
    // THEN the offer, its code and a discount link that applies the code show
    expect(shownOfferId(html)).toBe(String(vip.id));
    expect(html).toContain("vip headline");
    expect(html).toContain("vip body");
    expect(html).toContain('<span class="segsync-offer__code">VIP10</span>');
    expect(html).toContain('href="/discount/VIP10?redirect=%2Fcollections%2Fall"');
    expect(html).toContain("Use this code at checkout:");
    expect(html).not.toContain("translation missing");
    expect(html).not.toMatch(/<script/i);
  });

  it("shows nothing to a logged-in customer outside the offer's segments", async () => {
    const html = await renderBlock("segment-offer", {
      feed: feedOf(offer("vip"), offer(GUEST_AUDIENCE)),
      visitor: { kind: "customer", segments: ["lost"] },
    });
    expect(html).toBe("");
  });

  it("shows nothing to a customer without the segments metafield yet", async () => {
    const html = await renderBlock("segment-offer", { feed: feedOf(offer("vip")), visitor: { kind: "customer", segments: null } });
    expect(html).toBe("");
  });

  it("shows nothing when the app has not published offers", async () => {
    const html = await renderBlock("segment-offer", { feed: undefined, visitor: { kind: "customer", segments: ["vip"] } });
    expect(html).toBe("");
  });

  it("shows guests nothing unless the merchant set a guest offer", async () => {
    // GIVEN only segment offers WHEN a guest visits THEN nothing renders
    expect(await renderBlock("segment-offer", { feed: feedOf(offer("vip")), visitor: { kind: "guest" } })).toBe("");
    // GIVEN a guest offer WHEN a guest visits THEN the guest offer renders
    const guest = offer(GUEST_AUDIENCE);
    const html = await renderBlock("segment-offer", { feed: feedOf(offer("vip", { priority: 50 }), guest), visitor: { kind: "guest" } });
    expect(shownOfferId(html)).toBe(String(guest.id));
    // AND the merchant can switch the guest offer off for this block
    expect(await renderBlock("segment-offer", { feed: feedOf(guest), visitor: { kind: "guest" }, settings: { show_guest: false } })).toBe("");
  });

  it("shows nothing to opted-out customers, by metafield or by the opt-out tag", async () => {
    const feed = feedOf(offer("vip"), offer(GUEST_AUDIENCE));
    expect(await renderBlock("segment-offer", { feed, visitor: { kind: "customer", segments: ["vip"], optedOut: true } })).toBe("");
    // The tag wins even before push-back has rewritten the customer's metafield.
    expect(await renderBlock("segment-offer", { feed, visitor: { kind: "customer", segments: ["vip"], tags: ["wholesale", "seg:opt-out"] } })).toBe("");
  });

  it("hides expired and not-yet-started offers and falls back to the next live one", async () => {
    const expired = offer("vip", { priority: 30, startsAt: daysFromNow(-10), endsAt: daysFromNow(-1) });
    const future = offer("vip", { priority: 20, startsAt: daysFromNow(2), endsAt: null });
    const live = offer("vip", { priority: 10, startsAt: null, endsAt: null });
    // The feed never carries an ended offer; Liquid also checks, for a feed published before it ended.
    const publishedLastWeek = buildFeed([expired, future, live], { now: daysFromNow(-5), optOutTag: "seg:opt-out" });
    const staleFeed = { ...publishedLastWeek };
    expect(staleFeed.offers.map((o) => o.id)).toEqual([String(expired.id), String(future.id), String(live.id)]);
    const html = await renderBlock("segment-offer", { feed: staleFeed, visitor: { kind: "customer", segments: ["vip"] } });
    expect(shownOfferId(html)).toBe(String(live.id));
    // AND with only the expired and future offers nothing shows
    const none = { ...staleFeed, offers: staleFeed.offers.slice(0, 2) };
    expect(await renderBlock("segment-offer", { feed: none, visitor: { kind: "customer", segments: ["vip"] } })).toBe("");
  });

  it("picks the higher-priority offer for a customer in two segments", async () => {
    const low = offer("big-spender", { priority: 5 });
    const high = offer("vip", { priority: 40 });
    const html = await renderBlock("segment-offer", { feed: feedOf(low, high), visitor: { kind: "customer", segments: ["big-spender", "vip"] } });
    expect(shownOfferId(html)).toBe(String(high.id));
    // AND a block limited to other segments shows that segment's offer instead
    const limited = await renderBlock("segment-offer", {
      feed: feedOf(low, high),
      visitor: { kind: "customer", segments: ["big-spender", "vip"] },
      settings: { segments: " Big-Spender , lost" },
    });
    expect(shownOfferId(limited)).toBe(String(low.id));
  });

  it("keeps hostile offer text as text", async () => {
    const hostile = offer("vip", {
      content: {
        en: {
          headline: '<script>alert("x")</script>',
          body: "<img src=x onerror=alert(1)>\nsecond line",
          cta: '"><svg onload=alert(1)>',
        },
      },
      ctaUrl: "javascript:alert(1)",
      discountCode: '"><script>alert(2)</script>',
    });
    const html = await renderBlock("segment-offer", { feed: feedOf(hostile), visitor: { kind: "customer", segments: ["vip"] } });
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;<br />");
    expect(html).toContain("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(html).not.toMatch(/<script|<img|<svg|javascript:/i);
    // An unsafe link is dropped together with its call to action.
    expect(html).not.toContain('class="segsync-offer__cta"');
  });

  it("drops protocol-relative links and keeps https links as they are", async () => {
    const offsite = offer("vip", { ctaUrl: "//evil.example/x" });
    expect(await renderBlock("segment-offer", { feed: feedOf(offsite), visitor: { kind: "customer", segments: ["vip"] } })).not.toContain("<a ");
    const external = offer("vip", { ctaUrl: "https://blog.example.com/a?b=1&c=2", discountCode: "X10" });
    const html = await renderBlock("segment-offer", { feed: feedOf(external), visitor: { kind: "customer", segments: ["vip"] } });
    expect(html).toContain('href="https://blog.example.com/a?b=1&amp;c=2"');
  });

  it.each([
    ["en", "vip headline", "Shop now", "Use this code at checkout:", "An offer for you"],
    ["es", "vip titular", "Comprar", "Usa este código al pagar:", "Una oferta para ti"],
    ["pt-BR", "vip título", "Comprar agora", "Use este código na finalização da compra:", "Uma oferta para você"],
  ])("speaks %s", async (locale, headline, cta, useCode, aria) => {
    const html = await renderBlock("segment-offer", {
      feed: feedOf(offer("vip", { discountCode: "VIP10" })),
      visitor: { kind: "customer", segments: ["vip"] },
      locale,
    });
    expect(html).toContain(headline);
    expect(html).toContain(`>${cta}</a>`);
    expect(html).toContain(useCode);
    expect(html).toContain(`aria-label="${aria}"`);
  });

  it("falls back to English for a language the offer or the app does not have", async () => {
    const englishOnly = offer("vip", { content: { en: { headline: "Only English", body: "", cta: "Go" } } });
    const es = await renderBlock("segment-offer", { feed: feedOf(englishOnly), visitor: { kind: "customer", segments: ["vip"] }, locale: "es" });
    expect(es).toContain("Only English");
    const fr = await renderBlock("segment-offer", { feed: feedOf(offer("vip")), visitor: { kind: "customer", segments: ["vip"] }, locale: "fr" });
    expect(fr).toContain("vip headline");
    expect(fr).toContain("An offer for you");
    const ptPT = await renderBlock("segment-offer", { feed: feedOf(offer("vip")), visitor: { kind: "customer", segments: ["vip"] }, locale: "pt-PT" });
    expect(ptPT).toContain("vip título");
  });
});

describe("in the theme editor", () => {
  it("previews the first offer the block would show, or a placeholder when there is none", async () => {
    const vip = offer("vip", { priority: 3 });
    const lost = offer("lost", { priority: 1 });
    const preview = await renderBlock("segment-offer", { feed: feedOf(vip, lost), visitor: { kind: "guest" }, designMode: true });
    expect(shownOfferId(preview)).toBe(String(vip.id));
    const filtered = await renderBlock("segment-offer", { feed: feedOf(vip, lost), visitor: { kind: "guest" }, designMode: true, settings: { segments: "lost" } });
    expect(shownOfferId(filtered)).toBe(String(lost.id));
    const empty = await renderBlock("segment-offer", { feed: undefined, visitor: { kind: "guest" }, designMode: true, locale: "es" });
    expect(empty).toContain('data-preview="empty"');
    expect(empty).toContain("Crea las ofertas en Segment Sync.");
    // AND outside the editor the same guest sees nothing
    expect(await renderBlock("segment-offer", { feed: feedOf(vip, lost), visitor: { kind: "guest" } })).toBe("");
  });
});

describe("Segment banner app embed (Liquid)", () => {
  it("renders the same choice as a site-wide bar", async () => {
    const vip = offer("vip", { priority: 9 });
    const html = await renderBlock("segment-banner", { feed: feedOf(vip, offer("lost")), visitor: { kind: "customer", segments: ["vip", "lost"] } });
    expect(shownOfferId(html)).toBe(String(vip.id));
    expect(html).toContain("segsync-offer--banner");
    expect(html).toContain('data-placement="banner"');
  });

  it("shows nothing to guests without a guest offer and nothing to opted-out customers", async () => {
    expect(await renderBlock("segment-banner", { feed: feedOf(offer("vip")), visitor: { kind: "guest" } })).toBe("");
    expect(await renderBlock("segment-banner", { feed: feedOf(offer("vip")), visitor: { kind: "customer", segments: ["vip"], optedOut: true } })).toBe("");
  });
});
