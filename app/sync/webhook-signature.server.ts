// Webhook signature check for sync's routes: the library's own validation
// (`@shopify/shopify-api` webhooks.validate: HMAC-SHA256 of the raw body, constant-time compare,
// required headers), the same check `authenticate.webhook` runs first. Sync's routes call it
// directly because `authenticate.webhook` then loads the shop's offline session through Prisma on
// every delivery (the largest cost on the request path, measured in bench/sync.bench.ts) for an
// admin client these routes never use; the work happens later, in the queue.
import { LogSeverity, shopifyApi, WebhookValidationErrorReason, type Shopify } from "@shopify/shopify-api";
import { API_VERSION } from "../shopify.server";

let api: Shopify | undefined;

function validator(): Shopify {
  api ??= shopifyApi({
    apiKey: process.env.SHOPIFY_API_KEY ?? "",
    apiSecretKey: process.env.SHOPIFY_API_SECRET || "",
    apiVersion: API_VERSION,
    hostName: new URL(process.env.SHOPIFY_APP_URL || "https://localhost").host,
    isEmbeddedApp: true,
    logger: { level: LogSeverity.Error },
  });
  return api;
}

export interface VerifiedWebhook {
  shop: string;
  topic: string;
  webhookId: string;
  apiVersion: string | null;
  eventId: string | null;
  triggeredAt: string | null;
}

/** Verifies a delivery; throws a 401 Response on a bad signature, 400 on missing headers. */
export async function verifyWebhook(request: Request, rawBody: string): Promise<VerifiedWebhook> {
  if (request.method !== "POST") throw new Response(undefined, { status: 405, statusText: "Method not allowed" });
  const check = await validator().webhooks.validate({ rawBody, rawRequest: request });
  if (!check.valid) {
    if (check.reason === WebhookValidationErrorReason.InvalidHmac) throw new Response(undefined, { status: 401, statusText: "Unauthorized" });
    throw new Response(undefined, { status: 400, statusText: "Bad Request" });
  }
  return {
    shop: check.domain,
    topic: check.topic,
    webhookId: check.webhookId,
    apiVersion: check.apiVersion ?? null,
    eventId: "eventId" in check ? ((check.eventId as string | undefined) ?? null) : null,
    triggeredAt: "triggeredAt" in check ? ((check.triggeredAt as string | undefined) ?? null) : null,
  };
}
