// Per-customer browsing features from the pixel events of every client linked to the customer,
// recomputed for the customers the ingest marked (or all of a shop's, daily: windows roll), then
// handed to the segment engine (recomputeCustomers) which writes memberships and the change log.
import type pg from "pg";
import { recomputeCustomers } from "../segments/index.server";
import { browsingPool } from "./pool.server";

/** How far back features look (every window is within it). */
export const LOOKBACK_DAYS = 30;
/** A gap longer than this between two events of a client starts a new session. */
export const SESSION_GAP_MS = 30 * 60 * 1000;
/** Dwell on one product page counts at most this much (a tab left open is not interest). */
export const DWELL_CAP_MS = 10 * 60 * 1000;

/**
 * Computes and stores browsing features for `customerIds` as of `now` (rows of customers with no
 * events left in the window are zeroed). Windows are rolling: (now - N days, now].
 */
const COMPUTE = `
  with ids as (select distinct unnest($2::bigint[]) as customer_id),
  cl as (select c.client_id, c.customer_id from browsing_clients c join ids using (customer_id) where c.shop_id = $1),
  ev as (
    select cl.customer_id, e.client_id, e.event_id, e.name, e.product_id, e.product_ids, e.checkout_token,
           e.from_recommendation, e.occurred_at
      from pixel_events e join cl on cl.client_id = e.client_id
     where e.shop_id = $1 and e.day >= ($3::timestamptz at time zone 'UTC')::date - ${LOOKBACK_DAYS + 1} and e.occurred_at <= $3::timestamptz),
  seq as (
    select ev.*,
           lag(occurred_at) over w as prev_at,
           lead(occurred_at) over w as next_at,
           occurred_at > $3::timestamptz - interval '7 days' as in7,
           occurred_at > $3::timestamptz - interval '${LOOKBACK_DAYS} days' as in30
      from ev window w as (partition by client_id order by occurred_at, event_id)),
  bought_orders as (
    select o.customer_id, max(o.processed_at) as last_order_at
      from orders o join ids on ids.customer_id = o.customer_id
     where o.shop_id = $1 and o.cancelled_at is null and not o.test and o.deleted_at is null
     group by o.customer_id),
  completed as (select customer_id, max(occurred_at) as at from ev where name = 'checkout_completed' group by customer_id),
  purchase as (
    select ids.customer_id, greatest(bo.last_order_at, cp.at) as last_purchase_at
      from ids left join bought_orders bo using (customer_id) left join completed cp using (customer_id)),
  bought_products as (
    select o.customer_id, li.product_id
      from orders o join ids on ids.customer_id = o.customer_id
      join line_items li on li.shop_id = o.shop_id and li.order_id = o.id
     where o.shop_id = $1 and o.cancelled_at is null and not o.test and o.deleted_at is null and li.product_id is not null
    union
    select ev.customer_id, p from ev cross join unnest(ev.product_ids) p where ev.name = 'checkout_completed'),
  rec_not_bought as (
    select r.customer_id, count(*)::int as n
      from (select distinct customer_id, product_id from seq where name = 'product_viewed' and from_recommendation and in30 and product_id is not null) r
     where not exists (select 1 from bought_products b where b.customer_id = r.customer_id and b.product_id = r.product_id)
     group by r.customer_id),
  agg as (
    select s.customer_id,
           (count(*) filter (where s.name = 'page_viewed' and s.in7))::int as page_views_7d,
           (count(*) filter (where s.name = 'page_viewed' and s.in30))::int as page_views_30d,
           (count(*) filter (where s.in7 and (s.prev_at is null or s.occurred_at - s.prev_at > interval '${SESSION_GAP_MS} milliseconds')))::int as sessions_7d,
           (count(*) filter (where s.in30 and (s.prev_at is null or s.occurred_at - s.prev_at > interval '${SESSION_GAP_MS} milliseconds')))::int as sessions_30d,
           (count(*) filter (where s.name = 'product_viewed' and s.in30))::int as product_views_30d,
           round(coalesce(sum(least((extract(epoch from s.next_at - s.occurred_at) * 1000)::bigint, ${DWELL_CAP_MS}))
                 filter (where s.name = 'product_viewed' and s.in30 and s.next_at is not null), 0) / 1000.0)::int as product_dwell_seconds_30d,
           (count(*) filter (where s.name = 'product_added_to_cart' and s.in30))::int as cart_adds_30d,
           (count(*) filter (where s.name = 'product_added_to_cart' and s.in30 and s.occurred_at > coalesce(p.last_purchase_at, '-infinity')))::int as cart_adds_without_order_30d,
           (count(*) filter (where s.name = 'product_viewed' and s.from_recommendation and s.in30))::int as rec_clicks_30d,
           coalesce(min(rn.n), 0) as rec_products_not_bought_30d,
           (count(distinct coalesce(s.checkout_token, s.event_id)) filter (where s.name = 'checkout_started' and s.in7))::int as checkouts_started_7d,
           (count(distinct coalesce(s.checkout_token, s.event_id)) filter (where s.name = 'checkout_started' and s.in7
              and s.occurred_at > coalesce(p.last_purchase_at, '-infinity')))::int as abandoned_checkouts_7d,
           max(s.occurred_at) filter (where s.name = 'checkout_started' and s.in30 and s.occurred_at > coalesce(p.last_purchase_at, '-infinity')) as last_abandoned_checkout_at,
           max(s.occurred_at) filter (where s.in30) as last_event_at
      from seq s join purchase p using (customer_id) left join rec_not_bought rn using (customer_id)
     group by s.customer_id)
  insert into browsing_features as b (shop_id, customer_id, computed_at, page_views_7d, page_views_30d, sessions_7d, sessions_30d,
      product_views_30d, product_dwell_seconds_30d, cart_adds_30d, cart_adds_without_order_30d, rec_clicks_30d,
      rec_products_not_bought_30d, checkouts_started_7d, abandoned_checkouts_7d, last_abandoned_checkout_at,
      last_abandoned_checkout_day, last_event_at)
  select $1, ids.customer_id, $3::timestamptz, coalesce(a.page_views_7d, 0), coalesce(a.page_views_30d, 0), coalesce(a.sessions_7d, 0),
         coalesce(a.sessions_30d, 0), coalesce(a.product_views_30d, 0), coalesce(a.product_dwell_seconds_30d, 0), coalesce(a.cart_adds_30d, 0),
         coalesce(a.cart_adds_without_order_30d, 0), coalesce(a.rec_clicks_30d, 0), coalesce(a.rec_products_not_bought_30d, 0),
         coalesce(a.checkouts_started_7d, 0), coalesce(a.abandoned_checkouts_7d, 0), a.last_abandoned_checkout_at,
         (a.last_abandoned_checkout_at at time zone $4::text)::date, a.last_event_at
    from ids left join agg a using (customer_id)
  on conflict (shop_id, customer_id) do update set
    computed_at = excluded.computed_at, page_views_7d = excluded.page_views_7d, page_views_30d = excluded.page_views_30d,
    sessions_7d = excluded.sessions_7d, sessions_30d = excluded.sessions_30d, product_views_30d = excluded.product_views_30d,
    product_dwell_seconds_30d = excluded.product_dwell_seconds_30d, cart_adds_30d = excluded.cart_adds_30d,
    cart_adds_without_order_30d = excluded.cart_adds_without_order_30d, rec_clicks_30d = excluded.rec_clicks_30d,
    rec_products_not_bought_30d = excluded.rec_products_not_bought_30d, checkouts_started_7d = excluded.checkouts_started_7d,
    abandoned_checkouts_7d = excluded.abandoned_checkouts_7d, last_abandoned_checkout_at = excluded.last_abandoned_checkout_at,
    last_abandoned_checkout_day = excluded.last_abandoned_checkout_day, last_event_at = excluded.last_event_at`;

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** Recomputes browsing features for these customers, then their segments (memberships + change log). */
export async function recomputeBrowsingCustomers(
  shopId: number,
  customerIds: bigint[],
  options: { now?: Date; db?: Queryable } = {},
): Promise<{ customers: number; changes: number }> {
  const ids = [...new Set(customerIds.map(String))];
  if (ids.length === 0) return { customers: 0, changes: 0 };
  const now = options.now ?? new Date();
  const db = options.db ?? browsingPool();
  const { rows } = await db.query<{ timezone: string }>("select timezone from shops where id = $1", [shopId]);
  if (!rows[0]) throw new Error(`Shop ${shopId} does not exist.`);
  let changes = 0;
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    await db.query(COMPUTE, [shopId, chunk, now, rows[0].timezone]);
    changes += (await recomputeCustomers(shopId, chunk.map((id) => BigInt(id)), { now })).changes;
  }
  return { customers: ids.length, changes };
}

/**
 * Drains the shop's dirty customers (marked by the ingest when a linked client sent events, or a
 * client got linked): their features and segments are recomputed. A crash leaves the marks for the
 * next run (they are removed only once recomputed, and only if not marked again meanwhile).
 */
export async function refreshBrowsing(shopId: number, options: { now?: Date; limit?: number } = {}) {
  const db = browsingPool();
  const { rows } = await db.query<{ customer_id: string; marked_at: Date }>(
    "select customer_id::text, marked_at from browsing_dirty where shop_id = $1 order by marked_at limit $2",
    [shopId, options.limit ?? 20_000],
  );
  if (rows.length === 0) return { customers: 0, changes: 0 };
  const result = await recomputeBrowsingCustomers(shopId, rows.map((r) => BigInt(r.customer_id)), { now: options.now });
  await db.query(
    `delete from browsing_dirty d using unnest($2::bigint[], $3::timestamptz[]) as u(customer_id, marked_at)
      where d.shop_id = $1 and d.customer_id = u.customer_id and d.marked_at <= u.marked_at`,
    [shopId, rows.map((r) => r.customer_id), rows.map((r) => r.marked_at)],
  );
  return result;
}

/** Every customer of the shop with browsing data (the daily pass: 7/30-day windows roll). */
export async function refreshBrowsingShop(shopId: number, options: { now?: Date } = {}) {
  const { rows } = await browsingPool().query<{ customer_id: string }>(
    `select customer_id::text from browsing_clients where shop_id = $1 and customer_id is not null
     union select customer_id::text from browsing_features where shop_id = $1`,
    [shopId],
  );
  return recomputeBrowsingCustomers(shopId, rows.map((r) => BigInt(r.customer_id)), options);
}
