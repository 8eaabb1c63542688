// Turns a webhook's raw body into the few facts segmentation needs, at intake, so no name, email,
// phone or address is ever stored (not even in webhook_events). Ids are taken from
// `admin_graphql_api_id` when present (exact), else from the integer parsed exactly as bigint.
import { idFromGid, parseExactJson } from "./exact-json.server";

export class UnusablePayloadError extends Error {
  override name = "UnusablePayloadError";
  constructor(message: string) {
    // The message may quote the body (JSON.parse does): it must fit a Postgres text column.
    super(storableText(message).slice(0, 1000));
  }
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const SUSPECT_TEXT = /[\u0000\ud800-\udfff]/;

/**
 * Text Postgres can store (text and jsonb): no NUL character, no lone UTF-16 surrogate (jsonb
 * refuses both, and the whole delivery would fail with a 500). Hostile input, not Shopify's.
 */
export function storableText(s: string): string {
  if (!SUSPECT_TEXT.test(s)) return s; // the common case, on the request path: one scan, no copy
  return s.replaceAll("\u0000", "").replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

const MAX_ID = 9223372036854775807n; // bigint columns
const MAX_INT = 2147483647; // integer columns (quantity, item_count)
const MAX_MONEY_DIGITS = 14; // numeric(18, 4)

/** A Shopify id fits our bigint columns: 1 .. 2^63-1. */
function checkedId(id: bigint, what: string): bigint {
  if (id < 1n || id > MAX_ID) throw new UnusablePayloadError(`${what} is not a Shopify id (${String(id).slice(0, 40)})`);
  return id;
}

export interface CustomerFacts {
  id: bigint;
  createdAt: Date | null;
  updatedAt: Date | null;
  state: string | null;
}

export interface LineItemFacts {
  id: bigint;
  productId: bigint | null;
  variantId: bigint | null;
  vendor: string | null;
  quantity: number;
  price: string;
}

export interface RefundFacts {
  id: bigint;
  orderId: bigint;
  amount: string;
  createdAt: Date;
}

export interface OrderFacts {
  id: bigint;
  customerId: bigint | null;
  createdAt: Date;
  processedAt: Date;
  updatedAt: Date;
  cancelledAt: Date | null;
  currency: string;
  totalPrice: string;
  subtotalPrice: string;
  totalDiscounts: string;
  discountCodes: string[];
  financialStatus: string | null;
  test: boolean;
  lineItems: LineItemFacts[];
  refunds: RefundFacts[];
}

export interface TagFacts {
  customerId: bigint;
  tags: string[];
  occurredAt: Date | null;
}

export interface ComplianceFacts {
  shopId: bigint | null;
  customerId: bigint | null;
  orderIds: bigint[];
  dataRequestId: bigint | null;
}

export interface BulkFinishFacts {
  bulkOperationId: string;
  status: string;
  errorCode: string | null;
}

export type Facts =
  | { kind: "customer"; customer: CustomerFacts }
  | { kind: "customer_delete"; customerId: bigint }
  | { kind: "order"; order: OrderFacts }
  | { kind: "refund"; refund: RefundFacts }
  | { kind: "tags"; added: boolean; tags: TagFacts }
  | { kind: "compliance"; compliance: ComplianceFacts }
  | { kind: "bulk_finish"; bulk: BulkFinishFacts };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function idOf(obj: Obj, what: string, required: true): bigint;
function idOf(obj: Obj, what: string, required: false): bigint | null;
function idOf(obj: Obj, what: string, required: boolean): bigint | null {
  const fromGid = idFromGid(obj.admin_graphql_api_id);
  if (fromGid !== null) return checkedId(fromGid, `${what}: "admin_graphql_api_id"`);
  const raw = obj.id;
  if (typeof raw === "bigint" && raw > 0n) return checkedId(raw, `${what}: "id"`);
  if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) return BigInt(raw);
  if (typeof raw === "string" && /^\d+$/.test(raw)) return checkedId(BigInt(raw), `${what}: "id"`);
  const gid = idFromGid(raw);
  if (gid !== null) return checkedId(gid, `${what}: "id"`);
  // Absent is allowed when optional; present but not an id is not (it would be stored as a guest).
  if (required || (raw !== undefined && raw !== null)) throw new UnusablePayloadError(`${what}: "id" is missing or not a Shopify id`);
  return null;
}

/** An id that may be absent (null); present but out of range is unusable. */
function optionalId(v: unknown, what = "id"): bigint | null {
  if (typeof v === "bigint") return checkedId(v, what);
  if (typeof v === "number" && Number.isSafeInteger(v)) return checkedId(BigInt(v), what);
  if (typeof v === "string" && /^\d+$/.test(v)) return checkedId(BigInt(v), what);
  const gid = idFromGid(v);
  return gid === null ? null : checkedId(gid, what);
}

function date(obj: Obj, key: string, what: string, required: true): Date;
function date(obj: Obj, key: string, what: string, required: false): Date | null;
function date(obj: Obj, key: string, what: string, required: boolean): Date | null {
  const v = obj[key];
  if (v === null || v === undefined) {
    if (required) throw new UnusablePayloadError(`${what}: "${key}" is missing`);
    return null;
  }
  const d = typeof v === "string" ? new Date(v) : null;
  // Years 1-9999: what every reader of ours (and Postgres' timestamptz) handles.
  if (!d || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) throw new UnusablePayloadError(`${what}: "${key}" is not a date (${JSON.stringify(String(v)).slice(0, 60)})`);
  return d;
}

function money(v: unknown, what: string, fallback?: string): string {
  if (v === null || v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UnusablePayloadError(`${what} is missing`);
  }
  const s = typeof v === "number" || typeof v === "bigint" ? String(v) : v;
  if (typeof s !== "string" || !/^-?\d+(\.\d+)?$/.test(s.trim())) {
    throw new UnusablePayloadError(`${what} is not an amount (${JSON.stringify(String(v)).slice(0, 60)})`);
  }
  if (s.trim().replace(/^-/, "").split(".")[0].replace(/^0+/, "").length > MAX_MONEY_DIGITS) {
    throw new UnusablePayloadError(`${what} is out of range (${JSON.stringify(String(v)).slice(0, 60)})`);
  }
  return s.trim();
}

function sumMoney(values: string[]): string {
  // Fixed-point on 4 decimals (numeric(18,4)); never through binary floats.
  let total = 0n;
  for (const v of values) {
    const neg = v.startsWith("-");
    const [int, frac = ""] = v.replace("-", "").split(".");
    const scaled = BigInt(int) * 10000n + BigInt((frac + "0000").slice(0, 4));
    total += neg ? -scaled : scaled;
  }
  const neg = total < 0n;
  const abs = neg ? -total : total;
  return `${neg ? "-" : ""}${abs / 10000n}.${(abs % 10000n).toString().padStart(4, "0")}`;
}

function parseCustomer(p: Obj): CustomerFacts {
  return {
    id: idOf(p, "customer", true),
    createdAt: date(p, "created_at", "customer", false),
    updatedAt: date(p, "updated_at", "customer", false),
    state: typeof p.state === "string" ? p.state : null,
  };
}

/**
 * A refund's money: the successful `refund` transactions when there are any (what left the
 * merchant's account); otherwise the refunded line items' subtotal + tax, adjusted by the
 * refund's order adjustments (Shopify records refund discrepancies there, usually negative).
 */
export function refundAmount(p: Obj, what = "refund"): string {
  const transactions = Array.isArray(p.transactions) ? p.transactions.filter(isObj) : [];
  const paid = transactions.filter((t) => t.kind === "refund" && t.status === "success");
  if (paid.length > 0) return sumMoney(paid.map((t, i) => money(t.amount, `${what}: transactions[${i}].amount`)));
  const items = Array.isArray(p.refund_line_items) ? p.refund_line_items.filter(isObj) : [];
  const parts = items.flatMap((r, i) => [
    money(r.subtotal, `${what}: refund_line_items[${i}].subtotal`, "0"),
    money(r.total_tax, `${what}: refund_line_items[${i}].total_tax`, "0"),
  ]);
  const adjustments = Array.isArray(p.order_adjustments) ? p.order_adjustments.filter(isObj) : [];
  for (const [i, a] of adjustments.entries()) {
    parts.push(money(a.amount, `${what}: order_adjustments[${i}].amount`, "0"));
    parts.push(money(a.tax_amount, `${what}: order_adjustments[${i}].tax_amount`, "0"));
  }
  return sumMoney(parts.length ? parts : ["0"]);
}

function parseRefund(p: Obj, orderId: bigint | null, what = "refund"): RefundFacts {
  const id = idOf(p, what, true);
  const order = orderId ?? optionalId(p.order_id, `${what}: "order_id"`);
  if (order === null) throw new UnusablePayloadError(`${what}: "order_id" is missing`);
  return {
    id,
    orderId: order,
    amount: refundAmount(p, what),
    createdAt: date(p, "created_at", what, false) ?? date(p, "processed_at", what, true),
  };
}

function parseOrder(p: Obj): OrderFacts {
  const id = idOf(p, "order", true);
  const customer = isObj(p.customer) ? idOf(p.customer, "order: customer", false) : null;
  const rawItems = p.line_items;
  if (rawItems !== undefined && !Array.isArray(rawItems)) throw new UnusablePayloadError(`order: "line_items" is not a list`);
  const lineItems = (rawItems ?? []).map((li: unknown, i: number): LineItemFacts => {
    if (!isObj(li)) throw new UnusablePayloadError(`order: line_items[${i}] is not an object`);
    const quantity = li.quantity;
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || Math.abs(quantity) > MAX_INT) {
      throw new UnusablePayloadError(`order: line_items[${i}].quantity is not an integer`);
    }
    return {
      id: idOf(li, `order: line_items[${i}]`, true),
      productId: optionalId(li.product_id, `order: line_items[${i}].product_id`),
      variantId: optionalId(li.variant_id, `order: line_items[${i}].variant_id`),
      vendor: typeof li.vendor === "string" ? li.vendor : null,
      quantity,
      price: money(li.price, `order: line_items[${i}].price`),
    };
  });
  const seen = new Set<bigint>();
  for (const [i, li] of lineItems.entries()) {
    if (seen.has(li.id)) throw new UnusablePayloadError(`order: line_items[${i}] repeats line item id ${li.id}`);
    seen.add(li.id);
  }
  if (Math.abs(lineItems.reduce((n, li) => n + li.quantity, 0)) > MAX_INT) throw new UnusablePayloadError(`order: the line items' quantities are out of range`);
  const codes = Array.isArray(p.discount_codes) ? p.discount_codes : [];
  const refunds = (Array.isArray(p.refunds) ? p.refunds : []).filter(isObj).map((r, i) => parseRefund(r, id, `order: refunds[${i}]`));
  const created = date(p, "created_at", "order", true);
  return {
    id,
    customerId: customer,
    createdAt: created,
    processedAt: date(p, "processed_at", "order", false) ?? created,
    updatedAt: date(p, "updated_at", "order", true),
    cancelledAt: date(p, "cancelled_at", "order", false),
    currency: typeof p.currency === "string" ? p.currency : "USD",
    totalPrice: money(p.total_price, "order: total_price"),
    subtotalPrice: money(p.subtotal_price, "order: subtotal_price", "0"),
    totalDiscounts: money(p.total_discounts, "order: total_discounts", "0"),
    discountCodes: codes.filter(isObj).map((c) => String(c.code ?? "")).filter(Boolean),
    financialStatus: typeof p.financial_status === "string" ? p.financial_status : null,
    test: p.test === true,
    lineItems,
    refunds,
  };
}

function parseTags(p: Obj): TagFacts {
  const customerId =
    optionalId(p.customerId, `customer tags: "customerId"`) ??
    optionalId(p.customer_id, `customer tags: "customer_id"`) ??
    optionalId(p.admin_graphql_api_id, `customer tags: "admin_graphql_api_id"`) ??
    optionalId(p.id, `customer tags: "id"`);
  if (customerId === null) throw new UnusablePayloadError(`customer tags: "customerId" is missing`);
  const raw = p.tags;
  const tags = Array.isArray(raw) ? raw.map(String) : typeof raw === "string" ? raw.split(",") : null;
  if (!tags) throw new UnusablePayloadError(`customer tags: "tags" is missing`);
  const at = p.occurredAt ?? p.occurred_at ?? p.updated_at;
  const occurredAt = typeof at === "string" && !Number.isNaN(new Date(at).getTime()) ? new Date(at) : null;
  return { customerId, tags: tags.map((t) => t.trim()).filter(Boolean), occurredAt };
}

function parseCompliance(p: Obj): ComplianceFacts {
  const customer = isObj(p.customer) ? p.customer : null;
  const ids = (Array.isArray(p.orders_to_redact) ? p.orders_to_redact : Array.isArray(p.orders_requested) ? p.orders_requested : [])
    .map((v, i) => optionalId(v, `compliance: orders[${i}]`))
    .filter((v): v is bigint => v !== null);
  return {
    shopId: optionalId(p.shop_id, `compliance: "shop_id"`),
    customerId: customer ? optionalId(customer.id, `compliance: "customer.id"`) : null,
    orderIds: ids,
    dataRequestId: isObj(p.data_request) ? optionalId(p.data_request.id, `compliance: "data_request.id"`) : null,
  };
}

/** The webhook topics this module understands (`orders/create` style, as X-Shopify-Topic sends). */
export const SYNC_TOPICS = [
  "customers/create",
  "customers/update",
  "customers/delete",
  "orders/create",
  "orders/updated",
  "orders/paid",
  "orders/cancelled",
  "refunds/create",
  "customer.tags_added",
  "customer.tags_removed",
  "bulk_operations/finish",
  "customers/data_request",
  "customers/redact",
  "shop/redact",
] as const;

export const COMPLIANCE_TOPICS = new Set(["customers/data_request", "customers/redact", "shop/redact"]);

/** Normalises a topic header: `ORDERS_CREATE` or `orders/create` -> `orders/create`. */
export function normaliseTopic(topic: string): string {
  if (topic.includes("/") || topic.includes(".")) return topic.toLowerCase();
  const known = SYNC_TOPICS.find((t) => t.replace(/[/.]/g, "_").toUpperCase() === topic.toUpperCase());
  return known ?? topic.toLowerCase();
}

/** Parses a raw body into facts; throws UnusablePayloadError with a readable message. */
export function factsFromBody(topic: string, rawBody: string): Facts {
  let parsed: unknown;
  try {
    parsed = parseExactJson(rawBody);
  } catch (error) {
    throw new UnusablePayloadError(`${topic}: body is not JSON (${(error as Error).message})`);
  }
  return factsFromPayload(topic, parsed);
}

export function factsFromPayload(topic: string, payload: unknown): Facts {
  if (!isObj(payload)) throw new UnusablePayloadError(`${topic}: body is not a JSON object`);
  switch (normaliseTopic(topic)) {
    case "customers/create":
    case "customers/update":
      return { kind: "customer", customer: parseCustomer(payload) };
    case "customers/delete":
      return { kind: "customer_delete", customerId: idOf(payload, "customer", true) };
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return { kind: "order", order: parseOrder(payload) };
    case "refunds/create":
      return { kind: "refund", refund: parseRefund(payload, null) };
    case "customer.tags_added":
      return { kind: "tags", added: true, tags: parseTags(payload) };
    case "customer.tags_removed":
      return { kind: "tags", added: false, tags: parseTags(payload) };
    case "customers/data_request":
    case "customers/redact":
    case "shop/redact":
      return { kind: "compliance", compliance: parseCompliance(payload) };
    case "bulk_operations/finish": {
      const gid = payload.admin_graphql_api_id;
      if (typeof gid !== "string") throw new UnusablePayloadError(`bulk_operations/finish: "admin_graphql_api_id" is missing`);
      return {
        kind: "bulk_finish",
        bulk: { bulkOperationId: gid, status: String(payload.status ?? ""), errorCode: payload.error_code ? String(payload.error_code) : null },
      };
    }
    default:
      throw new UnusablePayloadError(`topic ${topic} is not handled by sync`);
  }
}

/** Facts as stored in webhook_events.payload (bigints as strings, dates as ISO strings, text jsonb can hold). */
export function factsToJson(facts: Facts): string {
  return JSON.stringify(facts, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : typeof v === "string" ? storableText(v) : v));
}

const BIGINT_KEYS = new Set(["id", "customerId", "orderId", "productId", "variantId", "shopId", "dataRequestId"]);
const DATE_KEYS = new Set(["createdAt", "updatedAt", "processedAt", "cancelledAt", "occurredAt"]);

export function factsFromJson(json: unknown): Facts {
  const revive = (key: string, v: unknown): unknown => {
    if (Array.isArray(v)) return key === "orderIds" ? v.map((x) => BigInt(String(x))) : v.map((x) => revive("", x));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(k, x)]));
    if (v === null) return null;
    if (BIGINT_KEYS.has(key) && (typeof v === "string" || typeof v === "number")) return BigInt(v);
    if (DATE_KEYS.has(key) && typeof v === "string") return new Date(v);
    return v;
  };
  return revive("", json) as Facts;
}
