// Publishing the shop's offers feed (the app-owned shop metafield the theme extension reads) on the
// queue: requested after every offer save or delete, coalesced per shop, retried when Shopify fails.
import prisma from "../db.server";
import { queuesOf } from "../jobs/ensure-queues.server";
import { publishOffers } from "../shopify/publish-offers.server";

export const OFFERS_PUBLISH_QUEUE = "offers-publish";

const offersBoss = queuesOf([
  [OFFERS_PUBLISH_QUEUE, { policy: "stately", retryLimit: 10, retryDelay: 10, retryBackoff: true, retryDelayMax: 900, expireInSeconds: 600 }],
]);

/** Asks for the shop's offers feed to be published (at most one queued per shop). */
export async function requestOffersPublish(shopId: number) {
  const boss = await offersBoss();
  return boss.send(OFFERS_PUBLISH_QUEUE, { shopId }, { singletonKey: `shop:${shopId}` });
}

export async function handleOffersPublish(shopId: number) {
  const shop = await prisma.shop.findUnique({ where: { id: shopId }, select: { domain: true, installState: true } });
  // Uninstalled or erased: nothing to publish to (a reinstall republishes on the next save).
  if (!shop || shop.installState !== "installed") return { skipped: true };
  return publishOffers(shop.domain);
}

let started = false;

export async function startOffersWorkers(options: { pollingIntervalSeconds?: number } = {}) {
  if (started) return;
  started = true;
  const boss = await offersBoss();
  await boss.work<{ shopId: number }>(
    OFFERS_PUBLISH_QUEUE,
    { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
    async ([job]) => handleOffersPublish(job.data.shopId),
  );
}

export function resetOffersWorkers() {
  started = false;
}
