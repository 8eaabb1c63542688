// Pure tag arithmetic for push-back: which tags are ours, what to add and remove, and which of a
// customer's segment tags to keep when Shopify's 250-tag limit leaves too little room.

/** Shopify's limit of tags per customer. */
export const TAG_LIMIT = 250;
/** Shopify's limit of characters per tag. */
export const TAG_MAX_LENGTH = 255;

const norm = (tag: string) => tag.trim().toLowerCase();

/** Shopify compares tags case-insensitively. */
export function sameTag(a: string, b: string) {
  return norm(a) === norm(b);
}

/** The tag of segment `key` under the shop's prefix, or null when it cannot be a tag of ours. */
export function tagFor(prefix: string, key: string, optOutTag: string): string | null {
  const tag = `${prefix}${key}`;
  if (tag.length > TAG_MAX_LENGTH || tag.includes(",") || sameTag(tag, optOutTag)) return null;
  return tag;
}

/** A tag we own: it carries our prefix and is not the opt-out tag (which belongs to the merchant). */
export function isOurTag(tag: string, prefix: string, optOutTag: string) {
  return norm(tag).startsWith(norm(prefix)) && !sameTag(tag, optOutTag);
}

/** Tags in `a` and not in `b` (case-insensitive), in `a`'s order. */
export function minus(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b.map(norm));
  return a.filter((t) => !drop.has(norm(t)));
}

export function union(a: readonly string[], b: readonly string[]): string[] {
  return [...a, ...minus(b, a)].sort();
}

export function sameSet(a: readonly string[], b: readonly string[]) {
  return minus(a, b).length === 0 && minus(b, a).length === 0;
}

export interface TagPlan {
  add: string[];
  remove: string[];
}

/** What to send so the store holds `desired` of ours, given what Shopify last confirmed. */
export function planTags(desired: readonly string[], pushed: readonly string[], suppressed: readonly string[]): TagPlan {
  const target = minus(desired, suppressed);
  return { add: minus(target, pushed), remove: minus(pushed, target) };
}

/** Which segment group a tag's segment belongs to; the lower, the longer it is kept near the limit. */
export type TagCategory = "core" | "custom" | "behaviour" | "rfm";
export const CATEGORY_ORDER: TagCategory[] = ["core", "custom", "behaviour", "rfm"];

/**
 * Near the 250-tag limit: keeps as many of `tags` as `room` allows, whole categories first (core
 * segments, then custom, behaviour, RFM). Returns what to add and what is suppressed.
 */
export function fitTags(tags: readonly string[], room: number, categoryOf: (tag: string) => TagCategory): { keep: string[]; suppressed: string[] } {
  const ranked = [...tags].sort((a, b) => CATEGORY_ORDER.indexOf(categoryOf(a)) - CATEGORY_ORDER.indexOf(categoryOf(b)) || a.localeCompare(b));
  const n = Math.max(0, room);
  return { keep: ranked.slice(0, n), suppressed: ranked.slice(n) };
}
