import prisma from "../app/db.server";

let seq = 0;
const next = () => ++seq;

export async function createShop(data: { domain?: string; currency?: string; timezone?: string } = {}) {
  return prisma.shop.create({
    data: {
      domain: data.domain ?? `shop-${next()}.myshopify.com`,
      currency: data.currency ?? "USD",
      timezone: data.timezone ?? "UTC",
      installState: "installed",
      installedAt: new Date(),
    },
  });
}

/** An offline session as the session storage writes it after token exchange. */
export async function createSession(shop: string) {
  return prisma.session.create({
    data: {
      id: `offline_${shop}`,
      shop,
      state: "",
      isOnline: false,
      scope: "read_customers,write_customers,read_orders",
      accessToken: `shpat_${shop}`,
      expires: new Date(Date.now() + 3600_000),
      refreshToken: `shprt_${shop}`,
      refreshTokenExpires: new Date(Date.now() + 30 * 86400_000),
    },
  });
}

export async function createCustomer(shopId: number, data: { id?: bigint; createdAt?: Date } = {}) {
  return prisma.customer.create({
    data: { shopId, id: data.id ?? BigInt(1_000_000 + next()), createdAt: data.createdAt ?? new Date(), updatedAt: new Date() },
  });
}

export async function createOrder(
  shopId: number,
  customerId: bigint | null,
  data: { id?: bigint; total?: string; processedAt?: Date } = {},
) {
  const at = data.processedAt ?? new Date();
  return prisma.order.create({
    data: {
      shopId,
      id: data.id ?? BigInt(5_000_000 + next()),
      customerId,
      createdAt: at,
      processedAt: at,
      updatedAt: at,
      currency: "USD",
      totalPrice: data.total ?? "10.00",
      itemCount: 1,
    },
  });
}

/** An order with every field the segment engine reads (defaults: a paid 10.00 order of one item). */
export async function createFullOrder(
  shopId: number,
  customerId: bigint | null,
  data: {
    id?: bigint;
    total?: string;
    processedAt?: Date;
    cancelledAt?: Date | null;
    test?: boolean;
    totalDiscounts?: string;
    discountCodes?: string[];
    itemCount?: number;
    lineItems?: { productType?: string; vendor?: string; quantity?: number; price?: string }[];
  } = {},
) {
  const at = data.processedAt ?? new Date();
  const lineItems = data.lineItems ?? [];
  const itemCount = data.itemCount ?? (lineItems.length ? lineItems.reduce((n, li) => n + (li.quantity ?? 1), 0) : 1);
  const order = await prisma.order.create({
    data: {
      shopId,
      id: data.id ?? BigInt(5_000_000 + next()),
      customerId,
      createdAt: at,
      processedAt: at,
      updatedAt: at,
      cancelledAt: data.cancelledAt ?? null,
      test: data.test ?? false,
      currency: "USD",
      totalPrice: data.total ?? "10.00",
      totalDiscounts: data.totalDiscounts ?? "0",
      discountCodes: data.discountCodes ?? [],
      itemCount,
    },
  });
  for (const li of lineItems) await createLineItem(shopId, order.id, li);
  return order;
}

export async function createLineItem(
  shopId: number,
  orderId: bigint,
  data: { id?: bigint; productType?: string; vendor?: string; quantity?: number; price?: string } = {},
) {
  return prisma.lineItem.create({
    data: {
      shopId,
      id: data.id ?? BigInt(8_000_000 + next()),
      orderId,
      productType: data.productType ?? "",
      vendor: data.vendor ?? "",
      quantity: data.quantity ?? 1,
      price: data.price ?? "10.00",
    },
  });
}

/** A refund, keeping orders.refunded_amount in step with the refunds table (as sync does). */
export async function createRefund(shopId: number, orderId: bigint, data: { id?: bigint; amount?: string; createdAt?: Date } = {}) {
  const refund = await prisma.refund.create({
    data: { shopId, id: data.id ?? BigInt(9_000_000 + next()), orderId, amount: data.amount ?? "5.00", createdAt: data.createdAt ?? new Date() },
  });
  const sum = await prisma.refund.aggregate({ where: { shopId, orderId }, _sum: { amount: true } });
  await prisma.order.update({ where: { shopId_id: { shopId, id: orderId } }, data: { refundedAmount: sum._sum.amount ?? 0 } });
  return refund;
}
