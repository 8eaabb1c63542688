// A rule tree in the merchant's words: "Lifetime orders ≥ 1 AND Days since the last order > 180".
import { FEATURES, type FeatureName } from "../segments/features";
import type { CatalogueRule, Rule } from "../segments/rules";
import { label, type T } from "./i18n";

const CMP: Record<string, string> = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", in: "∈" };

export function featureLabel(t: T, name: string) {
  return label(t, `feature.${name}`, FEATURES[name as FeatureName]?.label ?? name);
}

export function describeRule(t: T, rule: Rule | CatalogueRule | undefined, depth = 0): string {
  if (!rule) return "–";
  switch (rule.op) {
    case "and":
    case "or": {
      const inner = rule.rules.map((r) => describeRule(t, r, depth + 1)).join(` ${t(`rule.${rule.op}`)} `);
      return depth > 0 ? `(${inner})` : inner;
    }
    case "not":
      return `${t("rule.not")} ${describeRule(t, rule.rule, depth + 1)}`;
    case "never":
      return t("rule.never");
    case "segment":
      return t("rule.memberOf", { segment: label(t, `segment.${rule.segment}`, rule.segment) });
    case "stat": {
      const factor = rule.factor !== undefined && rule.factor !== 1 ? `${rule.factor} × ` : "";
      return `${featureLabel(t, rule.feature)} ${CMP[rule.cmp]} ${factor}${label(t, `stat.${rule.stat}`, rule.stat)}`;
    }
    case "cmp":
      return `${featureLabel(t, rule.feature)} ${CMP[rule.cmp] ?? rule.cmp} ${Array.isArray(rule.value) ? rule.value.join(", ") : rule.value}`;
  }
}
