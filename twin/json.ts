// JSON with exact integers: Shopify ids exceed 2^53, so bigints are written as raw JSON numbers
// (REST webhook payloads) and never pass through a JS float.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

export function stringifyExact(value: unknown, space?: number): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? rawJSON(v.toString()) : v), space);
}

/** Parses JSON keeping every integer that is not a safe JS number as a bigint. */
export function parseExact(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value === "number" && context?.source && !Number.isSafeInteger(value) && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  };
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}
