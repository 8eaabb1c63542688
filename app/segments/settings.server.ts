// Per-shop segment settings: catalogue thresholds merged over the SEGMENTS.md defaults, enable /
// disable for every segment (catalogue, RFM, custom), and the custom segments' rule trees. Stored in
// the `segments` table (a row only once a merchant changed something, or for custom segments).
import type pg from "pg";
import {
  CATALOGUE,
  CATALOGUE_KEYS,
  RFM_GROUPS,
  RFM_SEGMENT_KEYS,
  catalogueEntry,
  defaultSettings,
  rfmSegmentKey,
  type SettingDef,
} from "./catalogue";
import { enginePool } from "./pool.server";
import { validateRule, type Rule, type RuleError } from "./rules";
import { UNSTORABLE_TEXT_MESSAGE, isStorableText, unstorableTextErrors } from "./rule-text";

export interface SegmentSettings {
  key: string;
  kind: "catalogue" | "rfm" | "custom";
  name: string;
  enabled: boolean;
  /** Thresholds in effect (catalogue); empty for RFM and custom. */
  settings: Record<string, number>;
  defaults: Record<string, number>;
  definitions: Record<string, SettingDef>;
  /** Custom segments only. */
  rule?: Rule;
}

export interface SegmentRow {
  key: string;
  kind: string;
  name: string;
  enabled: boolean;
  definition: Record<string, unknown>;
}

export class SegmentSettingsError extends Error {
  constructor(
    message: string,
    readonly errors: RuleError[] = [],
  ) {
    super(message);
    this.name = "SegmentSettingsError";
  }
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

function merge(entry: (typeof CATALOGUE)[number], row: SegmentRow | undefined): SegmentSettings {
  const defaults = defaultSettings(entry);
  const stored = (row?.definition ?? {}) as Record<string, unknown>;
  const settings = { ...defaults };
  for (const k of Object.keys(defaults)) if (typeof stored[k] === "number") settings[k] = stored[k] as number;
  return {
    key: entry.key,
    kind: "catalogue",
    name: entry.name,
    enabled: row?.enabled ?? entry.enabledByDefault,
    settings,
    defaults,
    definitions: entry.settings,
  };
}

/** Every segment of the shop with the settings in effect, in evaluation order. */
export async function listSegments(shopId: number, db: Queryable = enginePool()): Promise<SegmentSettings[]> {
  const { rows } = await db.query<SegmentRow>("select key, kind, name, enabled, definition from segments where shop_id = $1 order by key", [shopId]);
  return segmentsFromRows(rows);
}

/** The settings in effect from the shop's `segments` rows (ordered by key). */
export function segmentsFromRows(rows: SegmentRow[]): SegmentSettings[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out: SegmentSettings[] = CATALOGUE.map((entry) => merge(entry, byKey.get(entry.key)));
  for (const g of RFM_GROUPS) {
    const key = rfmSegmentKey(g.key);
    out.push({ key, kind: "rfm", name: `RFM: ${g.name}`, enabled: byKey.get(key)?.enabled ?? true, settings: {}, defaults: {}, definitions: {} });
  }
  for (const r of rows) {
    if (r.kind !== "custom") continue;
    out.push({ key: r.key, kind: "custom", name: r.name, enabled: r.enabled, settings: {}, defaults: {}, definitions: {}, rule: r.definition.rule as Rule });
  }
  return out;
}

export async function getSegmentSettings(shopId: number, key: string, db: Queryable = enginePool()): Promise<SegmentSettings> {
  const found = (await listSegments(shopId, db)).find((s) => s.key === key);
  if (!found) throw new SegmentSettingsError(`Unknown segment "${key}".`);
  return found;
}

/**
 * Changes a segment's thresholds and/or enables or disables it. Memberships follow on the next
 * evaluation: call reevaluateShop() after (seconds at 1 M customers, no rescan of orders).
 */
export async function updateSegmentSettings(
  shopId: number,
  key: string,
  patch: { enabled?: boolean; settings?: Record<string, unknown> },
  db: Queryable = enginePool(),
): Promise<SegmentSettings> {
  const current = await getSegmentSettings(shopId, key, db);
  const errors: RuleError[] = [];
  const next = { ...current.settings };
  if (patch.enabled !== undefined && typeof patch.enabled !== "boolean") errors.push({ path: "enabled", message: "Must be true or false." });
  for (const [name, value] of Object.entries(patch.settings ?? {})) {
    const def = current.definitions[name];
    if (!def) {
      errors.push({ path: `settings.${name}`, message: `"${key}" has no setting "${name}".` });
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      errors.push({ path: `settings.${name}`, message: `${def.label}: must be a number.` });
    } else if (value < def.min || value > def.max) {
      errors.push({ path: `settings.${name}`, message: `${def.label}: must be between ${def.min} and ${def.max}.` });
    } else if (def.integer && !Number.isInteger(value)) {
      errors.push({ path: `settings.${name}`, message: `${def.label}: must be a whole number.` });
    } else {
      next[name] = value;
    }
  }
  if (errors.length) throw new SegmentSettingsError(`Invalid settings for "${key}".`, errors);
  const enabled = patch.enabled ?? current.enabled;
  const definition = current.kind === "custom" ? { rule: current.rule } : current.kind === "catalogue" ? next : {};
  await db.query(
    `insert into segments (shop_id, key, kind, name, enabled, definition, updated_at) values ($1, $2, $3, $4, $5, $6, now())
     on conflict (shop_id, key) do update set enabled = excluded.enabled, definition = excluded.definition, updated_at = now()`,
    [shopId, key, current.kind, current.name, enabled, JSON.stringify(definition)],
  );
  return { ...current, enabled, settings: current.kind === "catalogue" ? next : {} };
}

export const REFERENCEABLE_KEYS: readonly string[] = [...CATALOGUE_KEYS, ...RFM_SEGMENT_KEYS];
const CUSTOM_KEY = /^[a-z0-9][a-z0-9-]{0,47}$/;

/** Validates a custom segment; returns the errors (empty when it can be saved). */
export function validateCustomSegment(input: { key: unknown; name: unknown; rule: unknown }): RuleError[] {
  const errors: RuleError[] = [];
  if (typeof input.key !== "string" || !CUSTOM_KEY.test(input.key)) {
    errors.push({ path: "key", message: "Use 1-48 lowercase letters, digits or dashes, starting with a letter or digit (it becomes the tag)." });
  } else if (REFERENCEABLE_KEYS.includes(input.key) || catalogueEntry(input.key)) {
    errors.push({ path: "key", message: `"${input.key}" is a catalogue segment: choose another key.` });
  }
  if (typeof input.name !== "string" || input.name.trim().length === 0 || input.name.length > 100) {
    errors.push({ path: "name", message: "A name of 1-100 characters is required." });
  } else if (!isStorableText(input.name)) {
    errors.push({ path: "name", message: UNSTORABLE_TEXT_MESSAGE });
  }
  const checked = validateRule(input.rule, REFERENCEABLE_KEYS);
  const ruleErrors = checked.ok ? unstorableTextErrors(input.rule) : checked.errors;
  errors.push(...ruleErrors.map((e) => ({ path: e.path === "(root)" ? "rule" : `rule.${e.path}`, message: e.message })));
  return errors;
}

/** Stores a custom segment (as data: the rule is JSON, compiled with bind parameters at evaluation). */
export async function saveCustomSegment(
  shopId: number,
  input: { key: string; name: string; rule: unknown; enabled?: boolean },
  db: Queryable = enginePool(),
): Promise<SegmentSettings> {
  const errors = validateCustomSegment(input);
  if (errors.length) throw new SegmentSettingsError("The custom segment is not valid.", errors);
  const { rows } = await db.query<{ kind: string }>("select kind from segments where shop_id = $1 and key = $2", [shopId, input.key]);
  if (rows[0] && rows[0].kind !== "custom") throw new SegmentSettingsError(`"${input.key}" is taken.`, [{ path: "key", message: "Choose another key." }]);
  await db.query(
    `insert into segments (shop_id, key, kind, name, enabled, definition, updated_at) values ($1, $2, 'custom', $3, $4, $5, now())
     on conflict (shop_id, key) do update set name = excluded.name, enabled = excluded.enabled, definition = excluded.definition, updated_at = now()`,
    [shopId, input.key, input.name, input.enabled ?? true, JSON.stringify({ rule: input.rule })],
  );
  return getSegmentSettings(shopId, input.key, db);
}

/** Removes a custom segment; its members leave on the next evaluation (logged). */
export async function deleteCustomSegment(shopId: number, key: string, db: Queryable = enginePool()) {
  await db.query("delete from segments where shop_id = $1 and key = $2 and kind = 'custom'", [shopId, key]);
}
