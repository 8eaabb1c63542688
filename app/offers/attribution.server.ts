// Offer attribution from the stored orders, inside the caller's transaction: sync calls this right
// after it applies an order or a refund (and after a bulk merge), so the attribution commits or
// rolls back with the order and always reflects the newest stored version (sync's stale protection
// already decided which one that is).
import type pg from "pg";

export interface StoredAttribution {
  orderId: bigint;
  offerId: number;
  segmentKey: string;
  discountCode: string;
  amount: string;
  wasMember: boolean;
}

/**
 * Re-derives the attributions of the given stored orders (all the shop's orders when `orderIds` is
 * null). An order is attributed to the highest-priority offer whose code it used (codes compare
 * case-insensitively) if it was processed once the offer applied (from its start, or from its
 * creation when it has none), net of refunds. Cancelled, test, deleted or missing orders, and
 * orders without an offer's code, have none. Idempotent.
 */
export async function attributeStoredOrders(db: pg.ClientBase, shopId: number, orderIds: readonly bigint[] | null): Promise<StoredAttribution[]> {
  const { rows } = await db.query<{ order_id: string; offer_id: number; segment_key: string; discount_code: string; amount: string; was_member: boolean }>(
    `with scope as (
       select id, customer_id, discount_codes, greatest(total_price - refunded_amount, 0) as amount, processed_at
         from orders
        where shop_id = $1 and ($2::bigint[] is null or id = any ($2::bigint[]))
          and cancelled_at is null and not test and deleted_at is null
          and cardinality(discount_codes) > 0
     ), pick as (
       select distinct on (s.id) s.id as order_id, s.customer_id, s.amount, s.processed_at,
              f.id as offer_id, f.segment_key, f.discount_code
         from scope s
         join offers f on f.shop_id = $1
                      and f.discount_code in (select upper(btrim(c)) from unnest(s.discount_codes) as c)
                      -- Shopify's processed_at has whole seconds: an order in the offer's first second counts.
                      and s.processed_at >= coalesce(f.starts_at, date_trunc('second', f.created_at))
        order by s.id, f.priority desc, f.id asc
     ), gone as (
       delete from offer_attributions a
        where a.shop_id = $1 and ($2::bigint[] is null or a.order_id = any ($2::bigint[]))
          and not exists (select 1 from pick p where p.order_id = a.order_id)
          -- An order erased by customers/redact is gone; its anonymised attribution stays.
          and exists (select 1 from orders o where o.shop_id = $1 and o.id = a.order_id)
     )
     insert into offer_attributions as a (shop_id, order_id, offer_id, segment_key, customer_id, was_member, discount_code, amount, at, updated_at)
     select $1, p.order_id, p.offer_id, p.segment_key, p.customer_id,
            exists (select 1 from memberships m where m.shop_id = $1 and m.segment_key = p.segment_key and m.customer_id = p.customer_id),
            p.discount_code, p.amount, p.processed_at, now()
       from pick p
     on conflict (shop_id, order_id) do update set
       offer_id = excluded.offer_id, segment_key = excluded.segment_key, customer_id = excluded.customer_id,
       was_member = excluded.was_member, discount_code = excluded.discount_code, amount = excluded.amount,
       at = excluded.at, updated_at = now()
     returning order_id::text, offer_id, segment_key, discount_code, amount::text, was_member`,
    [shopId, orderIds === null ? null : orderIds.map(String)],
  );
  return rows.map((r) => ({
    orderId: BigInt(r.order_id),
    offerId: r.offer_id,
    segmentKey: r.segment_key,
    discountCode: r.discount_code,
    amount: r.amount,
    wasMember: r.was_member,
  }));
}

/** One order: what sync calls after applying an order or a refund. */
export async function attributeStoredOrder(db: pg.ClientBase, shopId: number, orderId: bigint): Promise<StoredAttribution | null> {
  return (await attributeStoredOrders(db, shopId, [orderId]))[0] ?? null;
}
