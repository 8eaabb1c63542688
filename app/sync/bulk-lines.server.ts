// Streams a bulk operation's JSONL result line by line (never whole into memory) and turns each
// line into COPY rows laid out as the store tables' columns. Children (line items) carry
// `__parentId` and follow their parent: an order's row is completed (item count, refunded
// amount) when the next top-level line comes, so no line waits in memory longer than its order.
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { copyRow } from "./copy-text.server";

/** COPY text rows, in the column order of `ROW_COLUMNS`. */
export interface StageRows {
  customers: string[];
  orders: string[];
  lineItems: string[];
  refunds: string[];
  /** The order whose children are still coming (its row is pushed when it closes). */
  open: { fields: string[]; id: string; items: number; refunded: number } | null;
  /** Smallest and largest order id of the batch. */
  minOrder: bigint | null;
  maxOrder: bigint | null;
  /**
   * Set when a row's sums cannot be trusted from the file's order alone (a child away from its
   * parent, an amount that is not a plain decimal): such a batch is merged by the SQL path, which
   * recomputes them.
   */
  irregular: boolean;
}

export const ROW_COLUMNS = {
  customers: "shop_id, id, created_at, updated_at, state, opted_out",
  orders:
    "shop_id, id, customer_id, created_at, processed_at, updated_at, cancelled_at, currency, total_price, subtotal_price, total_discounts, refunded_amount, discount_codes, financial_status, test, item_count",
  lineItems: "shop_id, id, order_id, product_id, variant_id, product_type, vendor, quantity, price",
  refunds: "shop_id, id, order_id, amount, created_at",
} as const;

export function emptyStage(): StageRows {
  return { customers: [], orders: [], lineItems: [], refunds: [], open: null, minOrder: null, maxOrder: null, irregular: false };
}

export type Node = Record<string, unknown>;
const amount = (v: unknown) => ((v as { shopMoney?: { amount?: string } })?.shopMoney?.amount ?? "0");

// The hot path of a backfill (a million lines for a 300k-order shop): rows are built as COPY text
// directly, ids stay decimal text (no bigint round trip), and text is escaped only when needed.
const GID = /^gid:\/\/shopify\/[A-Za-z]+\/(\d+)(?:\?.*)?$/;
const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** The digits of `gid://shopify/Type/123` (as idFromGid reads it), or null. */
function gidDigits(gid: unknown): string | null {
  if (typeof gid !== "string") return null;
  const m = GID.exec(gid);
  return m ? m[1] : null;
}

/** One COPY text field: \N for null/undefined, else the value with COPY's escapes. */
function field(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "boolean") return v ? "t" : "f";
  const s = typeof v === "string" ? v : String(v);
  return NEEDS_ESCAPE.test(s) ? copyRow([s]).slice(0, -1) : s;
}

function arrayField(values: unknown): string {
  return copyRow([((values as unknown[] | null | undefined) ?? []).map(String)]).slice(0, -1);
}

/**
 * One COPY row. Joined (a flat copy), not concatenated: a concatenation keeps references to the
 * parsed values, which V8 may slice from the whole downloaded chunk, and a batch would hold those.
 */
const row = (fields: string[]) => `${fields.join("\t")}\n`;

/** One JSONL line as an object (`__parentId` set on a child line). */
export function parseLine(line: string): Node {
  return JSON.parse(line) as Node;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

/** A decimal amount in units of 0.0001 (numeric(18,4)), or null when it is not a plain decimal. */
function units(amount: string): number | null {
  const m = DECIMAL.exec(amount);
  if (!m) return null;
  const n = Number(m[2]) * 10_000 + Number((m[3] ?? "").padEnd(4, "0"));
  return Number.isSafeInteger(n) ? (m[1] ? -n : n) : null;
}

function fromUnits(n: number): string {
  const abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 10_000)}.${String(abs % 10_000).padStart(4, "0")}`;
}

/** Pushes the open order's row, now that all its children are in. */
export function closeStage(stage: StageRows) {
  const open = stage.open;
  if (!open) return;
  open.fields[11] = fromUnits(open.refunded);
  open.fields[15] = String(open.items);
  stage.orders.push(row(open.fields));
  stage.open = null;
}

/**
 * Adds one parsed JSONL line's rows to `stage` (`shopId` as text, `optOutTag` compared as tags
 * are: trimmed, case-insensitive). Unknown object types are skipped.
 */
export function stageNode(shopId: string, node: Node, stage: StageRows, optOutTag: string) {
  const gid = typeof node.id === "string" ? node.id : "";
  const id = gidDigits(gid);
  if (node.__parentId === undefined) closeStage(stage);
  if (id === null) return;
  if (gid.startsWith("gid://shopify/Customer/")) {
    const tag = optOutTag.trim().toLowerCase();
    const optedOut = ((node.tags as unknown[] | null) ?? []).some((t) => String(t).trim().toLowerCase() === tag);
    stage.customers.push(row([shopId, id, field(node.createdAt as string), field(node.updatedAt as string), field(node.state as string), field(optedOut)]));
  } else if (gid.startsWith("gid://shopify/Order/")) {
    const customer = gidDigits((node.customer as Node | null)?.id);
    const big = BigInt(id);
    if (stage.minOrder === null || big < stage.minOrder) stage.minOrder = big;
    if (stage.maxOrder === null || big > stage.maxOrder) stage.maxOrder = big;
    let refunded = 0;
    for (const r of (node.refunds as Node[]) ?? []) {
      const refundId = gidDigits(r.id);
      if (refundId === null) continue;
      const value = amount(r.totalRefundedSet);
      const u = units(value);
      if (u === null) stage.irregular = true;
      else refunded += u;
      stage.refunds.push(row([shopId, refundId, id, field(value), field(r.createdAt as string)]));
    }
    stage.open = {
      id,
      items: 0,
      refunded,
      fields: [
        shopId, id, field(customer), field(node.createdAt as string), field((node.processedAt as string) ?? (node.createdAt as string)),
        field(node.updatedAt as string), field(node.cancelledAt as string), field((node.currencyCode as string) ?? "USD"),
        field(amount(node.totalPriceSet)), field(amount(node.subtotalPriceSet)), field(amount(node.totalDiscountsSet)), "0.0000",
        arrayField(node.discountCodes), field((node.displayFinancialStatus as string)?.toLowerCase()), field(node.test === true), "0",
      ],
    };
  } else if (gid.startsWith("gid://shopify/LineItem/")) {
    const orderId = gidDigits(node.__parentId);
    if (orderId === null) return;
    const quantity = Number(node.quantity ?? 0);
    if (stage.open?.id === orderId) stage.open.items += quantity;
    else stage.irregular = true;
    const product = node.product as Node | null;
    stage.lineItems.push(
      row([
        shopId, id, orderId, field(gidDigits(product?.id)), field(gidDigits((node.variant as Node | null)?.id)),
        field((product?.productType as string) || null), field(node.vendor as string), field(quantity),
        field(amount(node.originalUnitPriceSet)),
      ]),
    );
  }
}

/** Lines of the JSONL at `url`, numbered from 1. */
export async function* jsonlLines(url: string, signal?: AbortSignal): AsyncGenerator<[number, string]> {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) throw new Error(`bulk result download failed: HTTP ${response.status}`);
  const rl = createInterface({ input: Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim()) yield [n, line];
  }
}
