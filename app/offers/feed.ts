// The shop metafield the theme extension reads (extensions/segment-offers/snippets/segment-offer.liquid)
// and the same choice in TypeScript, for push-back's `offer` field in the customer metafield.
// Pure: no database, no Shopify.

export const OFFER_LANGUAGES = ["en", "es", "pt-BR"] as const;
export type OfferLanguage = (typeof OFFER_LANGUAGES)[number];

/** The audience key of the offer shown to visitors who are not logged in. */
export const GUEST_AUDIENCE = "@guest";

/** Shopify's limit for a json metafield value. */
export const METAFIELD_JSON_LIMIT_BYTES = 128 * 1024;

/** Where the feed lives: `shop.metafields['$app'].offers` in Liquid. */
export const OFFERS_METAFIELD = { namespace: "$app", key: "offers", type: "json" } as const;
/** Written by push-back: `customer.metafields['$app'].segments` = {segments, offer, opted_out?}. */
export const CUSTOMER_SEGMENTS_METAFIELD = { namespace: "$app", key: "segments", type: "json" } as const;

export interface OfferText {
  headline: string;
  body: string;
  cta: string;
}

export type OfferContent = { en: OfferText } & Partial<Record<Exclude<OfferLanguage, "en">, OfferText>>;

/** What the feed needs of an offer row. */
export interface FeedSource {
  id: number;
  segmentKey: string;
  priority: number;
  startsAt: Date | null;
  endsAt: Date | null;
  enabled: boolean;
  content: OfferContent;
  ctaUrl: string | null;
  discountCode: string | null;
}

export interface FeedOffer {
  id: string;
  segment: string;
  priority: number;
  starts_at: string | null;
  ends_at: string | null;
  headline: Partial<Record<OfferLanguage, string>>;
  body: Partial<Record<OfferLanguage, string>>;
  cta: Partial<Record<OfferLanguage, string>>;
  cta_url: string | null;
  discount_code: string | null;
}

export interface OffersFeed {
  version: 1;
  generated_at: string;
  /** Liquid hides offers from customers carrying this tag even before push-back catches up. */
  opt_out_tag: string;
  /** Highest priority first; ties by id. */
  offers: FeedOffer[];
}

export class OffersFeedTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(
      `The active offers take ${Math.ceil(bytes / 1024)} KB, above Shopify's ${METAFIELD_JSON_LIMIT_BYTES / 1024} KB ` +
        "limit for a metafield. Disable or shorten some offers and publish again.",
    );
    this.name = "OffersFeedTooLargeError";
  }
}

/** Enabled offers that have not ended: the ones not yet started are included so Liquid starts them on time. */
export function isPublishable(offer: Pick<FeedSource, "enabled" | "endsAt">, now: Date) {
  return offer.enabled && (offer.endsAt === null || offer.endsAt.getTime() > now.getTime());
}

export function isLive(offer: Pick<FeedSource, "enabled" | "startsAt" | "endsAt">, now: Date) {
  return isPublishable(offer, now) && (offer.startsAt === null || offer.startsAt.getTime() <= now.getTime());
}

const byPriority = (a: Pick<FeedSource, "priority" | "id">, b: Pick<FeedSource, "priority" | "id">) =>
  b.priority - a.priority || a.id - b.id;

function perLanguage(content: OfferContent, field: keyof OfferText) {
  const out: Partial<Record<OfferLanguage, string>> = {};
  for (const lang of OFFER_LANGUAGES) {
    const text = content[lang]?.[field];
    if (text) out[lang] = text;
  }
  return out;
}

export function buildFeed(offers: FeedSource[], options: { now: Date; optOutTag: string }): OffersFeed {
  return {
    version: 1,
    generated_at: options.now.toISOString(),
    opt_out_tag: options.optOutTag,
    offers: offers
      .filter((o) => isPublishable(o, options.now))
      .sort(byPriority)
      .map((o) => ({
        id: String(o.id),
        segment: o.segmentKey,
        priority: o.priority,
        starts_at: o.startsAt?.toISOString() ?? null,
        ends_at: o.endsAt?.toISOString() ?? null,
        headline: perLanguage(o.content, "headline"),
        body: perLanguage(o.content, "body"),
        cta: perLanguage(o.content, "cta"),
        cta_url: o.ctaUrl,
        discount_code: o.discountCode,
      })),
  };
}

/** The metafield value; throws OffersFeedTooLargeError above Shopify's limit. */
export function serializeFeed(feed: OffersFeed): string {
  const value = JSON.stringify(feed);
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes >= METAFIELD_JSON_LIMIT_BYTES) throw new OffersFeedTooLargeError(bytes);
  return value;
}

/**
 * The offer a customer in `segmentKeys` sees at `now`: the live offer of their segments with the
 * highest priority (ties: lowest id). The Liquid snippet makes the same choice.
 */
export function pickOffer<T extends Pick<FeedSource, "id" | "segmentKey" | "priority" | "enabled" | "startsAt" | "endsAt">>(
  offers: T[],
  segmentKeys: readonly string[],
  now: Date,
): T | null {
  const keys = new Set(segmentKeys);
  return offers.filter((o) => keys.has(o.segmentKey) && isLive(o, now)).sort(byPriority)[0] ?? null;
}
