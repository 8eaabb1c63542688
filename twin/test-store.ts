// A small deterministic store generator for the twin's own tests, benchmark and control API
// (`POST /__twin/shops/<domain>/seed`). The project's realistic generators live in datasets/.
import type { SeedCustomer, SeedOrder, SeedStore } from "../datasets/types.ts";

export interface TwinStoreOptions {
  domain?: string;
  customers: number;
  /** Orders in total (spread over customers; default 3 per customer). */
  orders?: number;
  /** Line items per order (default 2). */
  lineItemsPerOrder?: number;
  seed?: number;
  currency?: string;
  now?: Date;
}

export const TWIN_CUSTOMER_ID_BASE = 5_000_000_000_000n;
export const TWIN_ORDER_ID_BASE = 5_100_000_000_000n;
export const TWIN_LINE_ITEM_ID_BASE = 5_200_000_000_000n;
export const TWIN_REFUND_ID_BASE = 5_300_000_000_000n;
export const TWIN_PRODUCT_ID_BASE = 5_400_000_000_000n;

const PRODUCT_TYPES = ["Shirts", "Shoes", "Bags", "Hats", "Jewelry", "Home"];
const VENDORS = ["Acme", "Globex", "Initech", "Umbrella"];
const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({
  id: TWIN_PRODUCT_ID_BASE + BigInt(i),
  title: `Product ${i + 1}`,
  productType: PRODUCT_TYPES[i % PRODUCT_TYPES.length],
  vendor: VENDORS[i % VENDORS.length],
  sku: `SKU-${String(i + 1).padStart(4, "0")}`,
  price: `${10 + ((i * 7) % 90)}.${String((i * 13) % 100).padStart(2, "0")}`,
}));
const DAY = 86_400_000;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cents = (s: string) => Math.round(Number(s) * 100);
const money = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`;

export function generateTwinStore(options: TwinStoreOptions): SeedStore {
  const customerCount = options.customers;
  const orderCount = options.orders ?? customerCount * 3;
  const perOrder = options.lineItemsPerOrder ?? 2;
  const now = (options.now ?? new Date("2026-11-01T00:00:00Z")).getTime();
  const start = now - 730 * DAY;
  const currency = options.currency ?? "USD";
  return {
    domain: options.domain ?? "twin-store.myshopify.com",
    currency,
    timezone: "UTC",
    *customers(): Iterable<SeedCustomer> {
      const r = rng(options.seed ?? 1);
      for (let i = 0; i < customerCount; i++) {
        const createdAt = new Date(start + Math.floor(r() * 365) * DAY);
        yield {
          id: TWIN_CUSTOMER_ID_BASE + BigInt(i),
          createdAt,
          updatedAt: createdAt,
          state: r() < 0.6 ? "enabled" : "disabled",
          tags: r() < 0.1 ? ["newsletter"] : [],
          firstName: `First${i}`,
          lastName: `Last${i}`,
          email: `customer${i}@example.com`,
        };
      }
    },
    *orders(): Iterable<SeedOrder> {
      const r = rng((options.seed ?? 1) + 7);
      let lineId = TWIN_LINE_ITEM_ID_BASE;
      for (let i = 0; i < orderCount; i++) {
        // Orders in processedAt order: time advances with the index.
        const processed = start + 365 * DAY + Math.floor((i / Math.max(1, orderCount)) * 364 * DAY);
        const customerIndex = Math.floor(r() * customerCount);
        const lineItems = [];
        let subtotal = 0;
        for (let j = 0; j < perOrder; j++) {
          const p = PRODUCTS[Math.floor(r() * PRODUCTS.length)];
          const quantity = 1 + Math.floor(r() * 3);
          subtotal += cents(p.price) * quantity;
          lineItems.push({ id: lineId++, productId: p.id, variantId: p.id + 1_000_000n, title: p.title, productType: p.productType, vendor: p.vendor, sku: p.sku, quantity, price: p.price });
        }
        const discounted = r() < 0.15;
        const discount = discounted ? Math.round(subtotal * 0.1) : 0;
        const refunded = r() < 0.05;
        const cancelled = !refunded && r() < 0.02;
        const total = subtotal - discount;
        const at = new Date(processed);
        yield {
          id: TWIN_ORDER_ID_BASE + BigInt(i),
          customerId: TWIN_CUSTOMER_ID_BASE + BigInt(customerIndex),
          name: `#${1001 + i}`,
          createdAt: at,
          processedAt: at,
          updatedAt: refunded ? new Date(processed + 3 * DAY) : at,
          cancelledAt: cancelled ? new Date(processed + DAY) : null,
          cancelReason: cancelled ? "customer" : null,
          currency,
          subtotalPrice: money(total),
          totalDiscounts: money(discount),
          totalPrice: money(total),
          discountCodes: discounted ? ["SAVE10"] : [],
          financialStatus: refunded ? "refunded" : cancelled ? "voided" : "paid",
          test: false,
          lineItems,
          refunds: refunded
            ? [{ id: TWIN_REFUND_ID_BASE + BigInt(i), createdAt: new Date(processed + 3 * DAY), amount: money(total), lineItems: lineItems.map((li) => ({ lineItemId: li.id, quantity: li.quantity, subtotal: money(cents(li.price) * li.quantity) })) }]
            : [],
        };
      }
    },
  };
}
