// Streams a bulk operation's JSONL result line by line (never whole into memory) and turns each
// line into staging rows. Children (line items) carry `__parentId`; they are joined to their order
// in SQL at merge time, so no line ever waits in memory for its parent.
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { copyRow } from "./copy-text.server";

export interface StageRows {
  customers: string[];
  orders: string[];
  lineItems: string[];
  refunds: string[];
}

export function emptyStage(): StageRows {
  return { customers: [], orders: [], lineItems: [], refunds: [] };
}

type Node = Record<string, unknown>;
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

/** Adds one JSONL line's rows to `stage`. Unknown object types are skipped. */
export function stageLine(runId: bigint | string, lineNo: number, line: string, stage: StageRows) {
  const node = JSON.parse(line) as Node;
  const gid = typeof node.id === "string" ? node.id : "";
  const id = gidDigits(gid);
  if (id === null) return;
  const run = String(runId);
  const no = String(lineNo);
  if (gid.startsWith("gid://shopify/Customer/")) {
    stage.customers.push(row([run, no, id, field(node.createdAt as string), field(node.updatedAt as string), field(node.state as string), arrayField(node.tags)]));
  } else if (gid.startsWith("gid://shopify/Order/")) {
    const customer = gidDigits((node.customer as Node | null)?.id);
    stage.orders.push(
      row([
        run, no, id, field(customer), field(node.createdAt as string), field((node.processedAt as string) ?? (node.createdAt as string)),
        field(node.updatedAt as string), field(node.cancelledAt as string), field((node.currencyCode as string) ?? "USD"),
        field(amount(node.totalPriceSet)), field(amount(node.subtotalPriceSet)), field(amount(node.totalDiscountsSet)),
        arrayField(node.discountCodes), field((node.displayFinancialStatus as string)?.toLowerCase()), field(node.test === true),
      ]),
    );
    for (const r of (node.refunds as Node[]) ?? []) {
      const refundId = gidDigits(r.id);
      if (refundId === null) continue;
      stage.refunds.push(row([run, no, refundId, id, field(amount(r.totalRefundedSet)), field(r.createdAt as string)]));
    }
  } else if (gid.startsWith("gid://shopify/LineItem/")) {
    const orderId = gidDigits(node.__parentId);
    if (orderId === null) return;
    const product = node.product as Node | null;
    stage.lineItems.push(
      row([
        run, no, id, orderId, field(gidDigits(product?.id)), field(gidDigits((node.variant as Node | null)?.id)),
        field((product?.productType as string) || null), field(node.vendor as string), field(Number(node.quantity ?? 0)),
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
