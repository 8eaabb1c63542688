// Webhook signature check for sync's routes: the same check as `@shopify/shopify-api`'s
// `webhooks.validate` (which `authenticate.webhook` runs first): HMAC-SHA256 of the raw body with the
// app's secret, base64, compared in constant time; the required headers of a webhook delivery (or
// of an "events" delivery, `shopify-*` headers). Same answers: 401 on a bad HMAC, 400 on a missing
// body, HMAC or header, 405 on another method. Written out with node:crypto because the library's
// path (WebCrypto through its runtime adapters, header canonicalisation) cost ~1 ms of CPU per
// delivery, most of the request path's own work (bench/sync.bench.ts); the test beside this file
// checks both agree. `authenticate.webhook` itself is not called: it also loads the shop's offline
// session through Prisma on every delivery for an admin client these routes never use.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface VerifiedWebhook {
  shop: string;
  topic: string;
  webhookId: string;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
}

const WEBHOOK_HEADERS = {
  hmac: "x-shopify-hmac-sha256",
  topic: "x-shopify-topic",
  domain: "x-shopify-shop-domain",
  apiVersion: "x-shopify-api-version",
  webhookId: "x-shopify-webhook-id",
  triggeredAt: "x-shopify-triggered-at",
  eventId: "x-shopify-event-id",
};
const EVENTS_HEADERS = {
  hmac: "shopify-hmac-sha256",
  topic: "shopify-topic",
  domain: "shopify-shop-domain",
  apiVersion: "shopify-api-version",
  webhookId: "shopify-webhook-id",
  triggeredAt: "shopify-triggered-at",
  eventId: null,
};

const fail = (status: number, statusText: string) => new Response(undefined, { status, statusText });

/** The library's storage form of a topic: `orders/create` -> `ORDERS_CREATE`. */
const topicForStorage = (topic: string) => topic.toUpperCase().replace(/\/|\./g, "_");

function secret(): string {
  return process.env.SHOPIFY_API_SECRET || "";
}

/** True when `hmac` (base64) is the body's HMAC-SHA256 under the app's secret. */
export function isValidWebhookHmac(rawBody: string, hmac: string): boolean {
  const expected = createHmac("sha256", secret()).update(rawBody, "utf8").digest("base64");
  const a = Buffer.from(expected);
  const b = Buffer.from(hmac);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Verifies a delivery; throws a 401 Response on a bad signature, 400 on missing headers. */
export async function verifyWebhook(request: Request, rawBody: string): Promise<VerifiedWebhook> {
  if (request.method !== "POST") throw fail(405, "Method not allowed");
  const h = request.headers;
  const names = h.get(EVENTS_HEADERS.hmac) ? EVENTS_HEADERS : WEBHOOK_HEADERS;
  const hmac = h.get(names.hmac);
  if (!rawBody.length || !hmac) throw fail(400, "Bad Request");
  if (!isValidWebhookHmac(rawBody, hmac)) throw fail(401, "Unauthorized");
  const topic = h.get(names.topic);
  const shop = h.get(names.domain);
  const apiVersion = h.get(names.apiVersion);
  const webhookId = h.get(names.webhookId);
  if (!topic || !shop || !apiVersion || !webhookId) throw fail(400, "Bad Request");
  return {
    shop,
    topic: topicForStorage(topic),
    webhookId,
    apiVersion,
    eventId: (names.eventId && h.get(names.eventId)) || null,
    triggeredAt: h.get(names.triggeredAt) || null,
  };
}
