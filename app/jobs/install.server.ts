// Work that follows an install or reinstall, on the queue so that the merchant's first page never
// waits on it: the storefront web pixel is activated with this shop's ingest URL and token.
// (The first backfill is enqueued beside this, by app/sync/runs.server.ts.)
import prisma from "../db.server";
import { queuesOf } from "./ensure-queues.server";
import { adminFor, AdminApiError } from "../shopify/admin-client.server";
import { activateWebPixel, WebPixelError } from "../shopify/web-pixel-activate.server";
import { pixelToken } from "../browsing/ingest.server";

export const INSTALL_QUEUE = "shop-installed";

const installBoss = queuesOf([[INSTALL_QUEUE, { retryLimit: 8, retryDelay: 30, retryBackoff: true, retryDelayMax: 3600, expireInSeconds: 600 }]]);

/** Enqueues the after-install work of a shop (once per shop while one is waiting). */
export async function enqueueAfterInstall(domain: string) {
  const boss = await installBoss();
  return boss.send(INSTALL_QUEUE, { domain }, { singletonKey: `shop:${domain}` });
}

/** The pixel's settings for a shop: where to send events, and the token the endpoint checks. */
export function pixelSettings(domain: string): Record<string, string> {
  const appUrl = (process.env.SHOPIFY_APP_URL ?? "").replace(/\/+$/, "");
  if (!appUrl) throw new Error("SHOPIFY_APP_URL is not set: the web pixel would not know where to send events.");
  return { ingestUrl: `${appUrl}/pixel/events`, token: pixelToken(domain) };
}

export type AfterInstallOutcome = { pixel: string } | { skipped: string };

/**
 * Runs a shop's after-install work. Retryable failures (Shopify down, throttled) throw and the
 * queue retries; a refusal that retrying cannot fix (no scope for pixels, invalid settings) is
 * reported as the outcome and logged, and the rest of the app works without browsing data.
 */
export async function runAfterInstall(domain: string): Promise<AfterInstallOutcome> {
  const shop = await prisma.shop.findUnique({ where: { domain }, select: { installState: true } });
  if (!shop || shop.installState !== "installed") return { skipped: "not installed" };
  try {
    return { pixel: await activateWebPixel(adminFor(domain), pixelSettings(domain)) };
  } catch (error) {
    const terminal = error instanceof WebPixelError || (error instanceof AdminApiError && !error.details.retryable);
    if (!terminal) throw error;
    console.warn(`[install] ${domain}: ${(error as Error).message}`);
    return { skipped: (error as Error).message };
  }
}

let started = false;

export async function startInstallWorkers(options: { pollingIntervalSeconds?: number } = {}) {
  if (started) return;
  started = true;
  const boss = await installBoss();
  await boss.work<{ domain: string }>(INSTALL_QUEUE, { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 }, async ([job]) => runAfterInstall(job.data.domain));
}

export function resetInstallWorkers() {
  started = false;
}
