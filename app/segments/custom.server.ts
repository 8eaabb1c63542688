// Custom segments: a merchant's rule tree, validated, compiled with bind parameters only, previewed.
import { countRuleMatches } from "./engine.server";
import { Params, compileRule, validateRule, type RuleError } from "./rules";
import { REFERENCEABLE_KEYS } from "./settings.server";
import { unstorableTextErrors } from "./rule-text";

/**
 * Compiles a custom rule tree to a parameterised SQL condition over the feature row `f` (and `s`,
 * the shop statistics). Values only ever appear in `params`; column names come from the allow-list.
 */
export function compileCustomRule(tree: unknown, firstParam = 1): { sql: string; params: unknown[] } | { errors: RuleError[] } {
  const checked = validateRule(tree, REFERENCEABLE_KEYS);
  if (!checked.ok) return { errors: checked.errors };
  const params = new Params(new Array(firstParam - 1).fill(null));
  const sql = compileRule(checked.rule, { params, segmentSql: (key, p) => `(coalesce(f.segments, '{}') @> array[${p.add(key)}::text])` });
  return { sql, params: params.values.slice(firstParam - 1) };
}

/** The number of customers a rule would hold now (before saving), or the validation errors. */
export async function previewCustomSegment(shopId: number, tree: unknown, options: { now?: Date } = {}): Promise<{ ok: true; count: number } | { ok: false; errors: RuleError[] }> {
  const checked = validateRule(tree, REFERENCEABLE_KEYS);
  if (!checked.ok) return { ok: false, errors: checked.errors };
  const text = unstorableTextErrors(tree);
  if (text.length) return { ok: false, errors: text };
  return { ok: true, count: await countRuleMatches(shopId, checked.rule, options.now) };
}
