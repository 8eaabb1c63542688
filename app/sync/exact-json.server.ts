/**
 * JSON.parse that keeps 64-bit integers exact: an integer literal outside JS's safe range becomes a
 * bigint (read from the source text, which Node 22+ passes to the reviver). Shopify's REST-style
 * webhook ids exceed 2^53.
 */
type ReviverContext = { source?: string };

export function parseExactJson(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: ReviverContext) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  };
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** Serialises bigints as JSON strings (jsonb keeps them; readers turn them back into bigint). */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** `gid://shopify/Order/123` -> 123n; null when the value is not such a gid. */
export function idFromGid(gid: unknown): bigint | null {
  if (typeof gid !== "string") return null;
  const m = /^gid:\/\/shopify\/[A-Za-z]+\/(\d+)(?:\?.*)?$/.exec(gid);
  return m ? BigInt(m[1]) : null;
}
