// Offers: the merchant's per-segment storefront offers, the shop metafield that publishes them,
// and their results (orders that used an offer's discount code). No Remix, no Shopify calls here:
// app/shopify/publish-offers.server.ts sends what buildOffersMetafield returns.
import prisma from "../db.server";
import { Prisma, type Offer, type OfferAttribution } from "../generated/prisma/client";
import {
  GUEST_AUDIENCE,
  METAFIELD_JSON_LIMIT_BYTES,
  OffersFeedTooLargeError,
  buildFeed,
  isLive,
  serializeFeed,
  type FeedSource,
  type OfferContent,
  type OffersFeed,
} from "./feed";
import { validateOffer, type OfferError, type OfferInput, type ValidOffer } from "./validate";

const DEFAULT_OPT_OUT_TAG = "seg:opt-out";

/** The shop's opt-out tag (Shop.settings.optOutTag, default `seg:opt-out`). */
async function optOutTagOf(shopId: number) {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { id: shopId }, select: { settings: true } });
  const settings = (shop.settings ?? {}) as Record<string, unknown>;
  return typeof settings.optOutTag === "string" && settings.optOutTag.trim() ? settings.optOutTag.trim() : DEFAULT_OPT_OUT_TAG;
}

const toFeedSource = (o: Offer): FeedSource => ({ ...o, content: o.content as unknown as OfferContent });

/** The shop's offers, highest priority first. */
export async function listOffers(shopId: number): Promise<Offer[]> {
  return prisma.offer.findMany({ where: { shopId }, orderBy: [{ priority: "desc" }, { id: "asc" }] });
}

export type SaveOfferResult = { ok: true; offer: Offer } | { ok: false; errors: OfferError[] };

/**
 * Creates (no id) or updates (id) an offer after validating it. The segment must exist for the shop
 * (or be the guest audience), the code must not belong to another offer, and the published feed must
 * still fit Shopify's 128 KB, so a later publish cannot fail for size.
 */
export async function saveOffer(shopId: number, input: OfferInput, now = new Date()): Promise<SaveOfferResult> {
  const checked = validateOffer(input);
  if (!checked.ok) return checked;
  const offer = checked.offer;
  const errors: OfferError[] = [];

  const existing = offer.id === null ? null : await prisma.offer.findFirst({ where: { id: offer.id, shopId } });
  if (offer.id !== null && !existing) return { ok: false, errors: [{ field: "id", code: "not_found", message: "This offer no longer exists." }] };

  if (offer.segmentKey !== GUEST_AUDIENCE) {
    const segment = await prisma.segment.findUnique({ where: { shopId_key: { shopId, key: offer.segmentKey } } });
    if (!segment) errors.push({ field: "segmentKey", code: "unknown_segment", message: `There is no segment "${offer.segmentKey}" in this store.` });
  }
  if (offer.discountCode) {
    const holder = await prisma.offer.findFirst({
      where: { shopId, discountCode: offer.discountCode, ...(offer.id !== null ? { id: { not: offer.id } } : {}) },
    });
    if (holder)
      errors.push({ field: "discountCode", code: "duplicate_code", message: `The code ${offer.discountCode} is already used by the offer "${holder.name}".` });
  }
  if (errors.length === 0) {
    const others = (await prisma.offer.findMany({ where: { shopId, ...(offer.id !== null ? { id: { not: offer.id } } : {}) } })).map(toFeedSource);
    const candidate: FeedSource = { ...offer, id: offer.id ?? Number.MAX_SAFE_INTEGER };
    try {
      serializeFeed(buildFeed([...others, candidate], { now, optOutTag: await optOutTagOf(shopId) }));
    } catch (error) {
      if (!(error instanceof OffersFeedTooLargeError)) throw error;
      errors.push({
        field: "content",
        code: "too_large",
        message: `With this offer the active offers would take ${Math.ceil(error.bytes / 1024)} KB, above Shopify's ${METAFIELD_JSON_LIMIT_BYTES / 1024} KB limit. Shorten the texts or disable an offer.`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const data = toRow(offer);
  try {
    const saved = existing
      ? await prisma.offer.update({ where: { id: existing.id }, data })
      : await prisma.offer.create({ data: { ...data, shopId } });
    return { ok: true, offer: saved };
  } catch (error) {
    // Two saves racing for one code: the unique index decides, the loser gets the same message.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      return { ok: false, errors: [{ field: "discountCode", code: "duplicate_code", message: `The code ${offer.discountCode} is already used by another offer.` }] };
    throw error;
  }
}

function toRow(offer: ValidOffer) {
  return {
    name: offer.name,
    segmentKey: offer.segmentKey,
    content: offer.content as unknown as Prisma.InputJsonValue,
    ctaUrl: offer.ctaUrl,
    discountCode: offer.discountCode,
    priority: offer.priority,
    startsAt: offer.startsAt,
    endsAt: offer.endsAt,
    enabled: offer.enabled,
  };
}

/** Records the Shopify discount the app created for an offer's code. */
export async function recordOfferDiscount(shopId: number, offerId: number, discountId: string) {
  await prisma.offer.updateMany({ where: { id: offerId, shopId }, data: { discountId } });
}

/** Deletes the offer; its attributed orders stay (results by segment keep them). */
export async function deleteOffer(shopId: number, offerId: number): Promise<boolean> {
  const { count } = await prisma.offer.deleteMany({ where: { id: offerId, shopId } });
  return count > 0;
}

/**
 * The shop metafield's value: enabled offers that have not ended (Liquid starts scheduled ones on
 * time), highest priority first. Throws OffersFeedTooLargeError at Shopify's 128 KB.
 */
export async function buildOffersMetafield(shopId: number, now = new Date()): Promise<{ feed: OffersFeed; value: string; bytes: number }> {
  const offers = (await prisma.offer.findMany({ where: { shopId, enabled: true } })).map(toFeedSource);
  const feed = buildFeed(offers, { now, optOutTag: await optOutTagOf(shopId) });
  const value = serializeFeed(feed);
  return { feed, value, bytes: Buffer.byteLength(value, "utf8") };
}

/** What sync knows of an applied order. Ids are Shopify's numeric ids (bigint, digit string or gid). */
export interface AttributableOrder {
  id: bigint | string | number;
  customerId: bigint | string | number | null;
  discountCodes: readonly string[];
  totalPrice: Prisma.Decimal | string | number;
  processedAt: Date;
  /** Refunded so far; revenue is net of it. */
  refundedAmount?: Prisma.Decimal | string | number | null;
  /** A cancelled or test order attributes nothing (and loses an earlier attribution). */
  cancelled?: boolean;
  test?: boolean;
}

function shopifyId(value: bigint | string | number): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`Shopify id ${value} lost precision as a JS number: pass it as a string or bigint.`);
    return BigInt(value);
  }
  const match = /(\d+)$/.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a Shopify id.`);
  return BigInt(match[1]);
}

/**
 * Attributes one order to the offer whose discount code it used (the highest-priority one when it
 * used several) and that offer's segment, if it was processed once the offer applied (from its
 * start, or from its creation when it has none). Same rules as attributeStoredOrders. Idempotent per order: applying the same order again, or a
 * newer version of it, leaves exactly one row reflecting the latest version; an order that no longer
 * carries an offer's code, or was cancelled, loses its attribution.
 */
export async function attributeOrder(shopId: number, order: AttributableOrder): Promise<OfferAttribution | null> {
  const orderId = shopifyId(order.id);
  const codes = [...new Set(order.discountCodes.map((c) => c.trim().toUpperCase()).filter(Boolean))];
  const candidates =
    order.cancelled || order.test || codes.length === 0
      ? []
      : await prisma.offer.findMany({ where: { shopId, discountCode: { in: codes } }, orderBy: [{ priority: "desc" }, { id: "asc" }] });
  // An order placed before the offer applied (its start, or its creation) is not the offer's doing.
  // Shopify's processed_at has whole seconds: an order in the offer's first second counts.
  const appliesFrom = (o: Offer) => o.startsAt?.getTime() ?? Math.floor(o.createdAt.getTime() / 1000) * 1000;
  const offer = candidates.find((o) => order.processedAt.getTime() >= appliesFrom(o)) ?? null;
  if (!offer) {
    await prisma.offerAttribution.deleteMany({ where: { shopId, orderId } });
    return null;
  }
  const customerId = order.customerId === null ? null : shopifyId(order.customerId);
  const wasMember =
    customerId !== null &&
    offer.segmentKey !== GUEST_AUDIENCE &&
    (await prisma.membership.count({ where: { shopId, segmentKey: offer.segmentKey, customerId } })) > 0;
  const amount = new Prisma.Decimal(order.totalPrice).minus(new Prisma.Decimal(order.refundedAmount ?? 0));
  const row = {
    offerId: offer.id,
    segmentKey: offer.segmentKey,
    customerId,
    wasMember,
    discountCode: offer.discountCode!,
    amount: amount.isNegative() ? new Prisma.Decimal(0) : amount,
    at: order.processedAt,
  };
  return prisma.offerAttribution.upsert({
    where: { shopId_orderId: { shopId, orderId } },
    create: { shopId, orderId, ...row },
    update: row,
  });
}

export interface OfferResult {
  offerId: number;
  name: string;
  segmentKey: string;
  enabled: boolean;
  /** Enabled and within its dates right now. */
  live: boolean;
  /** Customers who can see it today: the segment's current members (not opted out); null for the guest offer. */
  membersTargeted: number | null;
  redemptions: number;
  /** Net revenue of the attributed orders, shop currency, 2 decimals. */
  revenue: string;
  currency: string;
}

/** Per offer: members targeted (the impressions we can know), redemptions and revenue. */
export async function offerResults(shopId: number, now = new Date()): Promise<OfferResult[]> {
  const [offers, shop] = await Promise.all([
    listOffers(shopId),
    prisma.shop.findUniqueOrThrow({ where: { id: shopId }, select: { currency: true } }),
  ]);
  if (offers.length === 0) return [];
  const [sales, sizes] = await Promise.all([
    prisma.offerAttribution.groupBy({ by: ["offerId"], where: { shopId }, _count: { _all: true }, _sum: { amount: true } }),
    prisma.$queryRaw<{ segment_key: string; members: bigint }[]>`
      select m.segment_key, count(*) as members
      from memberships m
      left join customers c on c.shop_id = m.shop_id and c.id = m.customer_id
      where m.shop_id = ${shopId}
        and m.segment_key = any(${[...new Set(offers.map((o) => o.segmentKey))]}::text[])
        and coalesce(c.opted_out, false) = false
        and c.deleted_at is null
      group by m.segment_key`,
  ]);
  const salesOf = new Map(sales.map((s) => [s.offerId, s]));
  const sizeOf = new Map(sizes.map((s) => [s.segment_key, Number(s.members)]));
  return offers.map((o) => {
    const s = salesOf.get(o.id);
    return {
      offerId: o.id,
      name: o.name,
      segmentKey: o.segmentKey,
      enabled: o.enabled,
      live: isLive(o, now),
      membersTargeted: o.segmentKey === GUEST_AUDIENCE ? null : (sizeOf.get(o.segmentKey) ?? 0),
      redemptions: s?._count._all ?? 0,
      revenue: (s?._sum.amount ?? new Prisma.Decimal(0)).toFixed(2),
      currency: shop.currency,
    };
  });
}

/** customers/redact: keep the offer's numbers, forget who bought. */
export async function redactOfferCustomer(shopId: number, customerId: bigint) {
  await prisma.offerAttribution.updateMany({ where: { shopId, customerId }, data: { customerId: null } });
}
