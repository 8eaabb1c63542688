// A small shop with a known shape for admin tests: customers with orders at chosen ages, then the
// real segment engine computes features and memberships.
import prisma from "../../app/db.server";
import { recomputeShop } from "../../app/segments/index.server";
import { createCustomer, createOrder, createSession, createShop } from "../factories";

const DAY = 86_400_000;

export interface SeededShop {
  id: number;
  domain: string;
  customerIds: bigint[];
}

/**
 * `customers[i]` = the ages in days of customer i's orders, with `spend` per order. Customer ids
 * start at `firstId` so two shops can share ids (Shopify ids are unique only within a shop).
 */
export async function seedShop(domain: string, customers: { ages: number[]; spend?: string }[], firstId = 1000n): Promise<SeededShop> {
  const shop = await createShop({ domain });
  await createSession(domain);
  const ids: bigint[] = [];
  let orderId = firstId * 100n;
  for (const [i, c] of customers.entries()) {
    const id = firstId + BigInt(i);
    ids.push(id);
    await createCustomer(shop.id, { id, createdAt: new Date(Date.now() - 800 * DAY) });
    for (const age of c.ages) {
      await createOrder(shop.id, id, { id: orderId++, total: c.spend ?? "50.00", processedAt: new Date(Date.now() - age * DAY) });
    }
  }
  await recomputeShop(shop.id);
  return { id: shop.id, domain, customerIds: ids };
}

/** A recorded size for a past day, as the nightly job would have left it. */
export async function recordPastSize(shopId: number, segmentKey: string, daysAgo: number, size: number) {
  const day = new Date(Date.now() - daysAgo * DAY);
  day.setUTCHours(0, 0, 0, 0);
  await prisma.segmentDailyStat.upsert({
    where: { shopId_segmentKey_day: { shopId, segmentKey, day } },
    create: { shopId, segmentKey, day, size },
    update: { size },
  });
}
