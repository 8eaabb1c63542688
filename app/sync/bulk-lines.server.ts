// Streams a bulk operation's JSONL result line by line (never whole into memory) and turns each
// line into staging rows. Children (line items) carry `__parentId`; they are joined to their order
// in SQL at merge time, so no line ever waits in memory for its parent.
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { idFromGid } from "./exact-json.server";
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

/** Adds one JSONL line's rows to `stage`. Unknown object types are skipped. */
export function stageLine(runId: bigint, lineNo: number, line: string, stage: StageRows) {
  const node = JSON.parse(line) as Node;
  const gid = typeof node.id === "string" ? node.id : "";
  const id = idFromGid(gid);
  if (id === null) return;
  if (gid.startsWith("gid://shopify/Customer/")) {
    stage.customers.push(copyRow([runId, lineNo, id, node.createdAt as string, node.updatedAt as string, (node.state as string) ?? null, (node.tags as string[]) ?? []]));
  } else if (gid.startsWith("gid://shopify/Order/")) {
    const customer = idFromGid((node.customer as Node | null)?.id);
    stage.orders.push(
      copyRow([
        runId, lineNo, id, customer, node.createdAt as string, (node.processedAt as string) ?? (node.createdAt as string),
        node.updatedAt as string, (node.cancelledAt as string) ?? null, (node.currencyCode as string) ?? "USD",
        amount(node.totalPriceSet), amount(node.subtotalPriceSet), amount(node.totalDiscountsSet),
        ((node.discountCodes as string[]) ?? []).map(String), (node.displayFinancialStatus as string)?.toLowerCase() ?? null,
        node.test === true,
      ]),
    );
    for (const r of (node.refunds as Node[]) ?? []) {
      const refundId = idFromGid(r.id);
      if (refundId === null) continue;
      stage.refunds.push(copyRow([runId, lineNo, refundId, id, amount(r.totalRefundedSet), r.createdAt as string]));
    }
  } else if (gid.startsWith("gid://shopify/LineItem/")) {
    const orderId = idFromGid(node.__parentId);
    if (orderId === null) return;
    const product = node.product as Node | null;
    stage.lineItems.push(
      copyRow([
        runId, lineNo, id, orderId, idFromGid(product?.id), idFromGid((node.variant as Node | null)?.id),
        (product?.productType as string) || null, (node.vendor as string) ?? null, Number(node.quantity ?? 0),
        amount(node.originalUnitPriceSet),
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
