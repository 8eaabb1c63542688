// Synthetic storefront traffic for the pixel ingest (tests and bench/pixel.bench.ts): clients with
// sessions of page/product/collection views, cart adds and checkouts, some logging in part-way, some
// customers with orders. Deterministic for a seed. Timestamps are unique per client (no ties).
import type { WireBatch, WireEvent } from "../../app/browsing/wire";

export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficClient {
  clientId: string;
  /** The customer the client logs in as (at event `loginAt`), or null (anonymous throughout). */
  customerId: bigint | null;
  loginAt: number;
  events: WireEvent[];
}

export interface TrafficOrder {
  id: bigint;
  customerId: bigint;
  processedAt: Date;
  productIds: bigint[];
}

export interface Traffic {
  clients: TrafficClient[];
  orders: TrafficOrder[];
  customers: bigint[];
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/**
 * `clients` clients with about `events` events in all, over `days` days ending at `end`.
 * `linkedShare` of the clients log in (customers shared by two clients sometimes).
 */
export function generateTraffic(options: { clients: number; events: number; days: number; end: Date; seed?: number; linkedShare?: number }): Traffic {
  const rnd = prng(options.seed ?? 11);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const endMs = options.end.getTime();
  const perClient = options.events / options.clients;
  const linked = Math.floor(options.clients * (options.linkedShare ?? 0.6));
  const customerCount = Math.max(1, Math.floor(linked * 0.75));
  const customers = Array.from({ length: customerCount }, (_, i) => BigInt(7_000_000 + i));
  const clients: TrafficClient[] = [];
  let remaining = options.events;
  for (let c = 0; c < options.clients; c++) {
    const left = options.clients - c;
    const target = c === options.clients - 1 ? remaining : Math.max(1, Math.min(remaining - (left - 1), Math.round(perClient * (0.3 + rnd() * 1.4))));
    remaining -= target;
    const clientId = `c${c.toString(36)}-${Math.floor(rnd() * 1e9).toString(36)}`;
    const events: WireEvent[] = [];
    let t = endMs - Math.floor(rnd() * options.days * DAY);
    let session = 0;
    while (events.length < target) {
      // A new session: jump ahead (or back in time for the first) by more than 30 minutes.
      if (session > 0) t += 31 * MIN + Math.floor(rnd() * 3 * DAY);
      session++;
      const n = 1 + Math.floor(rnd() * 14);
      for (let k = 0; k < n && events.length < target; k++) {
        t += 1 + Math.floor(rnd() * 25 * MIN);
        const r = rnd();
        const id = `sh-${clientId}-${events.length}`;
        const product = String(100 + Math.floor(rnd() * 200));
        if (r < 0.45) events.push({ id, name: "page_viewed", at: t });
        else if (r < 0.75) events.push({ id, name: "product_viewed", at: t, productId: product, variantId: `9${product}`, ...(rnd() < 0.25 ? { rec: true } : {}) });
        else if (r < 0.83) events.push({ id, name: "collection_viewed", at: t });
        else if (r < 0.93) events.push({ id, name: "product_added_to_cart", at: t, productId: product, variantId: `9${product}` });
        else if (r < 0.97) events.push({ id, name: "checkout_started", at: t, checkout: `ck-${clientId}-${events.length}` });
        else events.push({ id, name: "checkout_completed", at: t, checkout: `ck-${clientId}-${events.length}`, products: [product, pick(["101", "150", "222"])] });
      }
    }
    // Keep every event inside the window, in order (time only moves forward within a client).
    const last = events[events.length - 1].at;
    if (last > endMs) {
      const shift = last - endMs + Math.floor(rnd() * DAY);
      for (const e of events) e.at -= shift;
    }
    const customerId = c < linked ? customers[c % customerCount] : null;
    const loginAt = customerId === null ? events.length : Math.floor(rnd() * events.length);
    if (customerId !== null) for (let k = loginAt; k < events.length; k++) events[k].customerId = String(customerId);
    clients.push({ clientId, customerId, loginAt, events });
  }
  const orders: TrafficOrder[] = [];
  customers.forEach((customerId, i) => {
    if (i % 5 !== 0) return;
    const count = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < count; k++) {
      orders.push({
        id: BigInt(80_000_000 + orders.length),
        customerId,
        processedAt: new Date(endMs - Math.floor(rnd() * options.days * DAY)),
        productIds: [BigInt(100 + Math.floor(rnd() * 200)), BigInt(100 + Math.floor(rnd() * 200))],
      });
    }
  });
  return { clients, orders, customers };
}

/** A client's events as the pixel would send them: consecutive events, at most `size` per batch, one day at most. */
export function batchesOf(client: TrafficClient, shop: string, token: string, size = 20): WireBatch[] {
  const out: WireBatch[] = [];
  let current: WireEvent[] = [];
  for (const e of client.events) {
    if (current.length && (current.length >= size || e.at - current[0].at > 12 * 3600_000)) {
      out.push({ v: 1, shop, token, clientId: client.clientId, events: current });
      current = [];
    }
    current.push(e);
  }
  if (current.length) out.push({ v: 1, shop, token, clientId: client.clientId, events: current });
  return out;
}
