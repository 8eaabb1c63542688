// Settings: catalogue thresholds (with their defaults), enabled segments, tag prefix, opt-out tag and
// the app's language. Thresholds and enable/disable go through the segment engine, which then
// re-evaluates memberships from the feature table; the rest is the shop's settings JSON.
import prisma from "../db.server";
import { LANGUAGE_CHOICES } from "./choices";
import type { AdminShop } from "./context.server";
import { SegmentSettingsError, reevaluateShop, updateSegmentSettings } from "../segments/index.server";
import { listShopSegments, type SegmentInfo } from "./segment-list.server";

export const DEFAULT_TAG_PREFIX = "seg:";
export const DEFAULT_OPT_OUT_TAG = "seg:opt-out";

export interface GeneralSettings {
  tagPrefix: string;
  optOutTag: string;
  language: string;
}

export interface SettingsView {
  general: GeneralSettings;
  segments: SegmentInfo[];
}

export type FieldErrors = Record<string, string>;

function general(settings: Record<string, unknown>): GeneralSettings {
  const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);
  const language = str(settings.language);
  return {
    tagPrefix: str(settings.tagPrefix) ?? DEFAULT_TAG_PREFIX,
    optOutTag: str(settings.optOutTag) ?? DEFAULT_OPT_OUT_TAG,
    language: language && (LANGUAGE_CHOICES as readonly string[]).includes(language) ? language : "auto",
  };
}

export async function loadSettings(shop: AdminShop): Promise<SettingsView> {
  return { general: general(shop.settings), segments: await listShopSegments(shop.id) };
}

// Shopify tags: up to 255 characters, no commas (and no control characters: Postgres refuses NUL).
const TAG = /^[^,\p{Cc}]{1,40}$/u;

/** Saves the settings form; returns field errors (in `settings.<key>.<name>` form) or none. */
export async function saveSettings(shop: AdminShop, form: FormData): Promise<{ errors: FieldErrors; reevaluated: boolean }> {
  const errors: FieldErrors = {};
  const tagPrefix = String(form.get("tagPrefix") ?? "").trim();
  const optOutTag = String(form.get("optOutTag") ?? "").trim();
  const language = String(form.get("language") ?? "auto");
  if (!TAG.test(tagPrefix)) errors.tagPrefix = "settings.error.tag";
  if (!TAG.test(optOutTag)) errors.optOutTag = "settings.error.tag";
  if (!(LANGUAGE_CHOICES as readonly string[]).includes(language)) errors.language = "settings.error.language";

  const segments = await listShopSegments(shop.id);
  const patches: { key: string; patch: { enabled?: boolean; settings?: Record<string, number> } }[] = [];
  for (const s of segments) {
    const patch: { enabled?: boolean; settings?: Record<string, number> } = {};
    const enabled = form.get(`enabled.${s.key}`);
    if (enabled !== null) {
      const on = enabled === "on" || enabled === "true";
      if (on !== s.enabled) patch.enabled = on;
    }
    for (const name of Object.keys(s.definitions)) {
      const raw = form.get(`settings.${s.key}.${name}`);
      if (raw === null) continue;
      const value = Number(String(raw).trim());
      const def = s.definitions[name];
      if (String(raw).trim() === "" || !Number.isFinite(value)) errors[`settings.${s.key}.${name}`] = "settings.error.number";
      else if (value < def.min || value > def.max) errors[`settings.${s.key}.${name}`] = `settings.error.range|${def.min}|${def.max}`;
      else if (def.integer && !Number.isInteger(value)) errors[`settings.${s.key}.${name}`] = "settings.error.integer";
      else if (value !== s.settings[name]) (patch.settings ??= {})[name] = value;
    }
    if (patch.enabled !== undefined || patch.settings) patches.push({ key: s.key, patch });
  }
  if (Object.keys(errors).length) return { errors, reevaluated: false };

  await prisma.shop.update({
    where: { id: shop.id },
    data: { settings: { ...shop.settings, tagPrefix, optOutTag, language } },
  });
  if (patches.length === 0) return { errors, reevaluated: false };

  for (const { key, patch } of patches) {
    try {
      await updateSegmentSettings(shop.id, key, patch);
    } catch (error) {
      if (!(error instanceof SegmentSettingsError)) throw error;
      for (const item of error.errors) errors[`settings.${key}.${item.path.replace(/^settings\./, "")}`] = `!${item.message}`;
    }
  }
  if (Object.keys(errors).length) return { errors, reevaluated: false };
  await reevaluateShop(shop.id);
  return { errors, reevaluated: true };
}
