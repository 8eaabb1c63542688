// Text a rule may carry: Postgres stores neither a NUL character nor a lone UTF-16 surrogate (jsonb
// refuses both; a text bind parameter refuses NUL), so a rule holding one is refused with a message
// instead of failing the query. Shopify tags, vendors and product types never contain them.
import type { RuleError } from "./rules";

// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE = "This text contains a character that cannot be stored (NUL or a broken character).";

export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/** Errors for every string (and object key) in a rule tree that cannot be stored, by path. */
export function unstorableTextErrors(tree: unknown, path = ""): RuleError[] {
  const at = path || "(root)";
  if (typeof tree === "string") return isStorableText(tree) ? [] : [{ path: at, message: UNSTORABLE_TEXT_MESSAGE }];
  if (Array.isArray(tree)) return tree.flatMap((v, i) => unstorableTextErrors(v, `${path}[${i}]`));
  if (typeof tree === "object" && tree !== null) {
    return Object.entries(tree).flatMap(([k, v]) =>
      isStorableText(k) ? unstorableTextErrors(v, path ? `${path}.${k}` : k) : [{ path: at, message: UNSTORABLE_TEXT_MESSAGE }],
    );
  }
  return [];
}
