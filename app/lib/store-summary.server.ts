import prisma from "../db.server";

export interface StoreSummary {
  customers: number;
  orders: number;
  revenue: string;
}

/** What we hold for one shop. Every query is bounded by shop_id. */
export async function summarizeShop(shopId: number): Promise<StoreSummary> {
  const [customers, orders, revenue] = await Promise.all([
    prisma.customer.count({ where: { shopId, deletedAt: null } }),
    prisma.order.count({ where: { shopId, deletedAt: null, cancelledAt: null, test: false } }),
    prisma.order.aggregate({
      where: { shopId, deletedAt: null, cancelledAt: null, test: false },
      _sum: { totalPrice: true, refundedAmount: true },
    }),
  ]);
  const total = revenue._sum.totalPrice ?? 0;
  const refunded = revenue._sum.refundedAmount ?? 0;
  return { customers, orders, revenue: (Number(total) - Number(refunded)).toFixed(2) };
}
