// customers/redact for browsing data: the generic redaction deletes rows carrying the customer's
// id; this also deletes the events of every pixel client linked to the customer (the anonymous
// ones before the login included). Call it before the generic deletion removes the links.
import type pg from "pg";

export async function eraseBrowsingCustomer(db: Pick<pg.ClientBase, "query">, shopId: number, customerId: bigint): Promise<number> {
  const r = await db.query<{ n: number }>(
    `with clients as (select client_id from browsing_clients where shop_id = $1 and customer_id = $2),
     ev as (delete from pixel_events e using clients c where e.shop_id = $1 and e.client_id = c.client_id returning 1),
     own as (delete from pixel_events e where e.shop_id = $1 and e.customer_id = $2 and not exists (select 1 from clients c where c.client_id = e.client_id) returning 1),
     cl as (delete from browsing_clients where shop_id = $1 and customer_id = $2 returning 1),
     f as (delete from browsing_features where shop_id = $1 and customer_id = $2 returning 1),
     d as (delete from browsing_dirty where shop_id = $1 and customer_id = $2 returning 1)
     select ((select count(*) from ev) + (select count(*) from own) + (select count(*) from cl) + (select count(*) from f) + (select count(*) from d))::int as n`,
    [shopId, String(customerId)],
  );
  return r.rows[0].n;
}
