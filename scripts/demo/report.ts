// Everything the demo prints about the store and its segments comes from SQL on the app's database
// (never from the demo's own bookkeeping), so the printed figures are the database's.
import pg from "pg";

export type Db = Pick<pg.Pool, "query">;

export interface StoreCounts {
  customers: number;
  orders: number;
  cancelled: number;
  test: number;
  lineItems: number;
  refunds: number;
  netRevenue: number;
}

export async function storeCounts(db: Db, shopId: number): Promise<StoreCounts> {
  const { rows } = await db.query(
    `select (select count(*)::int from customers where shop_id = $1 and deleted_at is null and updated_at is not null) as customers,
            (select count(*)::int from orders where shop_id = $1 and deleted_at is null) as orders,
            (select count(*)::int from orders where shop_id = $1 and deleted_at is null and cancelled_at is not null) as cancelled,
            (select count(*)::int from orders where shop_id = $1 and deleted_at is null and test) as test,
            (select count(*)::int from line_items where shop_id = $1) as line_items,
            (select count(*)::int from refunds where shop_id = $1) as refunds,
            (select coalesce(sum(total_price - refunded_amount), 0)::float8 from orders
              where shop_id = $1 and deleted_at is null and cancelled_at is null and not test) as net_revenue`,
    [shopId],
  );
  const r = rows[0];
  return {
    customers: r.customers,
    orders: r.orders,
    cancelled: r.cancelled,
    test: r.test,
    lineItems: r.line_items,
    refunds: r.refunds,
    netRevenue: r.net_revenue,
  };
}

export interface SegmentRow {
  key: string;
  name: string;
  kind: string;
  enabled: boolean;
  size: number;
  /** Members' lifetime net spend. */
  spend: number;
  /** Share of all customers' lifetime net spend. */
  share: number;
}

/** Sizes from the memberships table; revenue from the customers' features (lifetime net spend). */
export async function segmentRows(db: Db, shopId: number, segments: { key: string; name: string; kind: string; enabled: boolean }[]): Promise<SegmentRow[]> {
  const { rows } = await db.query<{ key: string; size: number; spend: number }>(
    `select m.segment_key as key, count(*)::int as size, coalesce(sum(f.spend_lifetime), 0)::float8 as spend
       from memberships m left join customer_features f on f.shop_id = m.shop_id and f.customer_id = m.customer_id
      where m.shop_id = $1 group by m.segment_key`,
    [shopId],
  );
  const total = await db.query<{ spend: number }>(
    "select coalesce(sum(spend_lifetime), 0)::float8 as spend from customer_features where shop_id = $1",
    [shopId],
  );
  const all = total.rows[0].spend;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return segments.map((s) => {
    const r = byKey.get(s.key);
    const spend = r?.spend ?? 0;
    return { key: s.key, name: s.name, kind: s.kind, enabled: s.enabled, size: r?.size ?? 0, spend, share: all > 0 ? spend / all : 0 };
  });
}

/** Segment sizes counted a second way: from the features' current segment arrays. */
export async function sizesFromFeatures(db: Db, shopId: number): Promise<Map<string, number>> {
  const { rows } = await db.query<{ key: string; n: number }>(
    "select k as key, count(*)::int as n from customer_features f cross join unnest(f.segments) k where f.shop_id = $1 group by k",
    [shopId],
  );
  return new Map(rows.map((r) => [r.key, r.n]));
}

/** Members of a segment, biggest lifetime spenders first. */
export async function sampleMembers(db: Db, shopId: number, key: string, limit: number): Promise<bigint[]> {
  const { rows } = await db.query<{ id: string }>(
    `select m.customer_id::text as id from memberships m join customer_features f on f.shop_id = m.shop_id and f.customer_id = m.customer_id
      where m.shop_id = $1 and m.segment_key = $2 order by f.spend_lifetime desc, m.customer_id limit $3`,
    [shopId, key, limit],
  );
  return rows.map((r) => BigInt(r.id));
}

export interface EventCounts {
  total: number;
  byStatus: Record<string, number>;
}

export async function webhookEventCounts(db: Db, domain: string, sinceId = 0n): Promise<EventCounts> {
  const { rows } = await db.query<{ status: string; n: number }>(
    "select status, count(*)::int as n from webhook_events where shop = $1 and id > $2 group by status",
    [domain, String(sinceId)],
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { total: rows.reduce((n, r) => n + r.n, 0), byStatus };
}

export async function maxWebhookEventId(db: Db): Promise<bigint> {
  const { rows } = await db.query<{ id: string }>("select coalesce(max(id), 0)::text as id from webhook_events");
  return BigInt(rows[0].id);
}

export interface Change {
  id: bigint;
  customerId: bigint;
  segmentKey: string;
  change: "entered" | "left";
  at: Date;
}

export async function changesSince(db: Db, shopId: number, afterId: bigint, limit = 500): Promise<Change[]> {
  const { rows } = await db.query<{ id: string; customer_id: string; segment_key: string; change: "entered" | "left"; at: Date }>(
    `select id::text, customer_id::text, segment_key, change, at from membership_changes
      where shop_id = $1 and id > $2 order by id limit $3`,
    [shopId, String(afterId), limit],
  );
  return rows.map((r) => ({ id: BigInt(r.id), customerId: BigInt(r.customer_id), segmentKey: r.segment_key, change: r.change, at: r.at }));
}

export async function lastChangeId(db: Db, shopId: number): Promise<bigint> {
  const { rows } = await db.query<{ id: string }>("select coalesce(max(id), 0)::text as id from membership_changes where shop_id = $1", [shopId]);
  return BigInt(rows[0].id);
}

export async function countChangesSince(db: Db, shopId: number, afterId: bigint): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select count(*)::int as n from membership_changes where shop_id = $1 and id > $2", [shopId, String(afterId)]);
  return rows[0].n;
}

/** The tags the app owes each customer in Shopify: `seg:` + every segment it is in (none when opted out). */
export async function expectedTags(db: Db, shopId: number, customerIds: bigint[]): Promise<Map<bigint, string[]>> {
  const { rows } = await db.query<{ id: string; segments: string[]; opted_out: boolean }>(
    "select customer_id::text as id, segments, opted_out from customer_features where shop_id = $1 and customer_id = any($2::bigint[])",
    [shopId, customerIds.map(String)],
  );
  const out = new Map<bigint, string[]>();
  for (const id of customerIds) out.set(id, []);
  for (const r of rows) out.set(BigInt(r.id), r.opted_out ? [] : r.segments.map((k) => `seg:${k}`).sort());
  return out;
}
