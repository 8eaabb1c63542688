// Rule trees (AND / OR / NOT over features, comparisons, membership of other segments): validated
// with path-addressed errors and compiled to SQL in which every value is a bind parameter and every
// column comes from the fixed allow-list in features.ts. Catalogue segments are rule trees too, so
// one compiler serves the catalogue, custom segments, the change log's "why" and explanations.
import { CATALOGUE_KEYS, RFM_SEGMENT_KEYS } from "./catalogue";
import { FEATURES, STATS, isFeatureName, type FeatureName, type StatName } from "./features";

export type NumberCmp = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type TextCmp = "=" | "!=" | "in";

export type Rule =
  | { op: "and" | "or"; rules: Rule[] }
  | { op: "not"; rule: Rule }
  | { op: "cmp"; feature: FeatureName; cmp: NumberCmp | TextCmp; value: number | string | string[] }
  | { op: "segment"; segment: string };

/** Catalogue-only nodes: a comparison against a shop statistic, and "never" (a documented hook). */
export type CatalogueRule =
  | { op: "and" | "or"; rules: CatalogueRule[] }
  | { op: "not"; rule: CatalogueRule }
  | Extract<Rule, { op: "cmp" }>
  | { op: "stat"; feature: FeatureName; cmp: NumberCmp; stat: StatName; factor?: number }
  | { op: "never"; reason: string };

export interface RuleError {
  path: string;
  message: string;
}

const NUMBER_CMPS = ["=", "!=", "<", "<=", ">", ">="];
const TEXT_CMPS = ["=", "!=", "in"];
const MAX_DEPTH = 8;
const MAX_NODES = 100;
const MAX_TEXT = 255;
const MAX_LIST = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Checks a custom rule tree. `segmentKeys` are the segments a rule may reference (default: the
 * catalogue and RFM keys). Errors name the path of the offending node, e.g. `rules[1].value`.
 */
export function validateRule(tree: unknown, segmentKeys: readonly string[] = [...CATALOGUE_KEYS, ...RFM_SEGMENT_KEYS]): { ok: true; rule: Rule } | { ok: false; errors: RuleError[] } {
  const errors: RuleError[] = [];
  let nodes = 0;
  const visit = (node: unknown, path: string, depth: number) => {
    const at = path || "(root)";
    nodes++;
    if (nodes > MAX_NODES) {
      if (nodes === MAX_NODES + 1) errors.push({ path: at, message: `A rule may have at most ${MAX_NODES} conditions.` });
      return;
    }
    if (depth > MAX_DEPTH) {
      errors.push({ path: at, message: `Rules may nest at most ${MAX_DEPTH} levels deep.` });
      return;
    }
    if (!isObject(node)) {
      errors.push({ path: at, message: "Expected a condition object." });
      return;
    }
    const prefix = path ? `${path}.` : "";
    switch (node.op) {
      case "and":
      case "or": {
        if (!Array.isArray(node.rules) || node.rules.length === 0) {
          errors.push({ path: `${prefix}rules`, message: `"${node.op}" needs a non-empty list of conditions.` });
          return;
        }
        node.rules.forEach((child, i) => visit(child, `${prefix}rules[${i}]`, depth + 1));
        return;
      }
      case "not":
        if (node.rule === undefined) {
          errors.push({ path: `${prefix}rule`, message: `"not" needs one condition.` });
          return;
        }
        visit(node.rule, `${prefix}rule`, depth + 1);
        return;
      case "segment":
        if (typeof node.segment !== "string" || !segmentKeys.includes(node.segment)) {
          errors.push({
            path: `${prefix}segment`,
            message: `Unknown segment. Use one of the catalogue or RFM segments: ${segmentKeys.join(", ")}.`,
          });
        }
        return;
      case "cmp": {
        if (!isFeatureName(node.feature)) {
          errors.push({ path: `${prefix}feature`, message: `Unknown feature. Use one of: ${Object.keys(FEATURES).join(", ")}.` });
          return;
        }
        const def = FEATURES[node.feature];
        if (def.type === "number") {
          if (typeof node.cmp !== "string" || !NUMBER_CMPS.includes(node.cmp)) {
            errors.push({ path: `${prefix}cmp`, message: `"${node.feature}" is a number: compare with one of ${NUMBER_CMPS.join(" ")}.` });
          }
          if (typeof node.value !== "number" || !Number.isFinite(node.value)) {
            errors.push({ path: `${prefix}value`, message: `"${node.feature}" is a number: the value must be a finite number.` });
          }
        } else {
          if (typeof node.cmp !== "string" || !TEXT_CMPS.includes(node.cmp)) {
            errors.push({ path: `${prefix}cmp`, message: `"${node.feature}" is text: compare with one of ${TEXT_CMPS.join(" ")}.` });
            return;
          }
          if (node.cmp === "in") {
            if (!Array.isArray(node.value) || node.value.length === 0 || node.value.length > MAX_LIST || !node.value.every((v) => typeof v === "string" && v.length <= MAX_TEXT)) {
              errors.push({ path: `${prefix}value`, message: `"in" needs a list of 1 to ${MAX_LIST} texts of at most ${MAX_TEXT} characters.` });
            }
          } else if (typeof node.value !== "string" || node.value.length > MAX_TEXT) {
            errors.push({ path: `${prefix}value`, message: `"${node.feature}" is text: the value must be a text of at most ${MAX_TEXT} characters.` });
          }
        }
        return;
      }
      default:
        errors.push({ path: `${prefix}op`, message: `Unknown operator. Use "and", "or", "not", "cmp" or "segment".` });
    }
  };
  visit(tree, "", 0);
  return errors.length ? { ok: false, errors } : { ok: true, rule: tree as Rule };
}

/** Collects bind parameters; `add` returns the placeholder. */
export class Params {
  readonly values: unknown[];
  constructor(initial: unknown[] = []) {
    this.values = [...initial];
  }
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const SQL_CMP: Record<string, string> = { "=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };

export interface CompileContext {
  params: Params;
  /** SQL that is true when the row is a member of `key` (custom layer only). */
  segmentSql?: (key: string, params: Params) => string;
}

/** Compiles a tree to a boolean SQL expression over `f` (features) and `s` (shop statistics). */
export function compileRule(rule: Rule | CatalogueRule, ctx: CompileContext): string {
  const { params } = ctx;
  switch (rule.op) {
    case "and":
    case "or":
      return `(${rule.rules.map((r) => compileRule(r, ctx)).join(rule.op === "and" ? " and " : " or ")})`;
    case "not":
      return `(not ${compileRule(rule.rule, ctx)})`;
    case "never":
      return "false";
    case "segment":
      if (!ctx.segmentSql) throw new Error("segment references are only allowed in custom rules");
      return ctx.segmentSql(rule.segment, params);
    case "stat": {
      const factor = rule.factor === undefined ? "" : ` * ${params.add(String(rule.factor))}::numeric`;
      return `coalesce(${FEATURES[rule.feature].sql} ${SQL_CMP[rule.cmp]} ${STATS[rule.stat]}${factor}, false)`;
    }
    case "cmp": {
      const def = FEATURES[rule.feature];
      if (def.type === "number") {
        const whole = "integer" in def && def.integer && typeof rule.value === "number" && Number.isSafeInteger(rule.value);
        return `coalesce(${def.sql} ${SQL_CMP[rule.cmp]} ${params.add(String(rule.value))}::${whole ? "bigint" : "numeric"}, false)`;
      }
      if (rule.cmp === "in") return `coalesce(${def.sql} = any(${params.add(rule.value)}::text[]), false)`;
      return `coalesce(${def.sql} ${SQL_CMP[rule.cmp]} ${params.add(rule.value)}::text, false)`;
    }
  }
}

/** The features a tree reads and the shop statistics it compares against (for the "why"). */
export function ruleInputs(rule: Rule | CatalogueRule, into = { features: new Set<FeatureName>(), stats: new Set<StatName>(), segments: new Set<string>() }) {
  switch (rule.op) {
    case "and":
    case "or":
      rule.rules.forEach((r) => ruleInputs(r, into));
      break;
    case "not":
      ruleInputs(rule.rule, into);
      break;
    case "cmp":
      into.features.add(rule.feature);
      break;
    case "stat":
      into.features.add(rule.feature);
      into.stats.add(rule.stat);
      break;
    case "segment":
      into.segments.add(rule.segment);
      break;
    case "never":
      break;
  }
  return into;
}

/** A JSON object (SQL) of the inputs' current values: the "why" recorded with a change. */
export function whySql(rule: Rule | CatalogueRule): string {
  const { features, stats } = ruleInputs(rule);
  const parts: string[] = [];
  for (const name of [...features].sort()) parts.push(`'${name}', ${FEATURES[name].sql}`);
  for (const name of [...stats].sort()) parts.push(`'${name}', ${STATS[name]}`);
  return parts.length ? `jsonb_build_object(${parts.join(", ")})` : `'{}'::jsonb`;
}
