// Streams a bulk operation's JSONL result line by line (never whole into memory) and turns each
// line into staging rows. Children (line items) carry `__parentId`; they are joined to their order
// in SQL at merge time, so no line ever waits in memory for its parent.
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

/** Adds one JSONL line's rows to `stage`. Unknown object types are skipped. */
export function stageLine(runId: bigint | string, lineNo: number, line: string, stage: StageRows) {
  const node = JSON.parse(line) as Node;
  const gid = typeof node.id === "string" ? node.id : "";
  const id = gidDigits(gid);
  if (id === null) return;
  const head = `${runId}\t${lineNo}\t${id}\t`;
  if (gid.startsWith("gid://shopify/Customer/")) {
    stage.customers.push(`${head}${field(node.createdAt as string)}\t${field(node.updatedAt as string)}\t${field(node.state as string)}\t${arrayField(node.tags)}\n`);
  } else if (gid.startsWith("gid://shopify/Order/")) {
    const customer = gidDigits((node.customer as Node | null)?.id);
    stage.orders.push(
      `${head}${field(customer)}\t${field(node.createdAt as string)}\t${field((node.processedAt as string) ?? (node.createdAt as string))}\t` +
        `${field(node.updatedAt as string)}\t${field(node.cancelledAt as string)}\t${field((node.currencyCode as string) ?? "USD")}\t` +
        `${field(amount(node.totalPriceSet))}\t${field(amount(node.subtotalPriceSet))}\t${field(amount(node.totalDiscountsSet))}\t` +
        `${arrayField(node.discountCodes)}\t${field((node.displayFinancialStatus as string)?.toLowerCase())}\t${field(node.test === true)}\n`,
    );
    for (const r of (node.refunds as Node[]) ?? []) {
      const refundId = gidDigits(r.id);
      if (refundId === null) continue;
      stage.refunds.push(`${runId}\t${lineNo}\t${refundId}\t${id}\t${field(amount(r.totalRefundedSet))}\t${field(r.createdAt as string)}\n`);
    }
  } else if (gid.startsWith("gid://shopify/LineItem/")) {
    const orderId = gidDigits(node.__parentId);
    if (orderId === null) return;
    const product = node.product as Node | null;
    stage.lineItems.push(
      `${head}${orderId}\t${field(gidDigits(product?.id))}\t${field(gidDigits((node.variant as Node | null)?.id))}\t` +
        `${field((product?.productType as string) || null)}\t${field(node.vendor as string)}\t${Number(node.quantity ?? 0)}\t` +
        `${field(amount(node.originalUnitPriceSet))}\n`,
    );
  }
}

/**
 * Lines of the JSONL at `url`, numbered from 1 (blank lines are counted, not yielded; a trailing
 * \r is dropped). Split from the body's bytes as they arrive: never the whole file in memory.
 */
export async function* jsonlLines(url: string, signal?: AbortSignal): AsyncGenerator<[number, string]> {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) throw new Error(`bulk result download failed: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let rest = "";
  let n = 0;
  const lines: [number, string][] = [];
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
      n++;
      const line = text.charCodeAt(nl - 1) === 13 && nl > from ? text.slice(from, nl - 1) : text.slice(from, nl);
      if (line.trim()) lines.push([n, line]);
      from = nl + 1;
    }
    rest = text.slice(from);
    for (const entry of lines) yield entry;
    lines.length = 0;
  }
  const last = rest + decoder.decode();
  if (last.trim()) yield [n + 1, last.endsWith("\r") ? last.slice(0, -1) : last];
}
