// The custom segment rule tree as a form: groups (all / any, optionally negated) of conditions
// (feature, operator, value) or memberships of other segments. Converts to and from the engine's
// rule JSON and maps the engine's path-addressed errors back onto the fields.
import { useId } from "react";
import { BlockStack, Box, Button, Checkbox, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { FEATURES, type FeatureName } from "../segments/features";
import type { Rule } from "../segments/rules";
import { label, useT } from "./i18n";
import { featureLabel } from "./rule-text";

export type UiCondition = { kind: "cmp"; id: string; feature: string; cmp: string; value: string } | { kind: "segment"; id: string; segment: string };
export type UiGroup = { kind: "group"; id: string; op: "and" | "or"; not: boolean; children: UiNode[] };
export type UiNode = UiGroup | UiCondition;

let counter = 0;
export const nextId = () => `n${++counter}`;

export const NUMBER_CMPS = [">=", ">", "=", "!=", "<=", "<"];
export const TEXT_CMPS = ["=", "!=", "in"];

export function newCondition(): UiCondition {
  return { kind: "cmp", id: nextId(), feature: "orders_count", cmp: ">=", value: "1" };
}

export function newGroup(): UiGroup {
  return { kind: "group", id: nextId(), op: "and", not: false, children: [newCondition()] };
}

const isNumber = (feature: string) => FEATURES[feature as FeatureName]?.type !== "text";

/** UI tree -> rule JSON, recording the error path prefix of every node. */
export function toRule(node: UiNode, paths: Map<string, string> = new Map(), path = ""): unknown {
  const prefix = path ? `${path}.` : "";
  if (node.kind === "group") {
    const inner = node.not ? `${prefix}rule.` : prefix;
    paths.set(node.id, inner);
    const group = { op: node.op, rules: node.children.map((c, i) => toRule(c, paths, `${inner}rules[${i}]`)) };
    return node.not ? { op: "not", rule: group } : group;
  }
  paths.set(node.id, prefix);
  if (node.kind === "segment") return { op: "segment", segment: node.segment };
  const raw = node.value.trim();
  let value: unknown = raw;
  if (!isNumber(node.feature)) value = node.cmp === "in" ? raw.split(",").map((v) => v.trim()).filter(Boolean) : raw;
  else if (raw !== "" && Number.isFinite(Number(raw))) value = Number(raw);
  return { op: "cmp", feature: node.feature, cmp: node.cmp, value };
}

/** Rule JSON -> UI tree (the root is always a group). */
export function fromRule(rule: Rule | undefined): UiGroup {
  const convert = (r: Rule): UiNode => {
    switch (r.op) {
      case "and":
      case "or":
        return { kind: "group", id: nextId(), op: r.op, not: false, children: r.rules.map(convert) };
      case "not": {
        const inner = convert(r.rule);
        if (inner.kind === "group" && !inner.not) return { ...inner, not: true };
        return { kind: "group", id: nextId(), op: "and", not: true, children: [inner] };
      }
      case "segment":
        return { kind: "segment", id: nextId(), segment: r.segment };
      case "cmp":
        return { kind: "cmp", id: nextId(), feature: r.feature, cmp: r.cmp, value: Array.isArray(r.value) ? r.value.join(", ") : String(r.value) };
    }
  };
  if (!rule) return newGroup();
  const root = convert(rule);
  return root.kind === "group" ? root : { kind: "group", id: nextId(), op: "and", not: false, children: [root] };
}

function replace(node: UiNode, id: string, next: UiNode | null): UiNode | null {
  if (node.id === id) return next;
  if (node.kind !== "group") return node;
  return { ...node, children: node.children.map((c) => replace(c, id, next)).filter((c): c is UiNode => c !== null) };
}

interface Props {
  root: UiGroup;
  onChange: (root: UiGroup) => void;
  errors: Map<string, string>;
  paths: Map<string, string>;
  segments: { key: string; name: string }[];
}

export function RuleBuilder(props: Props) {
  return <GroupEditor {...props} group={props.root} depth={0} />;
}

function GroupEditor({ group, depth, ...props }: Props & { group: UiGroup; depth: number }) {
  const t = useT();
  const set = (next: UiNode | null) => props.onChange((replace(props.root, group.id, next) as UiGroup | null) ?? newGroup());
  const add = (child: UiNode) => set({ ...group, children: [...group.children, child] });
  const prefix = props.paths.get(group.id) ?? "";
  const groupError = props.errors.get(`${prefix}rules`);
  return (
    <Box padding="300" borderWidth="025" borderColor="border" borderRadius="200" background={depth % 2 ? "bg-surface-secondary" : "bg-surface"}>
      <BlockStack gap="300">
        <InlineStack gap="300" blockAlign="center" wrap>
          <Select
            label={t("builder.match")}
            labelInline
            options={[
              { label: t("builder.all"), value: "and" },
              { label: t("builder.any"), value: "or" },
            ]}
            value={group.op}
            onChange={(op) => set({ ...group, op: op as "and" | "or" })}
          />
          <Checkbox label={t("builder.not")} checked={group.not} onChange={(not) => set({ ...group, not })} />
          {depth > 0 && (
            <Button variant="plain" tone="critical" onClick={() => set(null)}>
              {t("builder.removeGroup")}
            </Button>
          )}
        </InlineStack>
        {groupError && <Text as="p" tone="critical">{groupError}</Text>}
        {group.children.map((child) =>
          child.kind === "group" ? (
            <GroupEditor key={child.id} {...props} group={child} depth={depth + 1} />
          ) : (
            <ConditionEditor key={child.id} {...props} node={child} onSet={(next) => props.onChange((replace(props.root, child.id, next) as UiGroup | null) ?? newGroup())} />
          ),
        )}
        <InlineStack gap="200">
          <Button onClick={() => add(newCondition())}>{t("builder.addCondition")}</Button>
          <Button onClick={() => add({ kind: "segment", id: nextId(), segment: props.segments[0]?.key ?? "vip" })}>{t("builder.addSegment")}</Button>
          {depth < 3 && <Button onClick={() => add(newGroup())}>{t("builder.addGroup")}</Button>}
        </InlineStack>
      </BlockStack>
    </Box>
  );
}

function ConditionEditor({ node, onSet, errors, paths, segments }: Props & { node: UiCondition; onSet: (n: UiNode | null) => void }) {
  const t = useT();
  const uid = useId();
  const prefix = paths.get(node.id) ?? "";
  const err = (field: string) => errors.get(`${prefix}${field}`);
  if (node.kind === "segment") {
    return (
      <InlineStack gap="200" blockAlign="end" wrap>
        <Select
          label={t("builder.memberOf")}
          id={`${uid}-segment`}
          options={segments.map((s) => ({ label: label(t, `segment.${s.key}`, s.name), value: s.key }))}
          value={node.segment}
          onChange={(segment) => onSet({ ...node, segment })}
          error={err("segment")}
        />
        <Button variant="plain" tone="critical" onClick={() => onSet(null)} accessibilityLabel={t("builder.removeCondition")}>
          {t("builder.remove")}
        </Button>
      </InlineStack>
    );
  }
  const numeric = isNumber(node.feature);
  const cmps = numeric ? NUMBER_CMPS : TEXT_CMPS;
  return (
    <InlineStack gap="200" blockAlign="end" wrap>
      <Select
        label={t("builder.feature")}
        id={`${uid}-feature`}
        options={Object.keys(FEATURES).map((f) => ({ label: featureLabel(t, f), value: f }))}
        value={node.feature}
        onChange={(feature) => {
          const nextNumeric = isNumber(feature);
          onSet({ ...node, feature, cmp: nextNumeric === numeric ? node.cmp : nextNumeric ? ">=" : "=", value: nextNumeric === numeric ? node.value : "" });
        }}
        error={err("feature")}
      />
      <Select
        label={t("builder.operator")}
        id={`${uid}-cmp`}
        options={cmps.map((c) => ({ label: t(`builder.cmp.${c}`), value: c }))}
        value={cmps.includes(node.cmp) ? node.cmp : cmps[0]}
        onChange={(cmp) => onSet({ ...node, cmp })}
        error={err("cmp")}
      />
      <div style={{ minWidth: 160 }}>
        <TextField
          label={t("builder.value")}
          id={`${uid}-value`}
          autoComplete="off"
          type={numeric ? "number" : "text"}
          value={node.value}
          onChange={(value) => onSet({ ...node, value })}
          helpText={!numeric && node.cmp === "in" ? t("builder.listHint") : undefined}
          error={err("value")}
        />
      </div>
      <Button variant="plain" tone="critical" onClick={() => onSet(null)} accessibilityLabel={t("builder.removeCondition")}>
        {t("builder.remove")}
      </Button>
    </InlineStack>
  );
}
