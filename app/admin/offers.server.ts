// Offers in the admin: the list with results, one offer for the editor, and the save/delete actions,
// through the offers area (app/offers/). Bounded by the shop id.
import prisma from "../db.server";
import { LOCALES } from "../i18n/i18n";
import type { AdminShop } from "./context.server";
import { deleteOffer, offerResults, saveOffer } from "../offers/offers.server";
import { requestOffersPublish } from "../offers/jobs.server";
import { requestPush } from "../push/jobs.server";
import { updateSegmentSettings } from "../segments/index.server";
import { listShopSegments } from "./segment-list.server";

export interface OfferRow {
  id: number;
  name: string;
  segmentKey: string;
  enabled: boolean;
  live: boolean;
  priority: number;
  discountCode: string | null;
  startsAt: string | null;
  endsAt: string | null;
  membersTargeted: number | null;
  redemptions: number;
  revenue: string;
  currency: string;
}

export interface OfferForm {
  id: number | null;
  name: string;
  segmentKey: string;
  content: Record<string, { headline: string; body: string; cta: string }>;
  ctaUrl: string;
  discountCode: string;
  priority: string;
  startsAt: string;
  endsAt: string;
  enabled: boolean;
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

export async function listOfferRows(shop: AdminShop): Promise<OfferRow[]> {
  const offers = await prisma.offer.findMany({ where: { shopId: shop.id }, orderBy: [{ priority: "desc" }, { id: "asc" }] });
  if (offers.length === 0) return [];
  const byId = new Map((await offerResults(shop.id)).map((r) => [r.offerId, r]));
  return offers.map((o) => {
    const r = byId.get(o.id);
    return {
      id: o.id,
      name: o.name,
      segmentKey: o.segmentKey,
      enabled: o.enabled,
      live: r?.live ?? false,
      priority: o.priority,
      discountCode: o.discountCode,
      startsAt: day(o.startsAt),
      endsAt: day(o.endsAt),
      membersTargeted: r?.membersTargeted ?? null,
      redemptions: r?.redemptions ?? 0,
      revenue: r?.revenue ?? "0.00",
      currency: r?.currency ?? shop.currency,
    };
  });
}

const emptyText = () => ({ headline: "", body: "", cta: "" });

export function blankOffer(segmentKey = ""): OfferForm {
  return {
    id: null,
    name: "",
    segmentKey,
    content: Object.fromEntries(LOCALES.map((l) => [l, emptyText()])),
    ctaUrl: "",
    discountCode: "",
    priority: "0",
    startsAt: "",
    endsAt: "",
    enabled: true,
  };
}

/** The offer as the editor shows it; null when this shop has no such offer. */
/** An offer id as the table holds it (int4, from 1): anything else is no offer, and never reaches a query. */
const isOfferId = (id: number) => Number.isInteger(id) && id >= 1 && id <= 2147483647;

export async function loadOfferForm(shop: AdminShop, id: number): Promise<OfferForm | null> {
  if (!isOfferId(id)) return null;
  const o = await prisma.offer.findFirst({ where: { id, shopId: shop.id } });
  if (!o) return null;
  const content = (o.content ?? {}) as Record<string, Partial<{ headline: string; body: string; cta: string }>>;
  return {
    id: o.id,
    name: o.name,
    segmentKey: o.segmentKey,
    content: Object.fromEntries(LOCALES.map((l) => [l, { ...emptyText(), ...(content[l] ?? {}) }])),
    ctaUrl: o.ctaUrl ?? "",
    discountCode: o.discountCode ?? "",
    priority: String(o.priority),
    startsAt: day(o.startsAt) ?? "",
    endsAt: day(o.endsAt) ?? "",
    enabled: o.enabled,
  };
}

export type OfferFieldErrors = Record<string, string>;

/** Creates or updates the offer from the editor's form. */
export async function saveOfferForm(shop: AdminShop, form: FormData): Promise<{ ok: true; id: number } | { ok: false; errors: OfferFieldErrors }> {
  const get = (k: string) => String(form.get(k) ?? "");
  const rawId = get("id");
  const id = rawId ? Number(rawId) : null;
  if (id !== null && !(await loadOfferForm(shop, id))) return { ok: false, errors: { id: "offers.error.notFound" } };
  const input = {
    id,
    name: get("name"),
    segmentKey: get("segmentKey"),
    content: Object.fromEntries(LOCALES.map((l) => [l, { headline: get(`content.${l}.headline`), body: get(`content.${l}.body`), cta: get(`content.${l}.cta`) }])),
    ctaUrl: get("ctaUrl") || null,
    discountCode: get("discountCode") || null,
    priority: get("priority") || "0",
    startsAt: get("startsAt") ? `${get("startsAt")}T00:00:00Z` : null,
    endsAt: get("endsAt") ? `${get("endsAt")}T23:59:59Z` : null,
    enabled: form.get("enabled") === "on" || form.get("enabled") === "true",
  };
  await materializeSegmentRow(shop.id, input.segmentKey);
  const result = await saveOffer(shop.id, input);
  if (result.ok) {
    await announceOffersChanged(shop.id);
    return { ok: true, id: result.offer.id };
  }
  return { ok: false, errors: Object.fromEntries(result.errors.map((e) => [e.field, `offers.error.${e.code}`])) };
}

export async function deleteOfferForm(shop: AdminShop, form: FormData): Promise<boolean> {
  const id = Number(form.get("id"));
  if (!isOfferId(id)) return false;
  const deleted = await deleteOffer(shop.id, id);
  if (deleted) await announceOffersChanged(shop.id);
  return deleted;
}

// The storefront reads offers from the shop metafield and each customer's offer from their
// metafield: republish the feed, and let the push re-derive the customers' offers.
async function announceOffersChanged(shopId: number) {
  await requestOffersPublish(shopId);
  await requestPush(shopId, { delaySeconds: 0 });
}

// saveOffer checks the `segments` table, where a catalogue or RFM segment has a row only once its
// settings were changed; an empty settings patch stores its row with the settings in effect.
async function materializeSegmentRow(shopId: number, key: string) {
  // Only a well-formed key reaches the database; validateOffer reports the others.
  if (!key || key.startsWith("@") || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(key)) return;
  if (await prisma.segment.findUnique({ where: { shopId_key: { shopId, key } }, select: { key: true } })) return;
  if ((await listShopSegments(shopId)).some((s) => s.key === key)) await updateSegmentSettings(shopId, key, {});
}
