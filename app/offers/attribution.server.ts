// Offer attribution from the stored order, inside the caller's transaction: sync calls this right
// after it applies an order or a refund, so the attribution commits (or rolls back) with the order
// and always reflects the newest stored version (sync's stale protection already decided that).
import type pg from "pg";

export interface StoredAttribution {
  offerId: number;
  segmentKey: string;
  discountCode: string;
  amount: string;
  wasMember: boolean;
}

/**
 * Attributes the stored order `orderId` to the highest-priority offer whose code it used (codes
 * compare case-insensitively), net of refunds; removes the attribution when the order is
 * cancelled, a test, deleted, or no longer carries an offer's code. Idempotent.
 */
export async function attributeStoredOrder(db: pg.ClientBase, shopId: number, orderId: bigint): Promise<StoredAttribution | null> {
  const { rows } = await db.query<{ offer_id: number; segment_key: string; discount_code: string; amount: string; was_member: boolean }>(
    `with o as (
       select id, customer_id, discount_codes, greatest(total_price - refunded_amount, 0) as amount, processed_at,
              (cancelled_at is not null or test or deleted_at is not null) as void
         from orders where shop_id = $1 and id = $2
     ), pick as (
       select f.id as offer_id, f.segment_key, f.discount_code
         from offers f, o
        where f.shop_id = $1 and not o.void
          and f.discount_code = any (select upper(btrim(c)) from unnest(o.discount_codes) as c)
        order by f.priority desc, f.id asc
        limit 1
     ), gone as (
       delete from offer_attributions a
        where a.shop_id = $1 and a.order_id = $2 and not exists (select 1 from pick)
     )
     insert into offer_attributions as a (shop_id, order_id, offer_id, segment_key, customer_id, was_member, discount_code, amount, at, updated_at)
     select $1, o.id, p.offer_id, p.segment_key, o.customer_id,
            exists (select 1 from memberships m where m.shop_id = $1 and m.segment_key = p.segment_key and m.customer_id = o.customer_id),
            p.discount_code, o.amount, o.processed_at, now()
       from o, pick p
     on conflict (shop_id, order_id) do update set
       offer_id = excluded.offer_id, segment_key = excluded.segment_key, customer_id = excluded.customer_id,
       was_member = excluded.was_member, discount_code = excluded.discount_code, amount = excluded.amount,
       at = excluded.at, updated_at = now()
     returning offer_id, segment_key, discount_code, amount::text, was_member`,
    [shopId, orderId],
  );
  const r = rows[0];
  return r ? { offerId: r.offer_id, segmentKey: r.segment_key, discountCode: r.discount_code, amount: r.amount, wasMember: r.was_member } : null;
}
