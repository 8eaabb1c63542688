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
