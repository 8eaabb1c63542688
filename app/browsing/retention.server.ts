// The daily browsing job: keeps each shop's pixel events for its retention window (default 90
// days), by dropping whole day tables past the longest window and deleting rows of shops with a
// shorter one; forgets clients not seen within their shop's window; creates tomorrow's table; and
// recomputes every browsing customer (7/30-day windows roll even without new events).
import { refreshBrowsingShop } from "./features.server";
import { dropPartition, ensurePartitions, listPartitions, utcDay } from "./partitions.server";
import { browsingPool } from "./pool.server";

export const DEFAULT_RETENTION_DAYS = 90;
export const MIN_RETENTION_DAYS = 31; // the features look back 30 days
export const MAX_RETENTION_DAYS = 365;

const DAY = 86400_000;
const dayBefore = (now: Date, days: number) => utcDay(new Date(Date.parse(`${utcDay(now)}T00:00:00Z`) - days * DAY));

/** The shop's retention window in days (shops.settings.pixelRetentionDays, bounded). */
export function retentionOf(settings: unknown): number {
  const v = (settings as Record<string, unknown> | null)?.pixelRetentionDays;
  return typeof v === "number" && Number.isInteger(v) ? Math.min(MAX_RETENTION_DAYS, Math.max(MIN_RETENTION_DAYS, v)) : DEFAULT_RETENTION_DAYS;
}

export class RetentionSettingError extends Error {}

export async function setPixelRetentionDays(shopId: number, days: number) {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    throw new RetentionSettingError(`Keep browsing events between ${MIN_RETENTION_DAYS} and ${MAX_RETENTION_DAYS} days (whole days).`);
  }
  await browsingPool().query("update shops set settings = coalesce(settings, '{}'::jsonb) || jsonb_build_object('pixelRetentionDays', $2::int) where id = $1", [
    shopId,
    days,
  ]);
}

export interface RetentionResult {
  droppedDays: string[];
  deletedEvents: number;
  forgottenClients: number;
}

/** Applies every shop's retention window as of `now`. Idempotent. */
export async function applyPixelRetention(options: { now?: Date } = {}): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const db = browsingPool();
  const { rows: shops } = await db.query<{ id: number; settings: unknown }>("select id, settings from shops");
  const longest = Math.max(DEFAULT_RETENTION_DAYS, ...shops.map((s) => retentionOf(s.settings)));
  // Day tables entirely older than every shop's window go at once (no row-by-row delete).
  const keepFrom = dayBefore(now, longest);
  const droppedDays: string[] = [];
  for (const p of await listPartitions(db)) {
    if (p.day < keepFrom) {
      await dropPartition(db, p.day);
      droppedDays.push(p.day);
    }
  }
  let deletedEvents = 0;
  let forgottenClients = 0;
  for (const shop of shops) {
    const from = dayBefore(now, retentionOf(shop.settings));
    if (from > keepFrom) {
      const r = await db.query("delete from pixel_events where shop_id = $1 and day < $2::date and day >= $3::date", [shop.id, from, keepFrom]);
      deletedEvents += r.rowCount ?? 0;
    }
    const c = await db.query("delete from browsing_clients where shop_id = $1 and last_seen_at < $2::date", [shop.id, from]);
    forgottenClients += c.rowCount ?? 0;
  }
  await ensurePartitions(db, [utcDay(now), utcDay(new Date(now.getTime() + DAY))]);
  return { droppedDays, deletedEvents, forgottenClients };
}

/** The daily job: retention, then every installed shop's browsing features and segments. */
export async function runBrowsingMaintenance(options: { now?: Date } = {}) {
  const retention = await applyPixelRetention(options);
  const { rows } = await browsingPool().query<{ id: number }>("select id from shops where install_state = 'installed' order by id");
  let customers = 0;
  for (const shop of rows) customers += (await refreshBrowsingShop(shop.id, options)).customers;
  return { ...retention, customers };
}
