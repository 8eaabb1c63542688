// A shop in the twin: its data plus the control methods that act as a shopper or a merchant would
// (each data change delivers the webhooks Shopify would send).
import { randomUUID } from "node:crypto";
import type { SeedCustomer, SeedOrder, SeedStore } from "../datasets/types.ts";
import {
  customerDeletePayload,
  customerPayload,
  customersDataRequestPayload,
  customersRedactPayload,
  customerTagsPayload,
  orderPayload,
  refundPayload,
  shopPayload,
  shopRedactPayload,
  type ShopInfo,
} from "./payloads.ts";
import {
  CustomerRecord,
  fromCents,
  indexById,
  insertSorted,
  LineItemRecord,
  MetafieldRecord,
  OrderRecord,
  RefundRecord,
  refundedCents,
  StringInterner,
  toCents,
  type MetafieldOwner,
} from "./store.ts";
import type { WebhookDispatcher, WebhookFaults } from "./webhooks.ts";

export interface ShopOptions {
  name?: string;
  currency?: string;
  timezone?: string;
  plan?: "Basic" | "Shopify" | "Advanced" | "Shopify Plus" | "Development";
  email?: string;
}

export interface NewCustomer {
  id?: bigint | string | number;
  tags?: string[];
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  state?: string;
  createdAt?: Date | string;
}

export interface NewLineItem {
  productId?: bigint | string | number | null;
  variantId?: bigint | string | number | null;
  title?: string;
  productType?: string;
  vendor?: string;
  sku?: string;
  quantity?: number;
  price: string | number;
}

export interface NewOrder {
  id?: bigint | string | number;
  customerId?: bigint | string | number | null;
  lineItems: NewLineItem[];
  discountCodes?: string[];
  totalDiscounts?: string | number;
  processedAt?: Date | string;
  /** Paid at creation (default) or left pending (pay later with payOrder). */
  paid?: boolean;
  test?: boolean;
  currency?: string;
  tags?: string[];
}

export interface FlowTriggerCall {
  handle: string | null;
  payload: unknown;
  receivedAt: string;
}

export interface ApiFaults {
  /** The next N Admin API calls answer HTTP 500/502/503. */
  serverErrors?: number;
  serverErrorStatus?: number;
  /** The next N Admin API calls never answer (the socket is closed after `timeoutMs`). */
  timeouts?: number;
  timeoutMs?: number;
  /** The next N Admin API calls answer THROTTLED regardless of the bucket. */
  throttled?: number;
}

export interface TwinContext {
  dispatcher: WebhookDispatcher;
  appNamespace: string;
  nextId(): bigint;
  onUninstall(domain: string): void;
}

export const toBig = (v: bigint | string | number) => (typeof v === "bigint" ? v : BigInt(v));
const toMs = (v: Date | string | number | undefined, fallback: number) =>
  v === undefined ? fallback : typeof v === "number" ? v : new Date(v).getTime();

/** Shopify normalises tags: trimmed, no duplicates (case-insensitive), no empties. */
export function normalizeTags(tags: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of tags.flatMap((t) => t.split(","))) {
    const t = raw.trim();
    if (!t || seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    out.push(t);
  }
  return out;
}

export class TwinShop {
  readonly customers: CustomerRecord[] = [];
  readonly orders: OrderRecord[] = [];
  readonly customersById = new Map<bigint, CustomerRecord>();
  readonly ordersById = new Map<bigint, OrderRecord>();
  readonly shopMetafields = new Map<string, MetafieldRecord>();
  readonly metafieldDefinitions: { id: bigint; name: string; namespace: string; key: string; type: string; ownerType: string; access: unknown }[] = [];
  readonly flowTriggers: FlowTriggerCall[] = [];
  readonly discounts: { id: bigint; title: string; codes: string[]; input: unknown }[] = [];
  readonly segments: { id: bigint; name: string; query: string; createdAt: number }[] = [];
  /** The app's web pixel (webPixelCreate), settings as the JSON string Shopify stores. */
  webPixel: { id: bigint; settings: string } | null = null;
  apiFaults: ApiFaults = {};
  installed = false;
  /** Bumped on every data change (connection caches compare it). */
  version = 0;
  private orderNumber = 1000;
  private readonly interner = new StringInterner();
  readonly info: ShopInfo;

  constructor(
    readonly domain: string,
    options: ShopOptions,
    private readonly ctx: TwinContext,
  ) {
    const plan = options.plan ?? "Shopify";
    this.info = {
      id: ctx.nextId(),
      domain,
      name: options.name ?? domain.replace(/\.myshopify\.com$/, ""),
      currency: options.currency ?? "USD",
      timezone: options.timezone ?? "UTC",
      email: options.email ?? `owner@${domain}`,
      planName: plan === "Shopify Plus" ? "shopify_plus" : plan === "Development" ? "affiliate" : plan.toLowerCase(),
      planDisplayName: plan,
    };
  }

  get currency() {
    return this.info.currency;
  }

  touch() {
    this.version++;
  }

  private emit(topic: string, body: () => unknown, eventId?: string) {
    this.touch();
    return this.ctx.dispatcher.emit(this.domain, topic, body, eventId);
  }

  // ---- seeding -------------------------------------------------------------------------------

  private addSeedCustomer(c: SeedCustomer) {
    const record = new CustomerRecord(
      c.id,
      c.createdAt.getTime(),
      c.updatedAt.getTime(),
      c.state,
      c.tags.length ? c.tags.map((t) => this.interner.intern(t)) : [],
      c.firstName ?? null,
      c.lastName ?? null,
      c.email ?? null,
    );
    this.customersById.set(record.id, record);
    this.customers.push(record);
  }

  private addSeedOrder(o: SeedOrder) {
    const i = this.interner;
    const record = new OrderRecord(
      o.id,
      o.customerId,
      o.name,
      o.createdAt.getTime(),
      o.processedAt.getTime(),
      o.updatedAt.getTime(),
      o.cancelledAt ? o.cancelledAt.getTime() : null,
      o.cancelReason,
      i.intern(o.currency),
      o.subtotalPrice,
      i.intern(o.totalDiscounts),
      o.totalPrice,
      o.discountCodes.length ? o.discountCodes.map((d) => i.intern(d)) : [],
      i.intern(o.financialStatus),
      o.test,
      o.lineItems.map(
        (li) =>
          new LineItemRecord(li.id, li.productId, li.variantId, i.intern(li.title), i.intern(li.productType), i.intern(li.vendor), i.intern(li.sku), li.quantity, i.intern(li.price)),
      ),
      o.refunds.length ? o.refunds.map((r) => new RefundRecord(r.id, r.createdAt.getTime(), r.amount, r.lineItems)) : [],
    );
    this.ordersById.set(record.id, record);
    this.orders.push(record);
    if (record.customerId !== null) this.customersById.get(record.customerId)?.orders.push(record);
  }

  /** Loads a store's history (no webhooks: this is the state before the app was installed). */
  async seed(store: SeedStore) {
    if (store.currency) this.info.currency = store.currency;
    if (store.timezone) this.info.timezone = store.timezone;
    for await (const c of store.customers()) this.addSeedCustomer(c);
    let n = 0;
    for await (const o of store.orders()) {
      this.addSeedOrder(o);
      if (++n % 50_000 === 0) await new Promise((r) => setImmediate(r));
    }
    this.customers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.orders.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const c of this.customers) if (c.orders.length > 1) c.orders.sort((a, b) => a.processedAt - b.processedAt);
    this.orderNumber = Math.max(this.orderNumber, 1000 + this.orders.length);
    this.touch();
  }

  // ---- reads ---------------------------------------------------------------------------------

  customer(id: bigint | string | number): CustomerRecord | undefined {
    return this.customersById.get(toBig(id));
  }
  order(id: bigint | string | number): OrderRecord | undefined {
    return this.ordersById.get(toBig(id));
  }
  tags(customerId: bigint | string | number): string[] {
    return [...(this.customer(customerId)?.tags ?? [])];
  }

  /** Metafields of a customer, order or the shop, keyed `namespace.key` (`$app` resolved). */
  metafieldsOf(ownerType: MetafieldOwner, ownerId?: bigint | string | number): Map<string, MetafieldRecord> {
    if (ownerType === "SHOP") return this.shopMetafields;
    const owner = ownerType === "CUSTOMER" ? this.customer(ownerId!) : this.order(ownerId!);
    if (!owner) return new Map();
    return (owner.metafields ??= new Map());
  }

  metafield(ownerType: MetafieldOwner, ownerId: bigint | string | number | undefined, namespace: string, key: string) {
    return this.metafieldsOf(ownerType, ownerId).get(`${this.resolveNamespace(namespace)}.${key}`);
  }

  resolveNamespace(namespace: string | null | undefined): string {
    if (!namespace || namespace === "$app") return this.ctx.appNamespace;
    if (namespace.startsWith("$app:")) return `${this.ctx.appNamespace}--${namespace.slice(5)}`;
    return namespace;
  }

  // ---- merchant actions ----------------------------------------------------------------------

  createCustomer(input: NewCustomer = {}): CustomerRecord {
    const now = Date.now();
    const id = input.id !== undefined ? toBig(input.id) : this.ctx.nextId();
    if (this.customersById.has(id)) throw new Error(`customer ${id} exists`);
    const record = new CustomerRecord(
      id,
      toMs(input.createdAt, now),
      now,
      input.state ?? "disabled",
      normalizeTags(input.tags ?? []),
      input.firstName ?? null,
      input.lastName ?? null,
      input.email ?? null,
    );
    this.customersById.set(id, record);
    insertSorted(this.customers, record);
    this.emit("customers/create", () => customerPayload(this.info, record));
    return record;
  }

  updateCustomer(id: bigint | string | number, patch: Omit<NewCustomer, "id" | "createdAt">): CustomerRecord {
    const c = this.requireCustomer(id);
    if (patch.firstName !== undefined) c.firstName = patch.firstName;
    if (patch.lastName !== undefined) c.lastName = patch.lastName;
    if (patch.email !== undefined) c.email = patch.email;
    if (patch.state !== undefined) c.state = patch.state;
    if (patch.tags !== undefined) return this.setTags(c.id, patch.tags);
    c.updatedAt = Date.now();
    this.emit("customers/update", () => customerPayload(this.info, c));
    return c;
  }

  deleteCustomer(id: bigint | string | number) {
    const c = this.requireCustomer(id);
    this.customersById.delete(c.id);
    const i = indexById(this.customers, c.id);
    if (i >= 0) this.customers.splice(i, 1);
    for (const o of c.orders) o.customerId = null;
    this.emit("customers/delete", () => customerDeletePayload(c.id));
  }

  /** Adds tags without touching others (tagsAdd). Returns the tags actually added. */
  addTags(id: bigint | string | number, tags: string[], eventId = randomUUID()): string[] {
    const c = this.requireCustomer(id);
    const have = new Set(c.tags.map((t) => t.toLowerCase()));
    const added = normalizeTags(tags).filter((t) => !have.has(t.toLowerCase()));
    if (!added.length) return [];
    c.tags = [...c.tags, ...added];
    c.updatedAt = Date.now();
    this.emit("customer.tags_added", () => customerTagsPayload(c.id, added, c.updatedAt), eventId);
    this.emit("customers/update", () => customerPayload(this.info, c), eventId);
    return added;
  }

  removeTags(id: bigint | string | number, tags: string[], eventId = randomUUID()): string[] {
    const c = this.requireCustomer(id);
    const drop = new Set(normalizeTags(tags).map((t) => t.toLowerCase()));
    const removed = c.tags.filter((t) => drop.has(t.toLowerCase()));
    if (!removed.length) return [];
    c.tags = c.tags.filter((t) => !drop.has(t.toLowerCase()));
    c.updatedAt = Date.now();
    this.emit("customer.tags_removed", () => customerTagsPayload(c.id, removed, c.updatedAt), eventId);
    this.emit("customers/update", () => customerPayload(this.info, c), eventId);
    return removed;
  }

  /** Replaces every tag (customerUpdate(tags:)), as Shopify does. */
  setTags(id: bigint | string | number, tags: string[]): CustomerRecord {
    const c = this.requireCustomer(id);
    const next = normalizeTags(tags);
    const nextLower = new Set(next.map((t) => t.toLowerCase()));
    const prevLower = new Set(c.tags.map((t) => t.toLowerCase()));
    const added = next.filter((t) => !prevLower.has(t.toLowerCase()));
    const removed = c.tags.filter((t) => !nextLower.has(t.toLowerCase()));
    c.tags = next;
    c.updatedAt = Date.now();
    const eventId = randomUUID();
    if (added.length) this.emit("customer.tags_added", () => customerTagsPayload(c.id, added, c.updatedAt), eventId);
    if (removed.length) this.emit("customer.tags_removed", () => customerTagsPayload(c.id, removed, c.updatedAt), eventId);
    this.emit("customers/update", () => customerPayload(this.info, c), eventId);
    return c;
  }

  // ---- shopper actions -----------------------------------------------------------------------

  placeOrder(input: NewOrder): OrderRecord {
    const now = Date.now();
    const processedAt = toMs(input.processedAt, now);
    const customerId = input.customerId === undefined || input.customerId === null ? null : toBig(input.customerId);
    const customer = customerId === null ? undefined : this.requireCustomer(customerId);
    const lineItems = input.lineItems.map(
      (li) =>
        new LineItemRecord(
          this.ctx.nextId(),
          li.productId === undefined ? this.ctx.nextId() : li.productId === null ? null : toBig(li.productId),
          li.variantId === undefined || li.variantId === null ? null : toBig(li.variantId),
          li.title ?? "Item",
          li.productType ?? "",
          li.vendor ?? "",
          li.sku ?? "",
          li.quantity ?? 1,
          fromCents(toCents(li.price)),
        ),
    );
    const subtotalCents = lineItems.reduce((s, li) => s + toCents(li.price) * li.quantity, 0);
    const discountCents = toCents(input.totalDiscounts ?? 0);
    const paid = input.paid ?? true;
    const order = new OrderRecord(
      input.id !== undefined ? toBig(input.id) : this.ctx.nextId(),
      customerId,
      `#${++this.orderNumber}`,
      now,
      processedAt,
      now,
      null,
      null,
      input.currency ?? this.currency,
      fromCents(subtotalCents - discountCents),
      fromCents(discountCents),
      fromCents(subtotalCents - discountCents),
      input.discountCodes ?? [],
      paid ? "paid" : "pending",
      input.test ?? false,
      lineItems,
      [],
      input.tags ?? [],
    );
    this.ordersById.set(order.id, order);
    insertSorted(this.orders, order);
    customer?.orders.push(order);
    const eventId = randomUUID();
    this.emit("orders/create", () => orderPayload(this.info, order, customer), eventId);
    if (paid) this.emit("orders/paid", () => orderPayload(this.info, order, customer), eventId);
    return order;
  }

  payOrder(id: bigint | string | number): OrderRecord {
    const order = this.requireOrder(id);
    order.financialStatus = "paid";
    order.updatedAt = Date.now();
    const eventId = randomUUID();
    const customer = order.customerId === null ? undefined : this.customer(order.customerId);
    this.emit("orders/paid", () => orderPayload(this.info, order, customer), eventId);
    this.emit("orders/updated", () => orderPayload(this.info, order, customer), eventId);
    return order;
  }

  /**
   * Refunds line items (their full unit price × quantity) or an amount. Without either, the
   * whole remaining total is refunded.
   */
  refundOrder(
    id: bigint | string | number,
    opts: { amount?: string | number; lineItems?: { lineItemId: bigint | string | number; quantity: number }[]; note?: string } = {},
  ): RefundRecord {
    const order = this.requireOrder(id);
    const lines = (opts.lineItems ?? []).map((l) => {
      const li = order.lineItems.find((x) => x.id === toBig(l.lineItemId));
      if (!li) throw new Error(`line item ${l.lineItemId} not on order ${order.id}`);
      return { lineItemId: li.id, quantity: l.quantity, subtotal: fromCents(toCents(li.price) * l.quantity) };
    });
    const remaining = toCents(order.totalPrice) - refundedCents(order);
    const cents =
      opts.amount !== undefined ? toCents(opts.amount) : lines.length ? lines.reduce((s, l) => s + toCents(l.subtotal), 0) : remaining;
    const now = Date.now();
    const refund = new RefundRecord(this.ctx.nextId(), now, fromCents(Math.min(cents, remaining)), lines, opts.note ?? null);
    order.refunds = [...order.refunds, refund];
    order.financialStatus = refundedCents(order) >= toCents(order.totalPrice) ? "refunded" : "partially_refunded";
    order.updatedAt = now;
    const eventId = randomUUID();
    const customer = order.customerId === null ? undefined : this.customer(order.customerId);
    this.emit("refunds/create", () => refundPayload(this.info, order, refund), eventId);
    this.emit("orders/updated", () => orderPayload(this.info, order, customer), eventId);
    return refund;
  }

  cancelOrder(id: bigint | string | number, reason = "customer"): OrderRecord {
    const order = this.requireOrder(id);
    const now = Date.now();
    order.cancelledAt = now;
    order.cancelReason = reason;
    order.updatedAt = now;
    const eventId = randomUUID();
    const customer = order.customerId === null ? undefined : this.customer(order.customerId);
    this.emit("orders/cancelled", () => orderPayload(this.info, order, customer), eventId);
    this.emit("orders/updated", () => orderPayload(this.info, order, customer), eventId);
    return order;
  }

  // ---- app-level events ----------------------------------------------------------------------

  uninstall() {
    this.installed = false;
    // Shopify removes an app's web pixel with the app.
    this.webPixel = null;
    this.ctx.onUninstall(this.domain);
    this.emit("app/uninstalled", () => shopPayload(this.info));
  }

  requestCustomerRedact(customerId: bigint | string | number) {
    const id = toBig(customerId);
    const c = this.customer(id) ?? { id, email: null };
    const orderIds = this.customer(id)?.orders.map((o) => o.id) ?? [];
    this.emit("customers/redact", () => customersRedactPayload(this.info, c, orderIds));
  }

  requestCustomerData(customerId: bigint | string | number) {
    const c = this.requireCustomer(customerId);
    this.emit("customers/data_request", () => customersDataRequestPayload(this.info, c, c.orders.map((o) => o.id), this.ctx.nextId()));
  }

  requestShopRedact() {
    this.emit("shop/redact", () => shopRedactPayload(this.info));
  }

  /** Webhook faults for this shop only. */
  setWebhookFaults(faults: WebhookFaults) {
    this.ctx.dispatcher.setFaults(faults, this.domain);
  }

  /** Admin API faults (5xx, timeouts, forced THROTTLED) for the next calls. */
  setApiFaults(faults: ApiFaults) {
    this.apiFaults = { ...faults };
  }

  /** The order payload (REST shape) as webhooks carry it. */
  orderWebhookBody(id: bigint | string | number) {
    const order = this.requireOrder(id);
    return orderPayload(this.info, order, order.customerId === null ? undefined : this.customer(order.customerId));
  }

  requireCustomer(id: bigint | string | number): CustomerRecord {
    const c = this.customer(id);
    if (!c) throw new Error(`no customer ${id} in ${this.domain}`);
    return c;
  }

  requireOrder(id: bigint | string | number): OrderRecord {
    const o = this.order(id);
    if (!o) throw new Error(`no order ${id} in ${this.domain}`);
    return o;
  }

  newId() {
    return this.ctx.nextId();
  }

  /** Writes a metafield (used by metafieldsSet). */
  writeMetafield(ownerType: MetafieldOwner, ownerId: bigint, namespace: string, key: string, type: string, value: string) {
    const map = this.metafieldsOf(ownerType, ownerId);
    const k = `${namespace}.${key}`;
    const now = Date.now();
    const existing = map.get(k);
    if (existing) {
      existing.value = value;
      existing.type = type;
      existing.updatedAt = Math.max(now, existing.updatedAt + 1);
      return existing;
    }
    const record = new MetafieldRecord(this.ctx.nextId(), namespace, key, type, value, now, now, ownerType, ownerId);
    map.set(k, record);
    return record;
  }
}
