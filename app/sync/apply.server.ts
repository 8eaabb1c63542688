// Applies one event's facts inside the caller's transaction. Every write is commutative under
// Shopify's unordered, repeated delivery: rows carry Shopify's updated_at and an older version
// never overwrites a newer one; a deleted customer stays deleted; refunds are keyed by their id.
import type pg from "pg";
import type { CustomerFacts, OrderFacts, RefundFacts, TagFacts } from "./payloads.server";
import { sameTag, type SyncSettings } from "./shop-settings.server";
import { attributeStoredOrder } from "../offers/attribution.server";

export class TerminalEventError extends Error {
  override name = "TerminalEventError";
}

/** Result of applying one event: the customers whose segment inputs may have changed. */
export interface Applied {
  changed: boolean;
  customerIds: bigint[];
  /** Why nothing changed, when nothing did (stale, echo, ...). */
  note?: string;
}

async function isRedacted(db: pg.ClientBase, shopId: number, customerId: bigint | null): Promise<boolean> {
  if (customerId === null) return false;
  const r = await db.query("select 1 from redacted_customers where shop_id = $1 and redacted_customer_id = $2", [shopId, customerId]);
  return (r.rowCount ?? 0) > 0;
}

export async function applyCustomer(db: pg.ClientBase, shopId: number, c: CustomerFacts): Promise<Applied> {
  if (await isRedacted(db, shopId, c.id)) throw new TerminalEventError(`customer ${c.id} was redacted`);
  const r = await db.query(
    `insert into customers (shop_id, id, created_at, updated_at, state, synced_at)
     values ($1, $2, $3, $4, $5, now())
     on conflict (shop_id, id) do update
        set created_at = coalesce(excluded.created_at, customers.created_at),
            updated_at = excluded.updated_at, state = excluded.state, synced_at = now()
      where customers.deleted_at is null
        and (customers.updated_at is null or excluded.updated_at is null or customers.updated_at <= excluded.updated_at)`,
    [shopId, c.id, c.createdAt, c.updatedAt, c.state],
  );
  return r.rowCount ? { changed: true, customerIds: [c.id] } : { changed: false, customerIds: [], note: "stale or deleted" };
}

export async function applyCustomerDelete(db: pg.ClientBase, shopId: number, customerId: bigint): Promise<Applied> {
  const r = await db.query(
    `insert into customers (shop_id, id, deleted_at, synced_at) values ($1, $2, now(), now())
     on conflict (shop_id, id) do update set deleted_at = coalesce(customers.deleted_at, now()), synced_at = now()
     returning (xmax = 0) as inserted`,
    [shopId, customerId],
  );
  return { changed: true, customerIds: r.rows.length ? [customerId] : [] };
}

/** customer.tags_added / customer.tags_removed: only the opt-out tag matters to sync. */
export async function applyTags(
  db: pg.ClientBase,
  shopId: number,
  added: boolean,
  t: TagFacts,
  settings: SyncSettings,
): Promise<Applied> {
  const touchesOptOut = t.tags.some((tag) => sameTag(tag, settings.optOutTag));
  if (!touchesOptOut) {
    const ours = t.tags.every((tag) => tag.toLowerCase().startsWith(settings.tagPrefix.toLowerCase()));
    return { changed: false, customerIds: [], note: ours ? "our own tag echo" : "no tag sync cares about" };
  }
  if (await isRedacted(db, shopId, t.customerId)) throw new TerminalEventError(`customer ${t.customerId} was redacted`);
  const r = await db.query(
    `insert into customers (shop_id, id, opted_out, opt_out_changed_at, synced_at) values ($1, $2, $3, $4, now())
     on conflict (shop_id, id) do update set opted_out = excluded.opted_out, opt_out_changed_at = excluded.opt_out_changed_at, synced_at = now()
      where customers.opt_out_changed_at is null or excluded.opt_out_changed_at is null
         or customers.opt_out_changed_at <= excluded.opt_out_changed_at`,
    [shopId, t.customerId, added, t.occurredAt],
  );
  return r.rowCount ? { changed: true, customerIds: [t.customerId] } : { changed: false, customerIds: [], note: "stale tag event" };
}

async function refreshRefundedAmount(db: pg.ClientBase, shopId: number, orderId: bigint) {
  await db.query(
    `update orders o set refunded_amount = coalesce((select sum(amount) from refunds r where r.shop_id = o.shop_id and r.order_id = o.id), 0)
      where o.shop_id = $1 and o.id = $2`,
    [shopId, orderId],
  );
}

async function insertRefunds(db: pg.ClientBase, shopId: number, refunds: RefundFacts[]): Promise<number> {
  if (refunds.length === 0) return 0;
  const r = await db.query(
    `insert into refunds (shop_id, id, order_id, amount, created_at)
     select $1, * from unnest($2::bigint[], $3::bigint[], $4::numeric[], $5::timestamptz[])
     on conflict (shop_id, id) do nothing`,
    [shopId, refunds.map((x) => x.id), refunds.map((x) => x.orderId), refunds.map((x) => x.amount), refunds.map((x) => x.createdAt)],
  );
  return r.rowCount ?? 0;
}

export async function applyOrder(db: pg.ClientBase, shopId: number, o: OrderFacts): Promise<Applied> {
  // The order row is locked first in every transaction that touches an order (no lock cycles).
  const before = await db.query<{ customer_id: bigint | null }>(
    "select customer_id from orders where shop_id = $1 and id = $2 for update",
    [shopId, o.id],
  );
  const previousCustomer = before.rows[0]?.customer_id ?? null;
  if (await isRedacted(db, shopId, o.customerId ?? previousCustomer)) {
    throw new TerminalEventError(`order ${o.id} belongs to a redacted customer`);
  }
  if (o.customerId !== null) {
    // A placeholder (no updated_at) so the order has its customer even before customers/create.
    await db.query("insert into customers (shop_id, id) values ($1, $2) on conflict do nothing", [shopId, o.customerId]);
  }
  const itemCount = o.lineItems.reduce((n, li) => n + li.quantity, 0);
  const up = await db.query(
    `insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, cancelled_at, currency,
                         total_price, subtotal_price, total_discounts, discount_codes, financial_status, test, item_count, synced_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
     on conflict (shop_id, id) do update set
       customer_id = excluded.customer_id, created_at = excluded.created_at, processed_at = excluded.processed_at,
       updated_at = excluded.updated_at, currency = excluded.currency,
       -- Same updated_at (Shopify's clock has one-second steps): a cancellation is never undone.
       cancelled_at = case when orders.updated_at = excluded.updated_at then coalesce(excluded.cancelled_at, orders.cancelled_at)
                           else excluded.cancelled_at end,
       total_price = excluded.total_price, subtotal_price = excluded.subtotal_price, total_discounts = excluded.total_discounts,
       discount_codes = excluded.discount_codes, financial_status = excluded.financial_status, test = excluded.test,
       item_count = excluded.item_count, synced_at = now()
     where orders.deleted_at is null and orders.updated_at <= excluded.updated_at`,
    [shopId, o.id, o.customerId, o.createdAt, o.processedAt, o.updatedAt, o.cancelledAt, o.currency, o.totalPrice,
      o.subtotalPrice, o.totalDiscounts, o.discountCodes, o.financialStatus, o.test, itemCount],
  );
  const applied = (up.rowCount ?? 0) > 0;
  if (applied) {
    // Line items: the order's latest version replaces the previous one. Webhooks carry no product
    // type, so it is kept from what the bulk import learnt about the same product.
    await db.query("delete from line_items where shop_id = $1 and order_id = $2", [shopId, o.id]);
    if (o.lineItems.length) {
      await db.query(
        `insert into line_items (shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price)
         select $1, li.id, $2, li.product_id, li.variant_id,
                (select p.product_type from line_items p where p.shop_id = $1 and p.product_id = li.product_id and p.product_type is not null limit 1),
                li.vendor, li.quantity, li.price
           from unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::int[], $8::numeric[])
                as li(id, product_id, variant_id, vendor, quantity, price)
         on conflict (shop_id, id) do update set order_id = excluded.order_id, product_id = excluded.product_id,
           variant_id = excluded.variant_id, vendor = excluded.vendor, quantity = excluded.quantity, price = excluded.price`,
        [shopId, o.id, o.lineItems.map((l) => l.id), o.lineItems.map((l) => l.productId), o.lineItems.map((l) => l.variantId),
          o.lineItems.map((l) => l.vendor), o.lineItems.map((l) => l.quantity), o.lineItems.map((l) => l.price)],
      );
    }
  }
  const newRefunds = await insertRefunds(db, shopId, o.refunds);
  if (applied || newRefunds) {
    await refreshRefundedAmount(db, shopId, o.id);
    // Offers: attribution follows the newest stored version, in this transaction.
    await attributeStoredOrder(db, shopId, o.id);
  }
  if (!applied && !newRefunds) return { changed: false, customerIds: [], note: "stale: a newer version is stored" };
  const customers = new Set<bigint>();
  for (const id of [o.customerId, previousCustomer]) if (id !== null) customers.add(id);
  return { changed: true, customerIds: [...customers] };
}

export async function applyRefund(db: pg.ClientBase, shopId: number, refund: RefundFacts): Promise<Applied> {
  const order = await db.query<{ customer_id: bigint | null }>(
    "select customer_id from orders where shop_id = $1 and id = $2 for update",
    [shopId, refund.orderId],
  );
  const customerId = order.rows[0]?.customer_id ?? null;
  if (await isRedacted(db, shopId, customerId)) throw new TerminalEventError(`refund ${refund.id} belongs to a redacted customer`);
  const inserted = await insertRefunds(db, shopId, [refund]);
  if (!inserted) return { changed: false, customerIds: [], note: "refund already recorded" };
  await refreshRefundedAmount(db, shopId, refund.orderId);
  await attributeStoredOrder(db, shopId, refund.orderId);
  return { changed: true, customerIds: customerId !== null ? [customerId] : [] };
}
