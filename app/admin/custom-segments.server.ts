// The custom segment builder's server side: validation messages, the live preview count and saving,
// all through the segment engine (which compiles rules to parameterised SQL).
import { CATALOGUE_KEYS, RFM_SEGMENT_KEYS } from "../segments/catalogue";
import { validateRule, type RuleError } from "../segments/rules";
import type { AdminShop } from "./context.server";
import { SegmentSettingsError, previewCustomSegment, reevaluateShop, saveCustomSegment } from "../segments/index.server";
import { findShopSegment } from "./segment-list.server";

export type BuilderResult =
  | { ok: true; intent: "preview"; count: number }
  | { ok: true; intent: "save"; key: string }
  | { ok: false; intent: string; errors: RuleError[] };

const REFERENCEABLE = [...CATALOGUE_KEYS, ...RFM_SEGMENT_KEYS];

function parseRule(raw: FormDataEntryValue | null): { rule: unknown } | { error: RuleError } {
  try {
    return { rule: JSON.parse(String(raw ?? "")) };
  } catch {
    return { error: { path: "rule", message: "The rule could not be read." } };
  }
}

export async function handleBuilder(shop: AdminShop, form: FormData): Promise<BuilderResult> {
  const intent = String(form.get("intent") ?? "preview");
  const parsed = parseRule(form.get("rule"));
  if ("error" in parsed) return { ok: false, intent, errors: [parsed.error] };
  const checked = validateRule(parsed.rule, REFERENCEABLE);
  if (intent === "preview") {
    if (!checked.ok) return { ok: false, intent, errors: checked.errors };
    const preview = await previewCustomSegment(shop.id, parsed.rule);
    return preview.ok ? { ok: true, intent, count: preview.count } : { ok: false, intent, errors: preview.errors };
  }
  const key = String(form.get("key") ?? "").trim();
  const name = String(form.get("name") ?? "").trim();
  const existing = await findShopSegment(shop.id, key);
  if (existing && existing.kind !== "custom") return { ok: false, intent, errors: [{ path: "key", message: "builder.error.keyTaken" }] };
  try {
    await saveCustomSegment(shop.id, { key, name, rule: parsed.rule });
  } catch (error) {
    if (error instanceof SegmentSettingsError) return { ok: false, intent, errors: error.errors };
    throw error;
  }
  await reevaluateShop(shop.id);
  return { ok: true, intent: "save", key };
}
