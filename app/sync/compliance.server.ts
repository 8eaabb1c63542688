// GDPR/CCPA compliance topics. Deletions find their tables in information_schema, so rows that
// other areas add later (per-customer features, push state, ...) are covered without changes here.
// The log (compliance_requests) holds ids and counts only, never personal data.
import type pg from "pg";
import { inTransaction, syncPool } from "./pg.server";
import type { Facts } from "./payloads.server";
import { quote, tablesWithColumns } from "./tables.server";
import { recomputeCustomers } from "./recompute.server";
import { eraseBrowsingCustomer } from "../browsing/compliance.server";

/** Tables whose shop rows outlive the shop (the compliance log itself). */
const KEPT_ON_SHOP_REDACT = new Set(["compliance_requests"]);
/** Tables whose rows outlive a customer's redaction, with the customer's id cleared (an offer's results). */
const ANONYMISED_ON_CUSTOMER_REDACT = new Set(["offer_attributions"]);

interface ComplianceJob {
  eventId: bigint;
  shop: string;
  shopId: number;
  topic: string;
  webhookId: string;
  facts: Facts;
}

async function logRequest(db: pg.ClientBase, job: ComplianceJob, customerId: bigint | null, orderIds: bigint[]): Promise<bigint> {
  const existing = await db.query<{ id: bigint }>("select id from compliance_requests where webhook_id = $1", [job.webhookId]);
  if (existing.rows[0]) return existing.rows[0].id;
  const r = await db.query<{ id: bigint }>(
    `insert into compliance_requests (shop_id, shop_domain, topic, webhook_id, subject_customer_id, subject_order_ids)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [job.shopId, job.shop, job.topic, job.webhookId, customerId, orderIds],
  );
  return r.rows[0].id;
}

/** Deletes one customer's rows everywhere (and the rows of their orders), in the caller's transaction. */
export async function redactCustomer(
  db: pg.ClientBase,
  shopId: number,
  customerId: bigint,
  extraOrderIds: bigint[] = [],
): Promise<{ deleted: number; orderIds: bigint[] }> {
  const orders = await db.query<{ id: bigint }>("select id from orders where shop_id = $1 and customer_id = $2", [shopId, customerId]);
  const orderIds = [...new Set([...orders.rows.map((r) => BigInt(r.id)), ...extraOrderIds])];
  // Browsing first: the pixel clients linked to the customer lead to their anonymous events too.
  let deleted = await eraseBrowsingCustomer(db, shopId, customerId);
  // An offer keeps its redemptions and revenue; who redeemed it is forgotten.
  const anonymised = await db.query(
    "update offer_attributions set customer_id = null where shop_id = $1 and (customer_id = $2 or order_id = any($3::bigint[]))",
    [shopId, customerId, orderIds],
  );
  deleted += anonymised.rowCount ?? 0;
  for (const table of await tablesWithColumns(db, ["shop_id", "order_id"])) {
    if (ANONYMISED_ON_CUSTOMER_REDACT.has(table)) continue;
    const r = await db.query(`delete from ${quote(table)} where shop_id = $1 and order_id = any($2::bigint[])`, [shopId, orderIds]);
    deleted += r.rowCount ?? 0;
  }
  for (const table of await tablesWithColumns(db, ["shop_id", "customer_id"])) {
    if (ANONYMISED_ON_CUSTOMER_REDACT.has(table)) continue;
    const r = await db.query(`delete from ${quote(table)} where shop_id = $1 and customer_id = $2`, [shopId, customerId]);
    deleted += r.rowCount ?? 0;
  }
  const own = await db.query("delete from orders where shop_id = $1 and id = any($2::bigint[])", [shopId, orderIds]);
  const customer = await db.query("delete from customers where shop_id = $1 and id = $2", [shopId, customerId]);
  deleted += (own.rowCount ?? 0) + (customer.rowCount ?? 0);
  // An earlier data export about the customer, and push notices naming them, go too.
  const exports = await db.query("delete from data_exports where shop_id = $1 and subject_customer_id = $2", [shopId, customerId]);
  const notices = await db.query(
    `update push_shops set notices = (select coalesce(jsonb_agg(n order by i), '[]'::jsonb) from jsonb_array_elements(notices) with ordinality t(n, i)
                                       where n->>'customerId' is distinct from $2::text)
      where shop_id = $1 and exists (select 1 from jsonb_array_elements(notices) n where n->>'customerId' = $2::text)`,
    [shopId, String(customerId)],
  );
  deleted += (exports.rowCount ?? 0) + (notices.rowCount ?? 0);
  await db.query(
    "insert into redacted_customers (shop_id, redacted_customer_id) values ($1, $2) on conflict do nothing",
    [shopId, customerId],
  );
  return { deleted, orderIds };
}

/** Everything held about one customer, by table (ids and facts; we hold no name, email, phone or address). */
export async function exportCustomerData(db: pg.ClientBase, shopId: number, customerId: bigint): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const customer = await db.query("select * from customers where shop_id = $1 and id = $2", [shopId, customerId]);
  out.customers = customer.rows;
  for (const table of await tablesWithColumns(db, ["shop_id", "customer_id"])) {
    const r = await db.query(`select * from ${quote(table)} where shop_id = $1 and customer_id = $2`, [shopId, customerId]);
    if (r.rows.length) out[table] = r.rows;
  }
  const orderIds = ((out.orders ?? []) as { id: bigint }[]).map((o) => o.id);
  for (const table of await tablesWithColumns(db, ["shop_id", "order_id"])) {
    const r = await db.query(`select * from ${quote(table)} where shop_id = $1 and order_id = any($2::bigint[])`, [shopId, orderIds]);
    if (r.rows.length) out[table] = r.rows;
  }
  return out;
}

/** Erases every row of the shop in every table; returns rows deleted. */
export async function redactShop(db: pg.ClientBase, shopId: number, domain: string): Promise<number> {
  let deleted = 0;
  for (const table of await tablesWithColumns(db, ["shop_id"])) {
    if (KEPT_ON_SHOP_REDACT.has(table)) continue;
    const r = await db.query(`delete from ${quote(table)} where shop_id = $1`, [shopId]);
    deleted += r.rowCount ?? 0;
  }
  for (const table of await tablesWithColumns(db, ["shop"])) {
    const r = await db.query(`delete from ${quote(table)} where shop = $1`, [domain]);
    deleted += r.rowCount ?? 0;
  }
  const shop = await db.query("delete from shops where id = $1", [shopId]);
  return deleted + (shop.rowCount ?? 0);
}

const bigintSafe = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

/** Runs one compliance event to completion and logs it; the event row is settled here. */
export async function handleCompliance(job: ComplianceJob): Promise<void> {
  if (job.facts.kind !== "compliance") return;
  const { customerId, orderIds } = job.facts.compliance;
  if (job.topic === "shop/redact") {
    await inTransaction(async (db) => {
      const logId = await logRequest(db, job, null, []);
      const rows = await redactShop(db, job.shopId, job.shop);
      await db.query(
        "update compliance_requests set shop_id = null, status = 'completed', rows_affected = $2, completed_at = now() where id = $1 or (shop_id = $3)",
        [logId, rows, job.shopId],
      );
    });
    return;
  }
  if (customerId === null) {
    await syncPool().query("update webhook_events set status = 'failed', last_error = $2, processed_at = now() where id = $1", [
      job.eventId,
      `${job.topic}: payload has no customer id`,
    ]);
    return;
  }
  if (job.topic === "customers/redact") {
    await inTransaction(async (db) => {
      const logId = await logRequest(db, job, customerId, orderIds);
      const redacted = await redactCustomer(db, job.shopId, customerId, orderIds);
      let rows = redacted.deleted;
      // Processed events about this customer go too (they hold the facts we were asked to erase).
      const events = await db.query(
        `delete from webhook_events where shop = $1 and id <> $2 and status not in ('received', 'stored')
            and ($3 in (payload->'customer'->>'id', payload->>'customerId', payload->'order'->>'customerId', payload->'tags'->>'customerId',
                        payload->'compliance'->>'customerId')
                 or payload->'refund'->>'orderId' = any($4::text[]) or payload->'order'->>'id' = any($4::text[]))`,
        [job.shop, job.eventId, customerId.toString(), redacted.orderIds.map(String)],
      );
      rows += events.rowCount ?? 0;
      await db.query("update compliance_requests set status = 'completed', rows_affected = $2, completed_at = now() where id = $1", [logId, rows]);
      await db.query("update webhook_events set status = 'stored', attempts = attempts + 1 where id = $1", [job.eventId]);
    });
    await recomputeCustomers(job.shopId, [customerId]);
  } else if (job.topic === "customers/data_request") {
    await inTransaction(async (db) => {
      const logId = await logRequest(db, job, customerId, orderIds);
      const data = await exportCustomerData(db, job.shopId, customerId);
      const rows = Object.values(data).reduce((n, list) => n + list.length, 0);
      await db.query(
        `insert into data_exports (shop_id, compliance_request_id, subject_customer_id, data)
         select $1, $2, $3, $4::jsonb where not exists (select 1 from data_exports where compliance_request_id = $2)`,
        [job.shopId, logId, customerId, JSON.stringify(bigintSafe({ customerId, requestedOrders: orderIds, generatedAt: new Date(), data }))],
      );
      await db.query("update compliance_requests set status = 'completed', rows_affected = $2, completed_at = now() where id = $1", [logId, rows]);
    });
  }
  await syncPool().query("update webhook_events set status = 'applied', processed_at = now() where id = $1", [job.eventId]);
}

/** The merchant's data exports (newest first). */
export async function listDataExports(shopId: number) {
  const r = await syncPool().query(
    "select id, subject_customer_id, created_at from data_exports where shop_id = $1 order by created_at desc",
    [shopId],
  );
  return r.rows.map((x) => ({ id: String(x.id), customerId: String(x.subject_customer_id), createdAt: x.created_at as Date }));
}
