// One shop's data, held compactly: records are fixed-shape classes, times are epoch milliseconds,
// money is a decimal string, repeated catalogue strings are interned. 100k customers / 300k orders
// fit in a few hundred MB.
import { createHash } from "node:crypto";

export type MetafieldOwner = "CUSTOMER" | "SHOP" | "ORDER";

export class MetafieldRecord {
  constructor(
    public id: bigint,
    public namespace: string,
    public key: string,
    public type: string,
    public value: string,
    public createdAt: number,
    public updatedAt: number,
    public ownerType: MetafieldOwner,
    public ownerId: bigint,
  ) {}
  get compareDigest(): string {
    return createHash("sha256").update(`${this.id}:${this.updatedAt}:${this.value}`).digest("base64url");
  }
}

export class CustomerRecord {
  orders: OrderRecord[] = [];
  metafields: Map<string, MetafieldRecord> | null = null;
  constructor(
    public id: bigint,
    public createdAt: number,
    public updatedAt: number,
    public state: string,
    public tags: string[],
    public firstName: string | null,
    public lastName: string | null,
    public email: string | null,
  ) {}
}

export class LineItemRecord {
  constructor(
    public id: bigint,
    public productId: bigint | null,
    public variantId: bigint | null,
    public title: string,
    public productType: string,
    public vendor: string,
    public sku: string,
    public quantity: number,
    public price: string,
  ) {}
}

export class RefundRecord {
  constructor(
    public id: bigint,
    public createdAt: number,
    public amount: string,
    public lineItems: { lineItemId: bigint; quantity: number; subtotal: string }[],
    public note: string | null = null,
  ) {}
}

export class OrderRecord {
  metafields: Map<string, MetafieldRecord> | null = null;
  constructor(
    public id: bigint,
    public customerId: bigint | null,
    public name: string,
    public createdAt: number,
    public processedAt: number,
    public updatedAt: number,
    public cancelledAt: number | null,
    public cancelReason: string | null,
    public currency: string,
    public subtotalPrice: string,
    public totalDiscounts: string,
    public totalPrice: string,
    public discountCodes: string[],
    public financialStatus: string,
    public test: boolean,
    public lineItems: LineItemRecord[],
    public refunds: RefundRecord[],
    public tags: string[] = [],
  ) {}
}

/** Money as integer cents (amounts stay exact; the twin's shops use 2-decimal currencies). */
export function toCents(amount: string | number): number {
  return Math.round(Number(amount) * 100);
}
export function fromCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export function refundedCents(order: OrderRecord): number {
  let sum = 0;
  for (const r of order.refunds) sum += toCents(r.amount);
  return sum;
}

let lastIsoMs = NaN;
let lastIso = "";

export function iso(ms: number): string {
  // A record's timestamps are often the same instant (created = processed = updated): reuse it.
  if (ms === lastIsoMs) return lastIso;
  // Whole seconds, as Shopify prints them (toISOString always ends in ".sssZ").
  const s = new Date(ms).toISOString();
  lastIsoMs = ms;
  lastIso = `${s.slice(0, -5)}Z`;
  return lastIso;
}

const EMPTY: string[] = [];
export const emptyList = EMPTY;

/** Binary search in an array sorted by id. */
export function indexById<T extends { id: bigint }>(list: T[], id: bigint): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid].id;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** First index whose id is greater than `id` (list sorted by id). */
export function upperBoundById<T extends { id: bigint }>(list: T[], id: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function insertSorted<T extends { id: bigint }>(list: T[], item: T) {
  if (list.length === 0 || list[list.length - 1].id < item.id) {
    list.push(item);
    return;
  }
  list.splice(upperBoundById(list, item.id), 0, item);
}

export class StringInterner {
  private readonly table = new Map<string, string>();
  intern(s: string): string {
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    if (this.table.size < 200_000) this.table.set(s, s);
    return s;
  }
}
