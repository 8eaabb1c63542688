// Generated store histories: deterministic from a seed, streamed, realistic enough to put customers
// in every segment of SEGMENTS.md. See datasets/README.md for the model.
//
// Streaming: every customer's profile and every order's contents come from hashes of
// (seed, customer index, order index), so nothing has to be remembered between records except, in
// orders(), the next order time of every customer (a binary heap merging the customers' order time
// sequences into one stream in exact processedAt order). That state is 24 bytes per customer in typed
// arrays (~24 MB at 1 M customers) and independent of the number of orders.
import { CATALOGUE, PRODUCTS_BY_TYPE, PRODUCTS_BY_VENDOR, PRODUCT_TYPES, VENDORS, type CatalogueProduct } from "./catalogue.ts";
import { Random, formatCents, hash32 } from "./random.ts";
import type { SeedCustomer, SeedLineItem, SeedOrder, SeedRefund, SeedStore } from "./types.ts";

export interface GenerateStoreOptions {
  domain?: string;
  customers: number;
  /** Mean orders per customer (default 3). */
  ordersPerCustomer?: number;
  seed?: number;
  /** End of the history (default: the current time). Everything happens before it. */
  now?: Date;
  currency?: string;
  timezone?: string;
  /** Length of the history in days (default 730). */
  historyDays?: number;
}

export const CUSTOMER_ID_BASE = 7_000_000_000_000n;
export const ORDER_ID_BASE = 7_100_000_000_000n;
export const LINE_ITEM_ID_BASE = 7_200_000_000_000n;
export const REFUND_ID_BASE = 7_300_000_000_000n;
/** Tag that opts a customer out of segmentation (SEGMENTS.md default); ~0.5 % of customers carry it. */
export const OPT_OUT_TAG = "seg:opt-out";

const DAY = 86_400_000;

export type Archetype =
  | "none" | "one-time" | "occasional" | "frequent" | "lapsed" | "discount-only" | "loyal" | "refunder";
const ARCHETYPES: readonly Archetype[] = ["none", "one-time", "occasional", "frequent", "lapsed", "discount-only", "loyal", "refunder"];
const ARCHETYPE_WEIGHTS = [0.04, 0.34, 0.28, 0.08, 0.08, 0.07, 0.09, 0.02];
/** Relative number of repeat orders per archetype (scaled so the store's mean matches the option). */
const REPEAT_WEIGHT: Record<Archetype, number> = {
  none: 0, "one-time": 0, occasional: 1, frequent: 5, lapsed: 1.2, "discount-only": 1, loyal: 1.5, refunder: 1.2,
};
const STATES = ["enabled", "disabled", "invited", "declined"] as const;
const STATE_WEIGHTS = [0.55, 0.4, 0.04, 0.01];
const DISCOUNTS = [
  { code: "WELCOME10", pct: 10 },
  { code: "SAVE15", pct: 15 },
  { code: "SPRING20", pct: 20 },
  { code: "VIP25", pct: 25 },
] as const;
const CANCEL_REASONS = ["customer", "inventory", "fraud", "declined", "other"] as const;
const FIRST_NAMES = ["Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Marco", "Nia", "Omar", "Pia"];
const LAST_NAMES = ["Silva", "Smith", "Tanaka", "Okafor", "Novak", "Garcia", "Müller", "Rossi", "Kim", "Haddad", "Jensen", "Costa"];
const LINE_COUNT_WEIGHTS = [0.45, 0.3, 0.15, 0.1];

export interface CustomerProfile {
  index: number;
  archetype: Archetype;
  createdAt: number;
  orderCount: number;
  /** Time of the first order and the window the later ones fall in (ms). */
  firstOrderAt: number;
  windowEnd: number;
  spendScale: number;
  quantityFactor: number;
  loyalTo: { kind: "type"; index: number } | { kind: "vendor"; index: number } | null;
  discountRate: number;
  refundRate: number;
}

interface Model {
  seed: number;
  customers: number;
  now: number;
  start: number;
  repeatScale: number;
  guestMeanGap: number;
}

function buildModel(options: GenerateStoreOptions): Model {
  const mean = options.ordersPerCustomer ?? 3;
  const historyDays = options.historyDays ?? 730;
  const now = (options.now ?? new Date()).getTime();
  // mean = sum over archetypes of weight x expected orders; solve for the repeat scale.
  let fixed = 0;
  let variable = 0;
  ARCHETYPES.forEach((a, i) => {
    if (a === "one-time") fixed += ARCHETYPE_WEIGHTS[i];
    else if (a !== "none") {
      fixed += 2 * ARCHETYPE_WEIGHTS[i];
      variable += ARCHETYPE_WEIGHTS[i] * REPEAT_WEIGHT[a];
    }
  });
  const repeatScale = Math.max(0, (mean - fixed) / variable);
  // Guest checkouts (no customer) are ~3 % of all orders.
  const customerOrders = options.customers * Math.max(mean, fixed);
  const guests = (customerOrders * 0.03) / 0.97;
  const span = historyDays * DAY;
  return {
    seed: options.seed ?? 1,
    customers: options.customers,
    now,
    start: now - span,
    repeatScale,
    guestMeanGap: guests >= 1 ? span / guests : Infinity,
  };
}

export function customerProfile(model: Model, index: number): CustomerProfile {
  const r = new Random(hash32(model.seed, index, 1));
  const { now, start } = model;
  const archetype = ARCHETYPES[r.weighted(ARCHETYPE_WEIGHTS)];
  const span = now - start;
  let createdAt: number;
  switch (archetype) {
    case "frequent":
      createdAt = now - Math.min(span, DAY * (30 + r.next() * 335));
      break;
    case "lapsed":
      createdAt = span > 400 * DAY ? start + r.next() * (span - 240 * DAY) : start + r.next() * span * 0.3;
      break;
    case "none":
    case "one-time":
      createdAt = start + r.next() * span;
      break;
    default:
      createdAt = start + r.next() * Math.max(0, span - 14 * DAY);
  }
  createdAt = Math.floor(createdAt);
  const orderCount =
    archetype === "none" ? 0 : archetype === "one-time" ? 1 : 2 + Math.min(400, r.geometric(model.repeatScale * REPEAT_WEIGHT[archetype]));
  // Most accounts are created at the first checkout; some sign up earlier.
  const signupFirst = r.next() < 0.3;
  let firstOrderAt = createdAt + (signupFirst ? Math.floor(r.exp(20 * DAY)) : 1000 + Math.floor(r.next() * 120_000));
  const latest = now - 60_000;
  firstOrderAt = Math.min(firstOrderAt, latest);
  let windowEnd = archetype === "frequent" ? now - r.next() * 5 * DAY : latest;
  if (archetype === "lapsed") {
    const stop = now - 181 * DAY;
    windowEnd = stop > firstOrderAt ? stop - r.next() * 0.5 * (stop - firstOrderAt) : firstOrderAt + (latest - firstOrderAt) * 0.2;
  }
  windowEnd = Math.max(firstOrderAt, Math.min(windowEnd, latest));
  const whale = r.next() < 0.02;
  const spendScale = Math.exp(0.45 * r.normal());
  const quantityFactor = whale ? 3 + r.int(0, 9) : 1;
  const loyalTo =
    archetype === "loyal"
      ? r.next() < 0.6
        ? { kind: "type" as const, index: r.int(0, PRODUCT_TYPES.length - 1) }
        : { kind: "vendor" as const, index: r.int(0, VENDORS.length - 1) }
      : null;
  return {
    index,
    archetype,
    createdAt,
    orderCount,
    firstOrderAt,
    windowEnd,
    spendScale,
    quantityFactor,
    loyalTo,
    discountRate: archetype === "discount-only" ? 1 : 0.1,
    refundRate: archetype === "refunder" ? 0.45 : 0.075,
  };
}

/**
 * Time of order `k` (0-based) given the previous one's position `uPrev` in the window: the later
 * orders are the sorted order statistics of uniform draws, produced one at a time.
 */
function nextOrderPosition(model: Model, profile: CustomerProfile, k: number, uPrev: number): number {
  const remaining = profile.orderCount - k; // uniforms not yet placed, this one included
  const v = new Random(hash32(model.seed, profile.index, 2, k)).next();
  return uPrev + (1 - uPrev) * (1 - Math.pow(1 - v, 1 / remaining));
}

function timeAt(profile: CustomerProfile, u: number): number {
  return profile.firstOrderAt + Math.floor(u * (profile.windowEnd - profile.firstOrderAt));
}

/** The processedAt times of a customer's orders, in order. */
export function customerOrderTimes(model: Model, profile: CustomerProfile): number[] {
  const times: number[] = [];
  let u = 0;
  for (let k = 0; k < profile.orderCount; k++) {
    if (k > 0) u = nextOrderPosition(model, profile, k, u);
    times.push(k === 0 ? profile.firstOrderAt : timeAt(profile, u));
  }
  return times;
}

function buildCustomer(model: Model, index: number): SeedCustomer {
  const profile = customerProfile(model, index);
  const r = new Random(hash32(model.seed, index, 4));
  const times = customerOrderTimes(model, profile);
  const last = times.length ? times[times.length - 1] : profile.createdAt;
  const tags: string[] = [];
  if (r.next() < 0.08) tags.push("newsletter");
  if (r.next() < 0.03) tags.push("wholesale");
  if (r.next() < 0.005) tags.push(OPT_OUT_TAG);
  const firstName = r.pick(FIRST_NAMES);
  const lastName = r.pick(LAST_NAMES);
  return {
    id: CUSTOMER_ID_BASE + BigInt(index + 1),
    createdAt: new Date(profile.createdAt),
    updatedAt: new Date(Math.max(profile.createdAt, Math.min(last + 1000, model.now - 1))),
    state: STATES[r.weighted(STATE_WEIGHTS)],
    tags,
    firstName,
    lastName,
    email: `${firstName}.${lastName}.${index + 1}@example.com`.toLowerCase(),
  };
}

interface Counters {
  order: bigint;
  lineItem: bigint;
  refund: bigint;
}

function pickProduct(r: Random, profile: CustomerProfile | null): CatalogueProduct {
  const loyal = profile?.loyalTo;
  if (loyal && r.next() < 0.85) {
    const pool = loyal.kind === "type" ? PRODUCTS_BY_TYPE[loyal.index] : PRODUCTS_BY_VENDOR[loyal.index];
    return r.pick(pool);
  }
  // A few best sellers, a long tail.
  return CATALOGUE[Math.floor(CATALOGUE.length * Math.pow(r.next(), 1.8))];
}

function buildOrder(
  model: Model,
  profile: CustomerProfile | null,
  k: number,
  processedAt: number,
  counters: Counters,
  currency: string,
): SeedOrder {
  const r = new Random(profile ? hash32(model.seed, profile.index, 3, k) : hash32(model.seed, 0x6e57, k, 3));
  const id = ++counters.order;
  const lineCount = 1 + r.weighted(LINE_COUNT_WEIGHTS);
  const lineItems: SeedLineItem[] = [];
  const lineCents: number[] = [];
  let subtotal = 0;
  const spendScale = profile?.spendScale ?? 1;
  for (let i = 0; i < lineCount; i++) {
    const product = pickProduct(r, profile);
    const quantity = (1 + r.geometric(0.4)) * (profile?.quantityFactor ?? 1) * (spendScale > 1.8 ? 2 : 1);
    subtotal += quantity * product.priceCents;
    lineCents.push(product.priceCents);
    lineItems.push({
      id: LINE_ITEM_ID_BASE + ++counters.lineItem,
      productId: product.productId,
      variantId: product.variantId,
      title: product.title,
      productType: product.productType,
      vendor: product.vendor,
      sku: product.sku,
      quantity,
      price: formatCents(product.priceCents),
    });
  }
  const discounted = r.next() < (profile?.discountRate ?? 0.1);
  const discount = discounted ? r.pick(DISCOUNTS) : null;
  const discountCents = discount ? Math.round((subtotal * discount.pct) / 100) : 0;
  const total = subtotal - discountCents;
  const test = r.next() < 0.005;
  const cancelled = !test && r.next() < 0.02;
  const refunds: SeedRefund[] = [];
  let updatedAt = processedAt;
  let cancelledAt: number | null = null;
  let financialStatus = "paid";
  if (cancelled) {
    cancelledAt = Math.min(processedAt + Math.floor(r.next() * 2 * DAY), model.now - 1);
    cancelledAt = Math.max(cancelledAt, processedAt);
    updatedAt = cancelledAt;
    financialStatus = "voided";
  } else if (!test && r.next() < (profile?.refundRate ?? 0.065)) {
    const full = r.next() < 0.35;
    const refundLines: SeedRefund["lineItems"] = [];
    let amount = 0;
    const ratio = total / subtotal;
    if (full) {
      lineItems.forEach((line, i) => {
        const cents = i === lineItems.length - 1 ? total - amount : Math.round(line.quantity * lineCents[i] * ratio);
        amount += cents;
        refundLines.push({ lineItemId: line.id, quantity: line.quantity, subtotal: formatCents(cents) });
      });
    } else {
      const i = r.int(0, lineItems.length - 1);
      const quantity = r.int(1, lineItems[i].quantity);
      amount = Math.round(quantity * lineCents[i] * ratio);
      refundLines.push({ lineItemId: lineItems[i].id, quantity, subtotal: formatCents(amount) });
    }
    const room = model.now - 1 - processedAt;
    const after = Math.min(Math.floor(3_600_000 + r.exp(7 * DAY)), Math.floor(room * r.next()));
    const createdAt = processedAt + Math.max(0, after);
    refunds.push({ id: REFUND_ID_BASE + ++counters.refund, createdAt: new Date(createdAt), amount: formatCents(amount), lineItems: refundLines });
    updatedAt = createdAt;
    financialStatus = amount >= total ? "refunded" : "partially_refunded";
  }
  return {
    id: ORDER_ID_BASE + id,
    customerId: profile ? CUSTOMER_ID_BASE + BigInt(profile.index + 1) : null,
    name: `#${1000n + id}`,
    createdAt: new Date(processedAt),
    processedAt: new Date(processedAt),
    updatedAt: new Date(updatedAt),
    cancelledAt: cancelledAt === null ? null : new Date(cancelledAt),
    cancelReason: cancelled ? r.pick(CANCEL_REASONS) : null,
    currency,
    subtotalPrice: formatCents(subtotal),
    totalDiscounts: formatCents(discountCents),
    totalPrice: formatCents(total),
    discountCodes: discount ? [discount.code] : [],
    financialStatus,
    test,
    lineItems,
    refunds,
  };
}

/** Binary min-heap of customer indices keyed by (time, index), over preallocated typed arrays. */
class TimeHeap {
  private readonly heap: Int32Array;
  private size = 0;
  constructor(capacity: number, private readonly key: Float64Array) {
    this.heap = new Int32Array(capacity);
  }
  get length() {
    return this.size;
  }
  private less(a: number, b: number) {
    const ka = this.key[a];
    const kb = this.key[b];
    return ka < kb || (ka === kb && a < b);
  }
  /** Adds without ordering; call heapify() once after the last add. */
  add(index: number) {
    this.heap[this.size++] = index;
  }
  heapify() {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i);
  }
  peek(): number {
    return this.heap[0];
  }
  pop() {
    this.heap[0] = this.heap[--this.size];
    if (this.size > 0) this.down(0);
  }
  /** Re-sorts the top after its key grew. */
  updateTop() {
    this.down(0);
  }
  private down(i: number) {
    const h = this.heap;
    const item = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const rgt = l + 1;
      const c = rgt < this.size && this.less(h[rgt], h[l]) ? rgt : l;
      if (!this.less(h[c], item)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = item;
  }
}

function* generateOrders(model: Model, currency: string): Generator<SeedOrder> {
  const n = model.customers;
  const guest = n; // the extra slot in the arrays is the stream of guest checkouts
  const nextTime = new Float64Array(n + 1);
  const position = new Float64Array(n + 1);
  const done = new Int32Array(n + 1);
  const heap = new TimeHeap(n + 1, nextTime);
  for (let i = 0; i < n; i++) {
    const p = customerProfile(model, i);
    if (p.orderCount === 0) continue;
    nextTime[i] = p.firstOrderAt;
    heap.add(i);
  }
  const guestRandom = new Random(hash32(model.seed, 0x6e57, 0));
  if (Number.isFinite(model.guestMeanGap)) {
    nextTime[guest] = model.start + Math.floor(guestRandom.exp(model.guestMeanGap));
    if (nextTime[guest] < model.now) heap.add(guest);
  }
  heap.heapify();
  const counters: Counters = { order: 0n, lineItem: 0n, refund: 0n };
  while (heap.length > 0) {
    const i = heap.peek();
    const at = nextTime[i];
    if (i === guest) {
      yield buildOrder(model, null, done[i]++, at, counters, currency);
      const t = at + Math.floor(guestRandom.exp(model.guestMeanGap));
      if (t < model.now - 1000) {
        nextTime[i] = t;
        heap.updateTop();
      } else heap.pop();
      continue;
    }
    const profile = customerProfile(model, i);
    const k = done[i]++;
    yield buildOrder(model, profile, k, at, counters, currency);
    if (k + 1 < profile.orderCount) {
      position[i] = nextOrderPosition(model, profile, k + 1, position[i]);
      nextTime[i] = timeAt(profile, position[i]);
      heap.updateTop();
    } else heap.pop();
  }
}

/** A generated store history (see datasets/README.md). Each stream can be read any number of times. */
export function generateStore(options: GenerateStoreOptions): SeedStore {
  const model = buildModel(options);
  const currency = options.currency ?? "USD";
  return {
    domain: options.domain ?? `generated-${model.seed}.myshopify.com`,
    currency,
    timezone: options.timezone ?? "America/New_York",
    *customers() {
      for (let i = 0; i < model.customers; i++) yield buildCustomer(model, i);
    },
    orders: () => generateOrders(model, currency),
  };
}

/** The hidden behaviour behind a generated customer (for tests and demos that want to check it). */
export function describeGeneratedCustomer(options: GenerateStoreOptions, customerId: bigint): CustomerProfile {
  return customerProfile(buildModel(options), Number(customerId - CUSTOMER_ID_BASE) - 1);
}
