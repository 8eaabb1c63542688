// Validation of an offer as the merchant submits it. Pure; every problem is reported at once, with
// the field it belongs to, a stable code (for translated messages) and an English message.
import { GUEST_AUDIENCE, OFFER_LANGUAGES, type OfferContent, type OfferLanguage, type OfferText } from "./feed";

export interface OfferInput {
  id?: number | null;
  name?: string | null;
  segmentKey: string;
  content: Partial<Record<OfferLanguage, Partial<OfferText> | null>>;
  ctaUrl?: string | null;
  discountCode?: string | null;
  priority?: number | string | null;
  startsAt?: Date | string | null;
  endsAt?: Date | string | null;
  enabled?: boolean | null;
}

export interface ValidOffer {
  id: number | null;
  name: string;
  segmentKey: string;
  content: OfferContent;
  ctaUrl: string | null;
  discountCode: string | null;
  priority: number;
  startsAt: Date | null;
  endsAt: Date | null;
  enabled: boolean;
}

export type OfferErrorCode =
  | "required"
  | "too_long"
  | "invalid_segment"
  | "unknown_segment"
  | "invalid_url"
  | "cta_needs_url"
  | "url_needs_cta"
  | "invalid_code"
  | "duplicate_code"
  | "invalid_priority"
  | "invalid_date"
  | "ends_before_start"
  | "too_large"
  | "not_found";

export interface OfferError {
  field: string;
  code: OfferErrorCode;
  message: string;
}

export const OFFER_LIMITS = { name: 100, headline: 120, body: 500, cta: 40, url: 2048, priorityMin: -1000, priorityMax: 1000 };

const SEGMENT_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DISCOUNT_CODE = /^[A-Z0-9_-]{3,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

const clean = (value: unknown) => (typeof value === "string" ? value.replace(CONTROL, "").replace(/\r\n?/g, "\n").trim() : "");

/** https:// URLs and paths on the shop; nothing else (no javascript:, no protocol-relative //host). */
export function isSafeCtaUrl(url: string) {
  if (/\s/.test(url) || url.length > OFFER_LIMITS.url) return false;
  if (url.startsWith("/")) return !url.startsWith("//") && !url.startsWith("/\\");
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}

function toDate(value: Date | string | null | undefined): Date | null | "invalid" {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? "invalid" : date;
}

export function validateOffer(input: OfferInput): { ok: true; offer: ValidOffer } | { ok: false; errors: OfferError[] } {
  const errors: OfferError[] = [];
  const fail = (field: string, code: OfferErrorCode, message: string) => errors.push({ field, code, message });

  const segmentKey = clean(input.segmentKey);
  if (!segmentKey) fail("segmentKey", "required", "Choose the segment that sees this offer.");
  else if (segmentKey !== GUEST_AUDIENCE && !SEGMENT_KEY.test(segmentKey))
    fail("segmentKey", "invalid_segment", `"${segmentKey}" is not a segment key.`);

  const content: Partial<Record<OfferLanguage, OfferText>> = {};
  for (const lang of OFFER_LANGUAGES) {
    const given = input.content?.[lang];
    const text = { headline: clean(given?.headline), body: clean(given?.body), cta: clean(given?.cta) };
    if (lang === "en" && !text.headline) fail("content.en.headline", "required", "The English headline is required.");
    for (const field of ["headline", "body", "cta"] as const) {
      if (text[field].length > OFFER_LIMITS[field])
        fail(`content.${lang}.${field}`, "too_long", `The ${field} is longer than ${OFFER_LIMITS[field]} characters.`);
    }
    if (text.headline || text.body || text.cta) content[lang] = text;
  }

  const ctaUrl = clean(input.ctaUrl) || null;
  const hasCta = OFFER_LANGUAGES.some((lang) => content[lang]?.cta);
  if (ctaUrl && !isSafeCtaUrl(ctaUrl))
    fail("ctaUrl", "invalid_url", "The link must start with https:// or be a path on your store such as /collections/sale.");
  if (hasCta && !ctaUrl) fail("ctaUrl", "cta_needs_url", "A call to action needs a link.");
  if (ctaUrl && !content.en?.cta) fail("content.en.cta", "url_needs_cta", "Add the English call-to-action text for the link.");

  const discountCode = clean(input.discountCode).toUpperCase() || null;
  if (discountCode && !DISCOUNT_CODE.test(discountCode))
    fail("discountCode", "invalid_code", "A discount code has 3 to 64 letters, digits, dashes or underscores.");

  let priority = 0;
  if (input.priority !== null && input.priority !== undefined && input.priority !== "") {
    priority = Number(input.priority);
    if (!Number.isInteger(priority) || priority < OFFER_LIMITS.priorityMin || priority > OFFER_LIMITS.priorityMax)
      fail("priority", "invalid_priority", `The priority is a whole number from ${OFFER_LIMITS.priorityMin} to ${OFFER_LIMITS.priorityMax}.`);
  }

  const startsAt = toDate(input.startsAt);
  const endsAt = toDate(input.endsAt);
  if (startsAt === "invalid") fail("startsAt", "invalid_date", "The start date is not a valid date.");
  if (endsAt === "invalid") fail("endsAt", "invalid_date", "The end date is not a valid date.");
  if (startsAt instanceof Date && endsAt instanceof Date && endsAt.getTime() <= startsAt.getTime())
    fail("endsAt", "ends_before_start", "The offer must end after it starts.");

  const name = clean(input.name) || (content.en?.headline ?? "").slice(0, OFFER_LIMITS.name);
  if (name.length > OFFER_LIMITS.name) fail("name", "too_long", `The name is longer than ${OFFER_LIMITS.name} characters.`);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    offer: {
      id: input.id ?? null,
      name,
      segmentKey,
      content: content as OfferContent,
      ctaUrl,
      discountCode,
      priority,
      startsAt: startsAt as Date | null,
      endsAt: endsAt as Date | null,
      enabled: input.enabled ?? true,
    },
  };
}
