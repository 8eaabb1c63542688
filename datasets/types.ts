// The neutral shape of a store's history, produced by the generators and the UCI loader and consumed
// by the twin (seeding), the database loader (benchmarks) and the demo. Ids are bigint, money is a
// decimal string, never a JS float.

export interface SeedCustomer {
  id: bigint;
  createdAt: Date;
  updatedAt: Date;
  state: "enabled" | "disabled" | "invited" | "declined";
  tags: string[];
  /** Only the twin holds these (Shopify has them); our app never stores them. */
  firstName?: string;
  lastName?: string;
  email?: string;
}

export interface SeedLineItem {
  id: bigint;
  productId: bigint | null;
  variantId: bigint | null;
  title: string;
  productType: string;
  vendor: string;
  sku: string;
  quantity: number;
  /** Unit price. */
  price: string;
}

export interface SeedRefund {
  id: bigint;
  createdAt: Date;
  /** Total refunded money. */
  amount: string;
  lineItems: { lineItemId: bigint; quantity: number; subtotal: string }[];
}

export interface SeedOrder {
  id: bigint;
  customerId: bigint | null;
  /** e.g. "#1001" */
  name: string;
  createdAt: Date;
  processedAt: Date;
  updatedAt: Date;
  cancelledAt: Date | null;
  cancelReason: string | null;
  currency: string;
  subtotalPrice: string;
  totalDiscounts: string;
  totalPrice: string;
  discountCodes: string[];
  /** paid | partially_refunded | refunded | pending | voided | authorized */
  financialStatus: string;
  test: boolean;
  lineItems: SeedLineItem[];
  refunds: SeedRefund[];
}

/** A store's history as streams, so 1 M customers / 10 M orders never sit in memory at once. */
export interface SeedStore {
  domain: string;
  currency: string;
  timezone: string;
  customers(): Iterable<SeedCustomer> | AsyncIterable<SeedCustomer>;
  /** Orders in processedAt order. */
  orders(): Iterable<SeedOrder> | AsyncIterable<SeedOrder>;
}
