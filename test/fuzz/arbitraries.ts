// Hostile values for property-based fuzzing: text that breaks naive SQL, HTML, JSON or UTF-8
// handling, numbers beyond what JS or Postgres hold, wrong types, and ways to mutate a valid body.
import fc from "fast-check";

/** Strings a careless parser, query builder or template would trip on. */
export const HOSTILE_TEXTS = [
  "",
  " ",
  "'; drop table orders; --",
  "Robert'); DELETE FROM customers WHERE ('1'='1",
  "\" OR 1=1 --",
  "$1",
  "\\",
  "<script>alert(1)</script>",
  "javascript:alert(1)",
  "{{7*7}}${7*7}",
  "../../etc/passwd",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\u202e\u200b\ufeff",
  "💥🏳️‍🌈",
  "Ünïcødé ñ 日本語",
  "gid://shopify/Order/-1",
  "gid://shopify/Order/99999999999999999999",
  "gid://shopify/Order/0",
  "NaN",
  "Infinity",
  "-0",
  " 12 ",
  "1e400",
  "0x1F",
  "9223372036854775808",
  "-9223372036854775809",
  "2026-13-45T99:99:99Z",
  "+275760-09-13T00:00:00Z",
  "-271821-04-20T00:00:00Z",
  "0001-01-01T00:00:00Z",
];

/** Raw JSON number literals (written into the body as they are, so JSON.parse sees them). */
export const RAW_NUMBERS = [
  "0",
  "-1",
  "1.5",
  "-0.0001",
  "1e400",
  "-1e400",
  "1e21",
  "2147483648",
  "-2147483649",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
  "123456789012345678901234567890",
  "99999999999999999999.99999",
];

/** A marker for a raw JSON literal inside a value tree (replaced after JSON.stringify). */
export class Raw {
  constructor(readonly text: string) {}
}

export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TEXTS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((n) => "é".repeat(n)) },
);

export const rawNumber: fc.Arbitrary<Raw> = fc.oneof(
  fc.constantFrom(...RAW_NUMBERS),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
).map((t) => new Raw(t));

/** Any value a field might be replaced with; `undefined` means "remove the field". */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 4, arbitrary: rawNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, undefined, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Every path (`a`, `a.b`, `a[0].c`) into a JSON value, down to `depth` levels, arrays through their first element. */
export function pathsOf(value: unknown, depth = 3, prefix: (string | number)[] = []): (string | number)[][] {
  if (depth === 0 || typeof value !== "object" || value === null) return [];
  const out: (string | number)[][] = [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? (value.length ? [[0, value[0]]] : []) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf(v, depth - 1, p));
  }
  return out;
}

/** Sets (or, for `undefined`, deletes) the value at `path` in a deep copy. */
export function setPath(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== "object" || next === null) return copy;
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

/** JSON text of a tree holding Raw literals. */
export function toJsonText(tree: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(tree, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `__raw_${raws.length - 1}__`;
    }
    return v;
  });
  return text.replace(/"__raw_(\d+)__"/g, (_m, i: string) => raws[Number(i)]);
}
