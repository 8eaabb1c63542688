// Resolvers for the Admin schema. The introspected schema has no resolvers, so execution uses a
// field resolver that reads views (classes below): a property or method named like the field.
// Fields the twin does not implement resolve to null, or to an empty value when non-null.
import { randomUUID } from "node:crypto";
import {
  getNullableType,
  GraphQLError,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isAbstractType,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLTypeResolver,
} from "graphql";
import type { BulkManager, BulkOperationRecord } from "./bulk.ts";
import { customerFilter, orderFilter } from "./search.ts";
import { normalizeTags, type TwinShop } from "./shop.ts";
import {
  fromCents,
  iso,
  refundedCents,
  toCents,
  type CustomerRecord,
  type LineItemRecord,
  type MetafieldOwner,
  type MetafieldRecord,
  type OrderRecord,
  type RefundRecord,
} from "./store.ts";

export interface ExecContext {
  shop: TwinShop;
  bulk: BulkManager;
  /** True while a bulk query runs: connections return every node, `first` is ignored. */
  bulkMode?: boolean;
  /** In bulk mode: the slice of top-level nodes this pass produces. */
  bulkSlice?: { start: number; end: number; total?: number };
  stagedUploadUrl: (key: string) => string;
  apiKey: string;
}

export const MAX_PAGE_SIZE = 250;

const gid = (type: string, id: bigint | string) => `gid://shopify/${type}/${id}`;

export function parseGid(value: string): { type: string; id: bigint } | null {
  const m = /^gid:\/\/shopify\/(\w+)\/(\d+)(?:\?.*)?$/.exec(value);
  if (!m) return null;
  return { type: m[1], id: BigInt(m[2]) };
}

// ---- generic helpers ------------------------------------------------------------------------

export function zeroValue(type: GraphQLOutputType): unknown {
  const t = getNullableType(type);
  if (isListType(t)) return [];
  if (isEnumType(t)) return t.getValues()[0]?.value ?? null;
  if (isScalarType(t)) {
    switch (t.name) {
      case "Int":
      case "Float":
        return 0;
      case "Boolean":
        return false;
      case "UnsignedInt64":
        return "0";
      case "Decimal":
      case "Money":
        return "0.0";
      case "DateTime":
        return new Date(0).toISOString();
      case "JSON":
        return {};
      default:
        return "";
    }
  }
  if (isAbstractType(t)) return null;
  if (isObjectType(t)) return {};
  return null;
}

export const fieldResolver: GraphQLFieldResolver<unknown, ExecContext> = (source, args, ctx, info) => {
  if (source === null || typeof source !== "object") return null;
  const value = (source as Record<string, unknown>)[info.fieldName];
  if (typeof value === "function") return (value as (a: unknown, c: unknown, i: unknown) => unknown).call(source, args, ctx, info);
  if (value !== undefined) return value;
  return isNonNullType(info.returnType) ? zeroValue(info.returnType) : null;
};

export const typeResolver: GraphQLTypeResolver<unknown, ExecContext> = (value) =>
  (value as { __typename?: string } | null)?.__typename;

export function money(amount: string, currency: string) {
  const m = { amount, currencyCode: currency, __typename: "MoneyV2" };
  return { shopMoney: m, presentmentMoney: m, __typename: "MoneyBag" };
}

interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
}

type SortKey<T> = (item: T) => number | bigint;

function encodeCursor(key: number | bigint, id: bigint) {
  return Buffer.from(JSON.stringify({ k: String(key), id: String(id) })).toString("base64url");
}
function decodeCursor(cursor: string): { k: bigint | number; id: bigint } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { k: string; id: string };
    const k = /^-?\d+$/.test(parsed.k) && parsed.k.length > 15 ? BigInt(parsed.k) : Number(parsed.k);
    return { k, id: BigInt(parsed.id) };
  } catch {
    throw new GraphQLError(`Invalid cursor for current pagination sort.`, { extensions: { code: "BAD_REQUEST" } });
  }
}

function cmpKey(a: number | bigint, b: number | bigint) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Relay pagination over `items` (already filtered, sorted ascending by (key, id)).
 * In bulk mode every node is returned.
 */
export function paginate<T extends { id: bigint }, V>(
  items: T[],
  args: ConnectionArgs,
  key: SortKey<T>,
  view: (item: T) => V,
  ctx: ExecContext,
  topLevel = false,
) {
  if (!ctx.bulkMode) {
    if (args.first == null && args.last == null) {
      throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
    }
    for (const name of ["first", "last"] as const) {
      const n = args[name];
      if (n != null && (n > MAX_PAGE_SIZE || n < 0)) {
        throw new GraphQLError(`The value of the argument \`${name}\` must be between 0 and ${MAX_PAGE_SIZE}.`, {
          extensions: { code: "BAD_REQUEST", argumentName: name, maximum: MAX_PAGE_SIZE },
        });
      }
    }
  }
  const dir = args.reverse ? -1 : 1;
  const seq = args.reverse ? items.slice().reverse() : items;
  const position = (item: T, c: { k: number | bigint; id: bigint }) => {
    const byKey = cmpKey(key(item), c.k);
    return dir * (byKey !== 0 ? byKey : cmpKey(item.id, c.id));
  };
  const firstAfter = (c: { k: number | bigint; id: bigint }, inclusive: boolean) => {
    let lo = 0;
    let hi = seq.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = position(seq[mid], c);
      if (p > 0 || (inclusive && p === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  let start = args.after ? firstAfter(decodeCursor(args.after), false) : 0;
  let end = args.before ? firstAfter(decodeCursor(args.before), true) : seq.length;
  if (ctx.bulkMode && topLevel && ctx.bulkSlice) {
    ctx.bulkSlice.total = end - start;
    end = Math.min(end, start + ctx.bulkSlice.end);
    start = start + ctx.bulkSlice.start;
  } else if (!ctx.bulkMode) {
    if (args.first != null) end = Math.min(end, start + args.first);
    if (args.last != null) start = Math.max(start, end - args.last);
  }
  const slice = start < end ? seq.slice(start, end) : [];
  const hasNextPage = end < seq.length;
  const hasPreviousPage = start > 0;
  let nodes: V[] | undefined;
  const getNodes = () => (nodes ??= slice.map(view));
  return {
    get nodes() {
      return getNodes();
    },
    get edges() {
      const ns = getNodes();
      return slice.map((item, i) => ({ cursor: encodeCursor(key(item), item.id), node: ns[i] }));
    },
    get pageInfo() {
      return {
        hasNextPage,
        hasPreviousPage,
        startCursor: slice.length ? encodeCursor(key(slice[0]), slice[0].id) : null,
        endCursor: slice.length ? encodeCursor(key(slice[slice.length - 1]), slice[slice.length - 1].id) : null,
      };
    },
  };
}

const sortCache = new WeakMap<TwinShop, Map<string, { version: number; items: unknown[] }>>();

function sortedView<T extends { id: bigint }>(shop: TwinShop, cacheKey: string, build: () => T[]): T[] {
  let cache = sortCache.get(shop);
  if (!cache) sortCache.set(shop, (cache = new Map()));
  const hit = cache.get(cacheKey);
  if (hit && hit.version === shop.version) return hit.items as T[];
  const items = build();
  if (cache.size > 20) cache.clear();
  cache.set(cacheKey, { version: shop.version, items });
  return items;
}

const byKeyThenId =
  <T extends { id: bigint }>(key: SortKey<T>) =>
  (a: T, b: T) =>
    cmpKey(key(a), key(b)) || cmpKey(a.id, b.id);

const customerKeys: Record<string, SortKey<CustomerRecord>> = {
  ID: (c) => c.id,
  UPDATED_AT: (c) => c.updatedAt,
  CREATED_AT: (c) => c.createdAt,
};
const orderKeys: Record<string, SortKey<OrderRecord>> = {
  ID: (o) => o.id,
  UPDATED_AT: (o) => o.updatedAt,
  CREATED_AT: (o) => o.createdAt,
  PROCESSED_AT: (o) => o.processedAt,
  TOTAL_PRICE: (o) => toCents(o.totalPrice),
};

function customersConnection(ctx: ExecContext, args: ConnectionArgs & { query?: string; sortKey?: string }, topLevel: boolean) {
  const shop = ctx.shop;
  const sortKey = customerKeys[args.sortKey ?? "ID"] ? (args.sortKey ?? "ID") : "ID";
  const key = customerKeys[sortKey];
  const items = sortedView(shop, `customers:${sortKey}:${args.query ?? ""}`, () => {
    const filter = customerFilter(args.query);
    const base = filter ? shop.customers.filter(filter) : shop.customers;
    return sortKey === "ID" ? base : base.slice().sort(byKeyThenId(key));
  });
  return paginate(items, args, key, (c) => new CustomerView(shop, c), ctx, topLevel);
}

function ordersConnection(
  ctx: ExecContext,
  source: OrderRecord[] | null,
  args: ConnectionArgs & { query?: string; sortKey?: string },
  topLevel: boolean,
) {
  const shop = ctx.shop;
  const sortKey = orderKeys[args.sortKey ?? "PROCESSED_AT"] ? (args.sortKey ?? "PROCESSED_AT") : "ID";
  const key = orderKeys[sortKey];
  const build = () => {
    const filter = orderFilter(args.query);
    const all = source ?? shop.orders;
    const base = filter ? all.filter(filter) : all;
    return sortKey === "ID" && !source ? base : base.slice().sort(byKeyThenId(key));
  };
  const items = source ? build() : sortedView(shop, `orders:${sortKey}:${args.query ?? ""}`, build);
  return paginate(items, args, key, (o) => new OrderView(shop, o), ctx, topLevel);
}

// ---- views ----------------------------------------------------------------------------------

function metafieldView(shop: TwinShop, m: MetafieldRecord) {
  return {
    __typename: "Metafield",
    id: gid("Metafield", m.id),
    legacyResourceId: String(m.id),
    namespace: m.namespace,
    key: m.key,
    type: m.type,
    value: m.value,
    jsonValue: () => {
      try {
        return m.type.startsWith("json") || m.type.startsWith("list.") ? JSON.parse(m.value) : m.value;
      } catch {
        return m.value;
      }
    },
    compareDigest: m.compareDigest,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
    ownerType: m.ownerType,
    sizeInBytes: Buffer.byteLength(m.value),
    owner: () => ownerView(shop, m.ownerType, m.ownerId),
  };
}

function ownerView(shop: TwinShop, type: MetafieldOwner, id: bigint) {
  if (type === "SHOP") return new ShopView(shop);
  if (type === "CUSTOMER") {
    const c = shop.customer(id);
    return c ? new CustomerView(shop, c) : null;
  }
  const o = shop.order(id);
  return o ? new OrderView(shop, o) : null;
}

function metafieldsConnection(shop: TwinShop, map: Map<string, MetafieldRecord>, args: ConnectionArgs & { namespace?: string; keys?: string[] }, ctx: ExecContext) {
  let list = [...map.values()];
  if (args.namespace) {
    const ns = shop.resolveNamespace(args.namespace);
    list = list.filter((m) => m.namespace === ns);
  }
  if (args.keys) {
    const keys = new Set(args.keys.map((k) => {
      const dot = k.lastIndexOf(".");
      return `${shop.resolveNamespace(k.slice(0, dot))}.${k.slice(dot + 1)}`;
    }));
    list = list.filter((m) => keys.has(`${m.namespace}.${m.key}`));
  }
  list.sort((a, b) => cmpKey(a.id, b.id));
  return paginate(list, args, (m) => m.id, (m) => metafieldView(shop, m), ctx);
}

abstract class HasMetafieldsView {
  constructor(readonly shopRef: TwinShop) {}
  abstract metafieldMap(): Map<string, MetafieldRecord>;
  metafield(args: { namespace?: string; key: string }) {
    const m = this.metafieldMap().get(`${this.shopRef.resolveNamespace(args.namespace)}.${args.key}`);
    return m ? metafieldView(this.shopRef, m) : null;
  }
  metafields(args: ConnectionArgs & { namespace?: string; keys?: string[] }, ctx: ExecContext) {
    return metafieldsConnection(this.shopRef, this.metafieldMap(), args, ctx);
  }
}

export class CustomerView extends HasMetafieldsView {
  readonly __typename = "Customer";
  constructor(
    shop: TwinShop,
    readonly record: CustomerRecord,
  ) {
    super(shop);
  }
  metafieldMap() {
    return this.record.metafields ?? new Map();
  }
  get id() {
    return gid("Customer", this.record.id);
  }
  get legacyResourceId() {
    return String(this.record.id);
  }
  get createdAt() {
    return iso(this.record.createdAt);
  }
  get updatedAt() {
    return iso(this.record.updatedAt);
  }
  get state() {
    return this.record.state.toUpperCase();
  }
  get tags() {
    return this.record.tags;
  }
  get firstName() {
    return this.record.firstName;
  }
  get lastName() {
    return this.record.lastName;
  }
  get displayName() {
    const name = [this.record.firstName, this.record.lastName].filter(Boolean).join(" ");
    return name || this.record.email || `Customer ${this.record.id}`;
  }
  get email() {
    return this.record.email;
  }
  get defaultEmailAddress() {
    return this.record.email ? { emailAddress: this.record.email, __typename: "CustomerEmailAddress" } : null;
  }
  get numberOfOrders() {
    return String(this.record.orders.length);
  }
  get amountSpent() {
    let cents = 0;
    for (const o of this.record.orders) if (o.cancelledAt === null && !o.test) cents += toCents(o.totalPrice) - refundedCents(o);
    return { amount: fromCents(cents), currencyCode: this.shopRef.currency, __typename: "MoneyV2" };
  }
  get lastOrder() {
    const orders = this.record.orders;
    return orders.length ? new OrderView(this.shopRef, orders[orders.length - 1]) : null;
  }
  get verifiedEmail() {
    return this.record.email !== null;
  }
  get locale() {
    return "en";
  }
  get canDelete() {
    return this.record.orders.length === 0;
  }
  orders(args: ConnectionArgs & { query?: string; sortKey?: string }, ctx: ExecContext) {
    return ordersConnection(ctx, this.record.orders, { ...args, sortKey: args.sortKey ?? "ID" }, false);
  }
}

const cancelReasons = new Set(["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]);
const financialStatuses: Record<string, string> = {
  paid: "PAID",
  partially_refunded: "PARTIALLY_REFUNDED",
  refunded: "REFUNDED",
  pending: "PENDING",
  authorized: "AUTHORIZED",
  voided: "VOIDED",
  partially_paid: "PARTIALLY_PAID",
  expired: "EXPIRED",
};

export class OrderView extends HasMetafieldsView {
  readonly __typename = "Order";
  constructor(
    shop: TwinShop,
    readonly record: OrderRecord,
  ) {
    super(shop);
  }
  metafieldMap() {
    return this.record.metafields ?? new Map();
  }
  private set(amount: string) {
    return money(amount, this.record.currency);
  }
  get id() {
    return gid("Order", this.record.id);
  }
  get legacyResourceId() {
    return String(this.record.id);
  }
  get name() {
    return this.record.name;
  }
  get number() {
    return Number(this.record.name.replace(/\D/g, "")) || 0;
  }
  get createdAt() {
    return iso(this.record.createdAt);
  }
  get processedAt() {
    return iso(this.record.processedAt);
  }
  get updatedAt() {
    return iso(this.record.updatedAt);
  }
  get cancelledAt() {
    return this.record.cancelledAt === null ? null : iso(this.record.cancelledAt);
  }
  get cancelReason() {
    const r = this.record.cancelReason?.toUpperCase();
    return r ? (cancelReasons.has(r) ? r : "OTHER") : null;
  }
  get closed() {
    return false;
  }
  get currencyCode() {
    return this.record.currency;
  }
  get presentmentCurrencyCode() {
    return this.record.currency;
  }
  get test() {
    return this.record.test;
  }
  get tags() {
    return this.record.tags;
  }
  get discountCodes() {
    return this.record.discountCodes;
  }
  get discountCode() {
    return this.record.discountCodes[0] ?? null;
  }
  get displayFinancialStatus() {
    return financialStatuses[this.record.financialStatus] ?? null;
  }
  get displayFulfillmentStatus() {
    return "UNFULFILLED";
  }
  get fullyPaid() {
    return ["paid", "partially_refunded", "refunded"].includes(this.record.financialStatus);
  }
  get unpaid() {
    return !this.fullyPaid;
  }
  get email() {
    const c = this.record.customerId === null ? undefined : this.shopRef.customer(this.record.customerId);
    return c?.email ?? null;
  }
  get customer() {
    const c = this.record.customerId === null ? undefined : this.shopRef.customer(this.record.customerId);
    return c ? new CustomerView(this.shopRef, c) : null;
  }
  get subtotalPriceSet() {
    return this.set(this.record.subtotalPrice);
  }
  get currentSubtotalPriceSet() {
    return this.set(fromCents(Math.max(0, toCents(this.record.subtotalPrice) - refundedCents(this.record))));
  }
  get totalPriceSet() {
    return this.set(this.record.totalPrice);
  }
  get originalTotalPriceSet() {
    return this.set(this.record.totalPrice);
  }
  get currentTotalPriceSet() {
    return this.set(fromCents(Math.max(0, toCents(this.record.totalPrice) - refundedCents(this.record))));
  }
  get totalDiscountsSet() {
    return this.set(this.record.totalDiscounts);
  }
  get currentTotalDiscountsSet() {
    return this.set(this.record.totalDiscounts);
  }
  get totalRefundedSet() {
    return this.set(fromCents(refundedCents(this.record)));
  }
  get totalReceivedSet() {
    return this.set(this.fullyPaid ? this.record.totalPrice : "0.00");
  }
  get netPaymentSet() {
    return this.set(this.fullyPaid ? fromCents(toCents(this.record.totalPrice) - refundedCents(this.record)) : "0.00");
  }
  get totalOutstandingSet() {
    return this.set(this.fullyPaid ? "0.00" : this.record.totalPrice);
  }
  get totalTaxSet() {
    return this.set("0.00");
  }
  get currentTotalTaxSet() {
    return this.set("0.00");
  }
  get totalShippingPriceSet() {
    return this.set("0.00");
  }
  get subtotalLineItemsQuantity() {
    return this.record.lineItems.reduce((s, li) => s + li.quantity, 0);
  }
  get currentSubtotalLineItemsQuantity() {
    return this.subtotalLineItemsQuantity;
  }
  lineItems(args: ConnectionArgs, ctx: ExecContext) {
    return paginate(this.record.lineItems, args, (li) => li.id, (li) => new LineItemView(this.record, li), ctx);
  }
  refunds(args: { first?: number | null }) {
    const list = args.first != null ? this.record.refunds.slice(0, args.first) : this.record.refunds;
    return list.map((r) => new RefundView(this.shopRef, this.record, r));
  }
}

export class LineItemView {
  readonly __typename = "LineItem";
  constructor(
    readonly orderRecord: OrderRecord,
    readonly record: LineItemRecord,
  ) {}
  private set(amount: string) {
    return money(amount, this.orderRecord.currency);
  }
  get id() {
    return gid("LineItem", this.record.id);
  }
  get name() {
    return this.record.title;
  }
  get title() {
    return this.record.title;
  }
  get quantity() {
    return this.record.quantity;
  }
  get currentQuantity() {
    let refunded = 0;
    for (const r of this.orderRecord.refunds) for (const l of r.lineItems) if (l.lineItemId === this.record.id) refunded += l.quantity;
    return Math.max(0, this.record.quantity - refunded);
  }
  get refundableQuantity() {
    return this.currentQuantity;
  }
  get sku() {
    return this.record.sku || null;
  }
  get vendor() {
    return this.record.vendor || null;
  }
  get variantTitle() {
    return null;
  }
  get product() {
    const r = this.record;
    if (r.productId === null) return null;
    return {
      __typename: "Product",
      id: gid("Product", r.productId),
      legacyResourceId: String(r.productId),
      title: r.title,
      productType: r.productType,
      vendor: r.vendor,
    };
  }
  get variant() {
    const r = this.record;
    if (r.variantId === null) return null;
    return {
      __typename: "ProductVariant",
      id: gid("ProductVariant", r.variantId),
      legacyResourceId: String(r.variantId),
      title: "Default Title",
      sku: r.sku || null,
      price: r.price,
      product: this.product,
    };
  }
  get originalUnitPriceSet() {
    return this.set(this.record.price);
  }
  get discountedUnitPriceSet() {
    return this.set(this.record.price);
  }
  get discountedUnitPriceAfterAllDiscountsSet() {
    return this.set(this.record.price);
  }
  get originalTotalSet() {
    return this.set(fromCents(toCents(this.record.price) * this.record.quantity));
  }
  get discountedTotalSet() {
    return this.originalTotalSet;
  }
  get totalDiscountSet() {
    return this.set("0.00");
  }
}

export class RefundView {
  readonly __typename = "Refund";
  constructor(
    readonly shopRef: TwinShop,
    readonly orderRecord: OrderRecord,
    readonly record: RefundRecord,
  ) {}
  get id() {
    return gid("Refund", this.record.id);
  }
  get legacyResourceId() {
    return String(this.record.id);
  }
  get createdAt() {
    return iso(this.record.createdAt);
  }
  get processedAt() {
    return iso(this.record.createdAt);
  }
  get updatedAt() {
    return iso(this.record.createdAt);
  }
  get note() {
    return this.record.note;
  }
  get totalRefundedSet() {
    return money(this.record.amount, this.orderRecord.currency);
  }
  get order() {
    return new OrderView(this.shopRef, this.orderRecord);
  }
  refundLineItems(args: ConnectionArgs, ctx: ExecContext) {
    const items = this.record.lineItems.map((l, i) => ({ ...l, id: this.record.id * 1000n + BigInt(i) }));
    return paginate(items, args, (l) => l.id, (l) => {
      const li = this.orderRecord.lineItems.find((x) => x.id === l.lineItemId);
      return {
        __typename: "RefundLineItem",
        id: gid("RefundLineItem", l.id),
        quantity: l.quantity,
        restockType: "NO_RESTOCK",
        restocked: false,
        lineItem: li ? new LineItemView(this.orderRecord, li) : null,
        subtotalSet: money(l.subtotal, this.orderRecord.currency),
        priceSet: li ? money(li.price, this.orderRecord.currency) : money("0.00", this.orderRecord.currency),
        totalTaxSet: money("0.00", this.orderRecord.currency),
      };
    }, ctx);
  }
}

export class ShopView extends HasMetafieldsView {
  readonly __typename = "Shop";
  constructor(readonly shop: TwinShop) {
    super(shop);
  }
  metafieldMap() {
    return this.shop.shopMetafields;
  }
  get id() {
    return gid("Shop", this.shop.info.id);
  }
  get name() {
    return this.shop.info.name;
  }
  get email() {
    return this.shop.info.email;
  }
  get contactEmail() {
    return this.shop.info.email;
  }
  get currencyCode() {
    return this.shop.info.currency;
  }
  get ianaTimezone() {
    return this.shop.info.timezone;
  }
  get timezoneAbbreviation() {
    return this.shop.info.timezone === "UTC" ? "UTC" : this.shop.info.timezone;
  }
  get myshopifyDomain() {
    return this.shop.domain;
  }
  get url() {
    return `https://${this.shop.domain}`;
  }
  get primaryDomain() {
    return { __typename: "Domain", id: gid("Domain", this.shop.info.id), host: this.shop.domain, url: `https://${this.shop.domain}`, sslEnabled: true };
  }
  get plan() {
    return {
      __typename: "ShopPlan",
      displayName: this.shop.info.planDisplayName,
      publicDisplayName: this.shop.info.planDisplayName,
      partnerDevelopment: this.shop.info.planDisplayName === "Development",
      shopifyPlus: this.shop.info.planDisplayName === "Shopify Plus",
    };
  }
  get enabledPresentmentCurrencies() {
    return [this.shop.info.currency];
  }
}

// ---- root -----------------------------------------------------------------------------------

function nodeFor(shop: TwinShop, id: string, ctx: ExecContext): unknown {
  const parsed = parseGid(id);
  if (!parsed) return null;
  switch (parsed.type) {
    case "Customer": {
      const c = shop.customer(parsed.id);
      return c ? new CustomerView(shop, c) : null;
    }
    case "Order": {
      const o = shop.order(parsed.id);
      return o ? new OrderView(shop, o) : null;
    }
    case "Shop":
      return parsed.id === shop.info.id ? new ShopView(shop) : null;
    case "BulkOperation": {
      const op = ctx.bulk.get(parsed.id);
      return op ? bulkOperationView(op) : null;
    }
    default:
      return null;
  }
}

export function bulkOperationView(op: BulkOperationRecord) {
  return {
    __typename: "BulkOperation",
    id: gid("BulkOperation", op.id),
    status: op.status,
    type: op.type,
    errorCode: op.errorCode,
    createdAt: iso(op.createdAt),
    completedAt: op.completedAt === null ? null : iso(op.completedAt),
    objectCount: String(op.objectCount),
    rootObjectCount: String(op.rootObjectCount),
    fileSize: op.fileSize === null ? null : String(op.fileSize),
    url: op.url,
    partialDataUrl: op.partialDataUrl,
    query: op.query,
  };
}

type UserError = { field: string[] | null; message: string; code?: string; elementIndex?: number; __typename?: string };

function customerFromGid(shop: TwinShop, id: string) {
  const parsed = parseGid(id);
  if (!parsed || parsed.type !== "Customer") return null;
  return shop.customer(parsed.id) ?? null;
}

const METAFIELD_LIMIT = 25;

export const rootValue = {
  // queries
  shop: (_a: unknown, ctx: ExecContext) => new ShopView(ctx.shop),
  customers: (args: ConnectionArgs & { query?: string; sortKey?: string }, ctx: ExecContext) => customersConnection(ctx, args, true),
  orders: (args: ConnectionArgs & { query?: string; sortKey?: string }, ctx: ExecContext) => ordersConnection(ctx, null, args, true),
  customer: (args: { id: string }, ctx: ExecContext) => {
    const c = customerFromGid(ctx.shop, args.id);
    return c ? new CustomerView(ctx.shop, c) : null;
  },
  order: (args: { id: string }, ctx: ExecContext) => {
    const parsed = parseGid(args.id);
    const o = parsed?.type === "Order" ? ctx.shop.order(parsed.id) : undefined;
    return o ? new OrderView(ctx.shop, o) : null;
  },
  node: (args: { id: string }, ctx: ExecContext) => nodeFor(ctx.shop, args.id, ctx),
  nodes: (args: { ids: string[] }, ctx: ExecContext) => args.ids.map((id) => nodeFor(ctx.shop, id, ctx)),
  webPixel: (args: { id?: string }, ctx: ExecContext) => {
    const pixel = ctx.shop.webPixel;
    // Shopify answers an app without a pixel with an error on the field.
    if (!pixel || (args.id && args.id !== gid("WebPixel", pixel.id))) throw new Error("No web pixel was found for this app.");
    return { id: gid("WebPixel", pixel.id), settings: pixel.settings };
  },
  bulkOperation: (args: { id: string }, ctx: ExecContext) => {
    const parsed = parseGid(args.id);
    const op = parsed?.type === "BulkOperation" ? ctx.bulk.get(parsed.id) : undefined;
    return op ? bulkOperationView(op) : null;
  },
  currentBulkOperation: (args: { type?: string }, ctx: ExecContext) => {
    const op = ctx.bulk.current((args.type as "QUERY" | "MUTATION") ?? "QUERY");
    return op ? bulkOperationView(op) : null;
  },
  bulkOperations: (args: ConnectionArgs & { query?: string }, ctx: ExecContext) => {
    const list = ctx.bulk.list();
    return paginate(list, args, (op) => op.id, bulkOperationView, ctx);
  },
  // Shopify caps counts at `limit` (default 10,000) with precision AT_LEAST; `limit: null` is exact.
  customersCount: (args: { query?: string; limit?: number | null }, ctx: ExecContext) => {
    const filter = customerFilter(args.query);
    return countOf(filter ? ctx.shop.customers.filter(filter).length : ctx.shop.customers.length, args.limit);
  },
  ordersCount: (args: { query?: string; limit?: number | null }, ctx: ExecContext) => {
    const filter = orderFilter(args.query);
    return countOf(filter ? ctx.shop.orders.filter(filter).length : ctx.shop.orders.length, args.limit);
  },
  metafieldDefinitions: (args: ConnectionArgs & { ownerType: string; namespace?: string; key?: string }, ctx: ExecContext) => {
    const shop = ctx.shop;
    const list = shop.metafieldDefinitions.filter(
      (d) => d.ownerType === args.ownerType && (!args.namespace || d.namespace === shop.resolveNamespace(args.namespace)) && (!args.key || d.key === args.key),
    );
    return paginate(list, args, (d) => d.id, definitionView, ctx);
  },

  // mutations
  tagsAdd: (args: { id: string; tags: string[] }, ctx: ExecContext) => tagsMutation(ctx, args, "add"),
  tagsRemove: (args: { id: string; tags: string[] }, ctx: ExecContext) => tagsMutation(ctx, args, "remove"),
  customerUpdate: (args: { input: { id?: string; tags?: string[]; firstName?: string; lastName?: string; email?: string } }, ctx: ExecContext) => {
    const shop = ctx.shop;
    const c = args.input.id ? customerFromGid(shop, args.input.id) : null;
    if (!c) return { customer: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] };
    const { tags, firstName, lastName, email } = args.input;
    if (firstName !== undefined || lastName !== undefined || email !== undefined) shop.updateCustomer(c.id, { firstName, lastName, email });
    if (tags !== undefined) shop.setTags(c.id, tags);
    return { customer: new CustomerView(shop, c), userErrors: [] };
  },
  customerCreate: (args: { input: { tags?: string[]; firstName?: string; lastName?: string; email?: string } }, ctx: ExecContext) => {
    const c = ctx.shop.createCustomer({ tags: args.input.tags, firstName: args.input.firstName, lastName: args.input.lastName, email: args.input.email });
    return { customer: new CustomerView(ctx.shop, c), userErrors: [] };
  },
  customerDelete: (args: { input: { id: string } }, ctx: ExecContext) => {
    const c = customerFromGid(ctx.shop, args.input.id);
    if (!c) return { deletedCustomerId: null, shop: new ShopView(ctx.shop), userErrors: [{ field: ["id"], message: "Customer can't be found" }] };
    ctx.shop.deleteCustomer(c.id);
    return { deletedCustomerId: gid("Customer", c.id), shop: new ShopView(ctx.shop), userErrors: [] };
  },
  metafieldsSet: (args: { metafields: { ownerId: string; namespace?: string; key: string; type?: string; value: string; compareDigest?: string | null }[] }, ctx: ExecContext) =>
    metafieldsSet(ctx, args.metafields),
  metafieldDefinitionCreate: (args: { definition: { name: string; namespace?: string; key: string; type: string; ownerType: string; access?: unknown } }, ctx: ExecContext) => {
    const shop = ctx.shop;
    const d = args.definition;
    const namespace = shop.resolveNamespace(d.namespace);
    if (shop.metafieldDefinitions.some((x) => x.ownerType === d.ownerType && x.namespace === namespace && x.key === d.key)) {
      return {
        createdDefinition: null,
        userErrors: [{ field: ["definition", "key"], message: `Key is in use for ${d.ownerType.toLowerCase()} metafields on the '${namespace}' namespace.`, code: "TAKEN" }],
      };
    }
    const def = { id: shop.newId(), name: d.name, namespace, key: d.key, type: d.type, ownerType: d.ownerType, access: d.access ?? null };
    shop.metafieldDefinitions.push(def);
    return { createdDefinition: definitionView(def), userErrors: [] };
  },
  flowTriggerReceive: (args: { handle?: string; payload?: unknown; body?: string }, ctx: ExecContext) => {
    const payload = args.payload ?? (args.body ? JSON.parse(args.body) : null);
    const size = Buffer.byteLength(JSON.stringify(payload ?? null));
    if (size > 1_000_000) return { userErrors: [{ field: ["payload"], message: "Payload exceeds the 1 MB limit." }] };
    if (args.handle && args.handle.length > 30) return { userErrors: [{ field: ["handle"], message: "Handle is too long (maximum is 30 characters)" }] };
    ctx.shop.flowTriggers.push({ handle: args.handle ?? null, payload, receivedAt: new Date().toISOString() });
    return { userErrors: [] };
  },
  discountCodeBasicCreate: (args: { basicCodeDiscount: { title: string; code: string } & Record<string, unknown> }, ctx: ExecContext) => {
    const shop = ctx.shop;
    const input = args.basicCodeDiscount;
    if (shop.discounts.some((d) => d.codes.includes(input.code))) {
      return { codeDiscountNode: null, userErrors: [{ field: ["basicCodeDiscount", "code"], message: "Code must be unique. Please try a different code.", code: "TAKEN" }] };
    }
    const d = { id: shop.newId(), title: input.title, codes: [input.code], input };
    shop.discounts.push(d);
    return {
      codeDiscountNode: {
        __typename: "DiscountCodeNode",
        id: gid("DiscountCodeNode", d.id),
        codeDiscount: {
          __typename: "DiscountCodeBasic",
          title: d.title,
          status: "ACTIVE",
          startsAt: (input.startsAt as string) ?? new Date().toISOString(),
          endsAt: (input.endsAt as string) ?? null,
          codes: { nodes: [{ code: input.code, id: gid("DiscountRedeemCode", d.id) }], edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } },
        },
      },
      userErrors: [],
    };
  },
  webPixelCreate: (args: { webPixel: { settings: unknown } }, ctx: ExecContext) => {
    const shop = ctx.shop;
    if (shop.webPixel) return { webPixel: null, userErrors: [{ field: ["webPixel"], message: "Web pixel is taken.", code: "TAKEN" }] };
    const settings = webPixelSettings(args.webPixel.settings);
    if (settings === null) return { webPixel: null, userErrors: [{ field: ["webPixel", "settings"], message: "Settings are invalid.", code: "INVALID_SETTINGS" }] };
    shop.webPixel = { id: shop.newId(), settings };
    return { webPixel: { id: gid("WebPixel", shop.webPixel.id), settings }, userErrors: [] };
  },
  webPixelUpdate: (args: { id: string; webPixel: { settings: unknown } }, ctx: ExecContext) => {
    const shop = ctx.shop;
    if (!shop.webPixel || args.id !== gid("WebPixel", shop.webPixel.id)) {
      return { webPixel: null, userErrors: [{ field: ["id"], message: "Web pixel not found.", code: "NOT_FOUND" }] };
    }
    const settings = webPixelSettings(args.webPixel.settings);
    if (settings === null) return { webPixel: null, userErrors: [{ field: ["webPixel", "settings"], message: "Settings are invalid.", code: "INVALID_SETTINGS" }] };
    shop.webPixel.settings = settings;
    return { webPixel: { id: gid("WebPixel", shop.webPixel.id), settings }, userErrors: [] };
  },
  segmentCreate: (args: { name: string; query: string }, ctx: ExecContext) => {
    const shop = ctx.shop;
    if (shop.segments.some((s) => s.name === args.name)) {
      return { segment: null, userErrors: [{ field: ["name"], message: "Name has already been taken" }] };
    }
    const s = { id: shop.newId(), name: args.name, query: args.query, createdAt: Date.now() };
    shop.segments.push(s);
    return {
      segment: { __typename: "Segment", id: gid("Segment", s.id), name: s.name, query: s.query, creationDate: iso(s.createdAt), lastEditDate: iso(s.createdAt) },
      userErrors: [],
    };
  },
  stagedUploadsCreate: (args: { input: { resource: string; filename: string; mimeType: string; httpMethod?: string }[] }, ctx: ExecContext) => {
    const targets = args.input.map((input) => {
      const key = `tmp/${ctx.shop.info.id}/bulk/${randomUUID()}/${input.filename}`;
      const url = ctx.stagedUploadUrl("");
      return {
        __typename: "StagedMediaUploadTarget",
        url,
        resourceUrl: `${url}${key}`,
        parameters: [
          { name: "key", value: key },
          { name: "Content-Type", value: input.mimeType },
          { name: "success_action_status", value: "201" },
          { name: "acl", value: "private" },
          { name: "policy", value: Buffer.from(JSON.stringify({ key })).toString("base64") },
          { name: "x-goog-credential", value: "twin" },
          { name: "x-goog-algorithm", value: "GOOG4-HMAC-SHA256" },
          { name: "x-goog-date", value: new Date().toISOString().replace(/[-:]|\.\d{3}/g, "") },
          { name: "x-goog-signature", value: "twin" },
        ],
      };
    });
    return { stagedTargets: targets, userErrors: [] };
  },
  bulkOperationRunQuery: (args: { query: string; groupObjects?: boolean }, ctx: ExecContext) => {
    const result = ctx.bulk.runQuery(args.query, { groupObjects: args.groupObjects });
    return { bulkOperation: result.op ? bulkOperationView(result.op) : null, userErrors: result.userErrors };
  },
  bulkOperationRunMutation: (args: { mutation: string; stagedUploadPath: string; clientIdentifier?: string }, ctx: ExecContext) => {
    const result = ctx.bulk.runMutation(args.mutation, args.stagedUploadPath);
    return { bulkOperation: result.op ? bulkOperationView(result.op) : null, userErrors: result.userErrors };
  },
  bulkOperationCancel: (args: { id: string }, ctx: ExecContext) => {
    const parsed = parseGid(args.id);
    const op = parsed?.type === "BulkOperation" ? ctx.bulk.get(parsed.id) : undefined;
    if (!op) return { bulkOperation: null, userErrors: [{ field: ["id"], message: "Bulk operation does not exist" }] };
    const error = ctx.bulk.cancel(op);
    return { bulkOperation: bulkOperationView(op), userErrors: error ? [{ field: null, message: error }] : [] };
  },
};

function countOf(count: number, limit: number | null | undefined) {
  if (limit != null && count > limit) return { __typename: "Count", count: limit, precision: "AT_LEAST" };
  return { __typename: "Count", count, precision: "EXACT" };
}

function definitionView(d: TwinShop["metafieldDefinitions"][number]) {
  return {
    __typename: "MetafieldDefinition",
    id: gid("MetafieldDefinition", d.id),
    name: d.name,
    namespace: d.namespace,
    key: d.key,
    ownerType: d.ownerType,
    type: { __typename: "MetafieldDefinitionType", name: d.type, category: d.type.startsWith("json") ? "JSON" : "TEXT" },
  };
}

/** A web pixel's settings: a JSON object of strings (as a JSON string or an object); null when not. */
function webPixelSettings(value: unknown): string | null {
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  if (!Object.values(parsed).every((v) => typeof v === "string" && v.length > 0)) return null;
  return JSON.stringify(parsed);
}

function tagsMutation(ctx: ExecContext, args: { id: string; tags: string[] }, kind: "add" | "remove") {
  const shop = ctx.shop;
  const parsed = parseGid(args.id);
  const tags = normalizeTags(args.tags);
  if (!parsed) return { node: null, userErrors: [{ field: ["id"], message: "Invalid global id" }] };
  if (parsed.type === "Customer") {
    const c = shop.customer(parsed.id);
    if (!c) return { node: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] };
    if (kind === "add") {
      const over = c.tags.length + tags.filter((t) => !c.tags.some((x) => x.toLowerCase() === t.toLowerCase())).length;
      if (over > 250) return { node: null, userErrors: [{ field: ["tags"], message: "Tags cannot exceed 250 per customer" }] };
      const long = tags.find((t) => t.length > 255);
      if (long) return { node: null, userErrors: [{ field: ["tags"], message: `Tag ${long.slice(0, 20)}… is too long (maximum is 255 characters)` }] };
      shop.addTags(c.id, tags);
    } else shop.removeTags(c.id, tags);
    return { node: new CustomerView(shop, c), userErrors: [] };
  }
  if (parsed.type === "Order") {
    const o = shop.order(parsed.id);
    if (!o) return { node: null, userErrors: [{ field: ["id"], message: "Order does not exist" }] };
    const lower = new Set(tags.map((t) => t.toLowerCase()));
    o.tags = kind === "add" ? normalizeTags([...o.tags, ...tags]) : o.tags.filter((t) => !lower.has(t.toLowerCase()));
    o.updatedAt = Date.now();
    shop.touch();
    return { node: new OrderView(shop, o), userErrors: [] };
  }
  return { node: null, userErrors: [{ field: ["id"], message: `Tags are not supported on ${parsed.type}` }] };
}

function metafieldsSet(
  ctx: ExecContext,
  inputs: { ownerId: string; namespace?: string; key: string; type?: string; value: string; compareDigest?: string | null }[],
) {
  const shop = ctx.shop;
  const errors: UserError[] = [];
  if (inputs.length > METAFIELD_LIMIT) {
    return {
      metafields: null,
      userErrors: [{ field: ["metafields"], message: `Exceeds the maximum input size of ${METAFIELD_LIMIT} metafields.`, code: "LESS_THAN_OR_EQUAL_TO", elementIndex: null }],
    };
  }
  const planned: { ownerType: MetafieldOwner; ownerId: bigint; namespace: string; key: string; type: string; value: string }[] = [];
  inputs.forEach((m, i) => {
    const parsed = parseGid(m.ownerId);
    const ownerType: MetafieldOwner | null =
      parsed?.type === "Customer" ? "CUSTOMER" : parsed?.type === "Order" ? "ORDER" : parsed?.type === "Shop" ? "SHOP" : null;
    const exists =
      ownerType === "CUSTOMER" ? !!shop.customer(parsed!.id) : ownerType === "ORDER" ? !!shop.order(parsed!.id) : ownerType === "SHOP" && parsed!.id === shop.info.id;
    if (!ownerType || !exists) {
      errors.push({ field: ["metafields", String(i), "ownerId"], message: "Owner does not exist.", code: "INVALID", elementIndex: i });
      return;
    }
    const namespace = shop.resolveNamespace(m.namespace);
    const existing = shop.metafieldsOf(ownerType, parsed!.id).get(`${namespace}.${m.key}`);
    const definition = shop.metafieldDefinitions.find((d) => d.ownerType === ownerType && d.namespace === namespace && d.key === m.key);
    const type = m.type ?? existing?.type ?? definition?.type;
    if (!type) {
      errors.push({ field: ["metafields", String(i), "type"], message: "Type can't be blank.", code: "BLANK", elementIndex: i });
      return;
    }
    if (m.key.length < 2 || m.key.length > 64) {
      errors.push({ field: ["metafields", String(i), "key"], message: "Key must be between 2 and 64 characters.", code: "INVALID", elementIndex: i });
      return;
    }
    if (type.startsWith("json") || type.startsWith("list.")) {
      try {
        JSON.parse(m.value);
      } catch {
        errors.push({ field: ["metafields", String(i), "value"], message: "Value is invalid JSON.", code: "INVALID_VALUE", elementIndex: i });
        return;
      }
      if (Buffer.byteLength(m.value) > 128 * 1024) {
        errors.push({ field: ["metafields", String(i), "value"], message: "Value is too long (maximum is 128 KB).", code: "TOO_LONG", elementIndex: i });
        return;
      }
    }
    if (m.compareDigest !== undefined) {
      const current = existing ? existing.compareDigest : null;
      if (m.compareDigest !== current) {
        errors.push({
          field: ["metafields", String(i)],
          message: "The resource has been updated since it was loaded. Try again with an updated `compareDigest` value.",
          code: "STALE_OBJECT",
          elementIndex: i,
        });
        return;
      }
    }
    planned.push({ ownerType, ownerId: parsed!.id, namespace, key: m.key, type, value: m.value });
  });
  if (errors.length) return { metafields: [], userErrors: errors };
  const written = planned.map((p) => shop.writeMetafield(p.ownerType, p.ownerId, p.namespace, p.key, p.type, p.value));
  shop.touch();
  return { metafields: written.map((m) => metafieldView(shop, m)), userErrors: [] };
}
