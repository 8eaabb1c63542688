// The live phase's shoppers: new orders, late payments and refunds placed through the twin's
// control API over HTTP (the twin then signs and delivers the webhooks Shopify would send).
import { parseExact, stringifyExact } from "../../twin/index.ts";

/** A product as the store sold it (taken from its history, so product types are known to the app). */
export interface Product {
  productId: string | null;
  variantId: string | null;
  title: string;
  productType: string;
  vendor: string;
  sku: string;
  price: string;
}

export interface PlacedOrder {
  id: string;
  name: string;
  customerId: string | null;
  totalPrice: string;
}

/** The twin's control API for one shop. */
export class TwinControl {
  constructor(
    readonly origin: string,
    readonly domain: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.origin}/__twin/shops/${encodeURIComponent(this.domain)}${path}`, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : stringifyExact(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`twin ${method} ${path}: ${res.status} ${text}`);
    return parseExact(text) as T;
  }

  async placeOrder(input: { customerId: string | null; lineItems: (Product & { quantity: number })[]; paid: boolean }): Promise<PlacedOrder> {
    const o = await this.call<{ id: bigint; name: string; customerId: bigint | null; totalPrice: string }>("POST", "/orders", input);
    return { id: String(o.id), name: o.name, customerId: o.customerId === null ? null : String(o.customerId), totalPrice: o.totalPrice };
  }

  async payOrder(id: string) {
    await this.call("POST", `/orders/${id}/pay`, {});
  }

  async refundOrder(id: string, amount?: string): Promise<{ amount: string }> {
    const r = await this.call<{ amount: string }>("POST", `/orders/${id}/refund`, amount === undefined ? {} : { amount });
    return { amount: r.amount };
  }

  async createCustomer(): Promise<string> {
    const c = await this.call<{ id: bigint }>("POST", "/customers", { state: "enabled" });
    return String(c.id);
  }

  async tags(customerId: string): Promise<string[]> {
    return this.call<string[]>("GET", `/customers/${customerId}/tags`);
  }
}

/** mulberry32: a small deterministic PRNG, so a replay is the same for the same seed. */
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

export interface ShopperStep {
  /** What the terminal shows for this step. */
  label: string;
  run(control: TwinControl): Promise<{ detail: string; customerId: string | null }>;
}

export interface Cast {
  /** A lost customer (no order for > 180 days) who comes back. */
  lost: string | null;
  /** A one-time buyer who buys again. */
  oneTime: string | null;
  /** A regular, not a VIP, who places a very large order (and later returns most of it). */
  regular: string | null;
  /** Spend that puts a customer above the VIP cut. */
  bigOrderValue: number;
  /** Every known customer, for the background stream. */
  customers: string[];
  products: Product[];
}

const cents = (s: string) => Math.round(Number(s) * 100);

function basket(random: () => number, products: Product[], targetValue?: number): (Product & { quantity: number })[] {
  const lines: (Product & { quantity: number })[] = [];
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) {
    const p = products[Math.floor(random() * products.length)];
    lines.push({ ...p, quantity: 1 + Math.floor(random() * 6) });
  }
  if (targetValue !== undefined) {
    const value = lines.reduce((s, l) => s + cents(l.price) * l.quantity, 0) / 100;
    if (value < targetValue && lines[0] && cents(lines[0].price) > 0) {
      lines[0].quantity += Math.ceil(((targetValue - value) * 100) / cents(lines[0].price));
    }
  }
  return lines;
}

/**
 * The replay: a scripted opening (a lost customer returns, a one-time buyer buys again, a regular
 * places a VIP-sized order, a new customer's first order, that big order mostly refunded), then an
 * endless stream of ordinary orders with some late payments and refunds.
 */
export function* shopperSteps(cast: Cast, seed: number): Generator<ShopperStep> {
  const random = prng(seed);
  const recent: PlacedOrder[] = [];
  const unpaid: PlacedOrder[] = [];
  let bigOrder: PlacedOrder | null = null;
  const order = (label: string, customerId: string | null, lines: (Product & { quantity: number })[], paid = true, keep?: (o: PlacedOrder) => void): ShopperStep => ({
    label,
    async run(control) {
      const o = await control.placeOrder({ customerId, lineItems: lines, paid });
      recent.push(o);
      if (recent.length > 50) recent.shift();
      if (!paid) unpaid.push(o);
      keep?.(o);
      return { detail: `order ${o.name} ${o.totalPrice}${paid ? "" : " (payment pending)"}`, customerId };
    },
  });

  if (cast.lost) yield order("a lost customer comes back", cast.lost, basket(random, cast.products));
  if (cast.oneTime) yield order("a one-time buyer buys again", cast.oneTime, basket(random, cast.products));
  if (cast.regular) {
    yield order("a regular places a VIP-sized order", cast.regular, basket(random, cast.products, cast.bigOrderValue), true, (o) => {
      bigOrder = o;
    });
  }
  yield {
    label: "a new customer signs up and orders",
    async run(control) {
      const id = await control.createCustomer();
      cast.customers.push(id);
      const o = await control.placeOrder({ customerId: id, lineItems: basket(random, cast.products, 300), paid: true });
      recent.push(o);
      return { detail: `customer ${id}, order ${o.name} ${o.totalPrice}`, customerId: id };
    },
  };
  if (bigOrder) {
    const big = bigOrder as PlacedOrder;
    yield {
      label: "the VIP-sized order is mostly returned",
      async run(control) {
        const r = await control.refundOrder(big.id, (cents(big.totalPrice) * 0.9 / 100).toFixed(2));
        return { detail: `refund ${r.amount} on ${big.name}`, customerId: big.customerId };
      },
    };
  }
  for (;;) {
    const roll = random();
    if (roll < 0.08 && unpaid.length) {
      const o = unpaid.shift()!;
      yield {
        label: "a pending order is paid",
        async run(control) {
          await control.payOrder(o.id);
          return { detail: `${o.name} paid`, customerId: o.customerId };
        },
      };
    } else if (roll < 0.14 && recent.length) {
      const o = recent.splice(Math.floor(random() * recent.length), 1)[0];
      yield {
        label: "a refund",
        async run(control) {
          const r = await control.refundOrder(o.id);
          return { detail: `refund ${r.amount} on ${o.name}`, customerId: o.customerId };
        },
      };
    } else {
      const guest = random() < 0.05;
      const customerId = guest ? null : cast.customers[Math.floor(random() * cast.customers.length)];
      yield order(guest ? "a guest checkout" : "an order", customerId, basket(random, cast.products), random() > 0.1);
    }
  }
}
