// Push-back state: the change log folded into a desired state per customer (tags, metafield), and
// the rows' persistence. Every writer runs under the shop's push lock (pushShop holds it).
import type pg from "pg";
import { listSegments } from "../segments/index.server";
import { catalogueEntry } from "../segments/catalogue";
import { CUSTOMER_SEGMENTS_METAFIELD, isLive, pickOffer } from "../offers/feed";
import { syncSettingsOf } from "../sync/shop-settings.server";
import { minus, planTags, sameSet, tagFor, type TagCategory } from "./tags";

export interface PushRow {
  customerId: bigint;
  segments: string[];
  optedOut: boolean;
  desiredTags: string[];
  pushedTags: string[];
  suppressedTags: string[];
  desiredMetafield: string | null;
  pushedMetafield: string | null;
  metafieldDigest: string | null;
  sweepTags: boolean;
  attempts: number;
  lastError: string | null;
  gone: boolean;
  pushedAt: Date | null;
}

export interface ShopPushContext {
  shopId: number;
  domain: string;
  /** Only installed shops are pushed to (an uninstalled app has no token). */
  installed: boolean;
  prefix: string;
  optOutTag: string;
  now: Date;
  /** Segment key -> name and tag category. */
  segments: Map<string, { name: string; category: TagCategory }>;
  offers: { id: number; segmentKey: string; priority: number; enabled: boolean; startsAt: Date | null; endsAt: Date | null }[];
}

export async function loadContext(db: pg.ClientBase, shopId: number, now = new Date()): Promise<ShopPushContext> {
  const shop = await db.query<{ domain: string; settings: unknown; install_state: string }>(
    "select domain, settings, install_state from shops where id = $1",
    [shopId],
  );
  if (!shop.rows[0]) throw new Error(`Shop ${shopId} does not exist.`);
  const settings = syncSettingsOf(shop.rows[0].settings);
  const segments = new Map<string, { name: string; category: TagCategory }>();
  for (const s of await listSegments(shopId, db)) {
    const category: TagCategory = s.kind === "custom" ? "custom" : s.kind === "rfm" ? "rfm" : catalogueEntry(s.key)?.group === "core" ? "core" : "behaviour";
    segments.set(s.key, { name: s.name, category });
  }
  const offers = await db.query<{ id: number; segment_key: string; priority: number; enabled: boolean; starts_at: Date | null; ends_at: Date | null }>(
    "select id, segment_key, priority, enabled, starts_at, ends_at from offers where shop_id = $1",
    [shopId],
  );
  return {
    shopId,
    domain: shop.rows[0].domain,
    installed: shop.rows[0].install_state === "installed",
    prefix: settings.tagPrefix,
    optOutTag: settings.optOutTag,
    now,
    segments,
    offers: offers.rows.map((o) => ({ id: o.id, segmentKey: o.segment_key, priority: o.priority, enabled: o.enabled, startsAt: o.starts_at, endsAt: o.ends_at })),
  };
}

/** What the desired state depends on besides memberships: a push finding another value re-derives. */
export function fingerprint(ctx: ShopPushContext): string {
  const live = ctx.offers
    .filter((o) => isLive(o, ctx.now))
    .map((o) => `${o.id}:${o.segmentKey}:${o.priority}`)
    .sort();
  return JSON.stringify({ prefix: ctx.prefix, optOut: ctx.optOutTag.toLowerCase(), live });
}

/** The tag category of one of our tags (for the 250-tag limit), from its segment. */
export function categoryOfTag(ctx: ShopPushContext, tag: string): TagCategory {
  return ctx.segments.get(tag.slice(ctx.prefix.length))?.category ?? "behaviour";
}

/** The `$app:segments` metafield value: the theme reads `segments`, `offer` and `opted_out`. */
export function metafieldValue(ctx: ShopPushContext, segments: string[], optedOut: boolean): string {
  const offer = optedOut ? null : pickOffer(ctx.offers, segments, ctx.now);
  return JSON.stringify({ segments: optedOut ? [] : segments, offer: offer ? String(offer.id) : null, opted_out: optedOut });
}

/** Recomputes a row's desired tags and metafield from its segments and the shop's settings. */
export function derive(ctx: ShopPushContext, row: PushRow): PushRow {
  const segments = row.optedOut ? [] : [...new Set(row.segments)].sort();
  const desiredTags = segments.map((k) => tagFor(ctx.prefix, k, ctx.optOutTag)).filter((t): t is string => t !== null);
  return {
    ...row,
    segments,
    desiredTags,
    // A suppressed tag that is no longer wanted is simply forgotten.
    suppressedTags: row.suppressedTags.filter((t) => desiredTags.includes(t)),
    desiredMetafield: metafieldValue(ctx, segments, row.optedOut),
  };
}

export function isDirty(row: PushRow): boolean {
  if (row.gone) return false;
  const plan = planTags(row.desiredTags, row.pushedTags, row.suppressedTags);
  return row.sweepTags || plan.add.length > 0 || plan.remove.length > 0 || row.desiredMetafield !== row.pushedMetafield;
}

export const emptyRow = (customerId: bigint): PushRow => ({
  customerId,
  segments: [],
  optedOut: false,
  desiredTags: [],
  pushedTags: [],
  suppressedTags: [],
  desiredMetafield: null,
  pushedMetafield: null,
  metafieldDigest: null,
  sweepTags: false,
  attempts: 0,
  lastError: null,
  gone: false,
  pushedAt: null,
});

const COLUMNS = `customer_id, segments, opted_out, desired_tags, pushed_tags, suppressed_tags, desired_metafield, pushed_metafield,
  metafield_digest, sweep_tags, attempts, last_error, gone, pushed_at`;

interface DbRow {
  customer_id: bigint;
  segments: string[];
  opted_out: boolean;
  desired_tags: string[];
  pushed_tags: string[];
  suppressed_tags: string[];
  desired_metafield: string | null;
  pushed_metafield: string | null;
  metafield_digest: string | null;
  sweep_tags: boolean;
  attempts: number;
  last_error: string | null;
  gone: boolean;
  pushed_at: Date | null;
}

const fromDb = (r: DbRow): PushRow => ({
  customerId: BigInt(r.customer_id),
  segments: r.segments,
  optedOut: r.opted_out,
  desiredTags: r.desired_tags,
  pushedTags: r.pushed_tags,
  suppressedTags: r.suppressed_tags,
  desiredMetafield: r.desired_metafield,
  pushedMetafield: r.pushed_metafield,
  metafieldDigest: r.metafield_digest,
  sweepTags: r.sweep_tags,
  attempts: r.attempts,
  lastError: r.last_error,
  gone: r.gone,
  pushedAt: r.pushed_at,
});

export async function readRows(db: Pick<pg.ClientBase, "query">, shopId: number, customerIds: bigint[]): Promise<Map<bigint, PushRow>> {
  if (customerIds.length === 0) return new Map();
  const { rows } = await db.query<DbRow>(`select ${COLUMNS} from push_customers where shop_id = $1 and customer_id = any($2::bigint[])`, [
    shopId,
    customerIds.map(String),
  ]);
  return new Map(rows.map((r) => [BigInt(r.customer_id), fromDb(r)]));
}

/** Dirty rows (not gone, under the attempt cap), by customer id after `after`. */
export async function readDirtyRows(db: Pick<pg.ClientBase, "query">, shopId: number, options: { after?: bigint; limit: number; maxAttempts: number }) {
  const { rows } = await db.query<DbRow>(
    `select ${COLUMNS} from push_customers
      where shop_id = $1 and dirty and not gone and attempts < $2 and customer_id > $3
      order by customer_id limit $4`,
    [shopId, options.maxAttempts, String(options.after ?? -1n), options.limit],
  );
  return rows.map(fromDb);
}

/** Upserts rows (dirty recomputed). */
export async function saveRows(db: Pick<pg.ClientBase, "query">, shopId: number, rows: PushRow[]) {
  if (rows.length === 0) return;
  const col = <T>(f: (r: PushRow) => T) => rows.map(f);
  const arr = (f: (r: PushRow) => string[]) => rows.map((r) => JSON.stringify(f(r)));
  await db.query(
    `insert into push_customers (shop_id, ${COLUMNS}, dirty, updated_at)
     select $1, u.customer_id,
            array(select jsonb_array_elements_text(u.segments)), u.opted_out,
            array(select jsonb_array_elements_text(u.desired_tags)), array(select jsonb_array_elements_text(u.pushed_tags)),
            array(select jsonb_array_elements_text(u.suppressed_tags)),
            u.desired_metafield, u.pushed_metafield, u.metafield_digest, u.sweep_tags, u.attempts, u.last_error, u.gone, u.pushed_at, u.dirty, now()
       from unnest($2::bigint[], $3::jsonb[], $4::bool[], $5::jsonb[], $6::jsonb[], $7::jsonb[], $8::text[], $9::text[], $10::text[],
                   $11::bool[], $12::int[], $13::text[], $14::bool[], $15::timestamptz[], $16::bool[])
            as u(customer_id, segments, opted_out, desired_tags, pushed_tags, suppressed_tags, desired_metafield, pushed_metafield,
                 metafield_digest, sweep_tags, attempts, last_error, gone, pushed_at, dirty)
     on conflict (shop_id, customer_id) do update set
       segments = excluded.segments, opted_out = excluded.opted_out, desired_tags = excluded.desired_tags,
       pushed_tags = excluded.pushed_tags, suppressed_tags = excluded.suppressed_tags,
       desired_metafield = excluded.desired_metafield, pushed_metafield = excluded.pushed_metafield,
       metafield_digest = excluded.metafield_digest, sweep_tags = excluded.sweep_tags, attempts = excluded.attempts,
       last_error = excluded.last_error, gone = excluded.gone, pushed_at = excluded.pushed_at, dirty = excluded.dirty,
       updated_at = now()`,
    [
      shopId,
      col((r) => String(r.customerId)),
      arr((r) => r.segments),
      col((r) => r.optedOut),
      arr((r) => r.desiredTags),
      arr((r) => r.pushedTags),
      arr((r) => r.suppressedTags),
      col((r) => r.desiredMetafield),
      col((r) => r.pushedMetafield),
      col((r) => r.metafieldDigest),
      col((r) => r.sweepTags),
      col((r) => r.attempts),
      col((r) => r.lastError),
      col((r) => r.gone),
      col((r) => r.pushedAt),
      col((r) => isDirty(r)),
    ],
  );
}

export interface FoldResult {
  changes: number;
  customers: number;
  cursor: bigint;
}

/**
 * Folds the change log past the shop's cursor into push_customers, one transaction: per customer
 * the last change per segment wins (entered then left = nothing to push), the Flow outbox gets one
 * row per change (keyed by the change id) and the cursor moves to the last change folded.
 */
export async function foldChanges(db: pg.ClientBase, ctx: ShopPushContext, max = 50_000): Promise<FoldResult> {
  const shopId = ctx.shopId;
  await db.query("begin");
  try {
    await db.query("insert into push_shops (shop_id) values ($1) on conflict do nothing", [shopId]);
    const cur = await db.query<{ last_change_id: bigint }>("select last_change_id from push_shops where shop_id = $1 for update", [shopId]);
    const cursor = BigInt(cur.rows[0].last_change_id);
    const { rows: changes } = await db.query<{ id: bigint; customer_id: bigint; segment_key: string; change: string }>(
      `select id, customer_id, segment_key, change from membership_changes
        where shop_id = $1 and id > $2 order by id limit $3`,
      [shopId, String(cursor), max],
    );
    if (changes.length === 0) {
      await db.query("commit");
      return { changes: 0, customers: 0, cursor };
    }
    const last = new Map<bigint, Map<string, string>>();
    for (const c of changes) {
      const id = BigInt(c.customer_id);
      let m = last.get(id);
      if (!m) last.set(id, (m = new Map()));
      m.set(c.segment_key, c.change);
    }
    const ids = [...last.keys()];
    const existing = await readRows(db, shopId, ids);
    const live = await db.query<{ id: bigint; opted_out: boolean; deleted: boolean }>(
      "select id, opted_out, deleted_at is not null as deleted from customers where shop_id = $1 and id = any($2::bigint[])",
      [shopId, ids.map(String)],
    );
    const facts = new Map(live.rows.map((r) => [BigInt(r.id), r]));
    const out: PushRow[] = [];
    for (const id of ids) {
      const before = existing.get(id) ?? emptyRow(id);
      const segs = new Set(before.segments);
      for (const [key, change] of last.get(id)!) {
        if (change === "entered") segs.add(key);
        else segs.delete(key);
      }
      const fact = facts.get(id);
      const optedOut = fact?.opted_out ?? false;
      const row = derive(ctx, {
        ...before,
        segments: [...segs],
        optedOut,
        // Newly opted out: every tag of ours goes, even ones we never knew we had.
        sweepTags: before.sweepTags || (optedOut && !before.optedOut),
        gone: before.gone || fact === undefined || fact.deleted,
        attempts: 0,
      });
      out.push(row);
    }
    await saveRows(db, shopId, out);
    await db.query(
      `insert into push_flow_triggers (change_id, shop_id, customer_id, segment_key, handle, status)
       select m.id, m.shop_id, m.customer_id, m.segment_key,
              case when m.change = 'entered' then 'segment-entered' else 'segment-left' end,
              case when c.id is null or c.deleted_at is not null or c.opted_out then 'skipped' else 'pending' end
         from membership_changes m
         left join customers c on c.shop_id = m.shop_id and c.id = m.customer_id
        where m.shop_id = $1 and m.id > $2 and m.id <= $3
       on conflict (change_id) do nothing`,
      [shopId, String(cursor), String(changes[changes.length - 1].id)],
    );
    const next = BigInt(changes[changes.length - 1].id);
    await db.query("update push_shops set last_change_id = $2, updated_at = now() where shop_id = $1", [shopId, String(next)]);
    await db.query("commit");
    return { changes: changes.length, customers: ids.length, cursor: next };
  } catch (error) {
    await db.query("rollback").catch(() => {});
    throw error;
  }
}

/** Re-derives every row of the shop (tag prefix, opt-out tag or offers changed). Returns rows now dirty. */
export async function rederiveShop(db: pg.ClientBase, ctx: ShopPushContext): Promise<number> {
  let after = -1n;
  let dirty = 0;
  for (;;) {
    const { rows } = await db.query<DbRow>(`select ${COLUMNS} from push_customers where shop_id = $1 and customer_id > $2 order by customer_id limit 5000`, [
      ctx.shopId,
      String(after),
    ]);
    if (rows.length === 0) return dirty;
    const next = rows.map((r) => derive(ctx, fromDb(r)));
    // Tags under an old prefix are ours too: the drift check removes the ones we never recorded.
    await saveRows(db, ctx.shopId, next);
    dirty += next.filter(isDirty).length;
    after = BigInt(rows[rows.length - 1].customer_id);
  }
}

export { minus, sameSet };
export const SEGMENTS_METAFIELD = CUSTOMER_SEGMENTS_METAFIELD;
