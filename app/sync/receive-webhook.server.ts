// The request path of every sync webhook route: authenticate (HMAC; 401 from the library), turn
// the raw body into facts, record + enqueue, answer 200. Nothing heavy happens here.
import { authenticate } from "../shopify.server";
import { recordWebhook } from "./events.server";
import { factsFromBody, normaliseTopic, UnusablePayloadError, type Facts } from "./payloads.server";

function header(request: Request, name: string) {
  return request.headers.get(name);
}

export async function receiveWebhook(request: Request): Promise<Response> {
  const raw = request.clone();
  let shop: string;
  let topic: string;
  let webhookId: string;
  let triggeredAt: string | undefined | null;
  let apiVersion: string | null;
  let eventId: string | null = null;
  let bodyText: string;
  try {
    const ctx = await authenticate.webhook(request);
    shop = ctx.shop;
    topic = normaliseTopic(ctx.topic);
    webhookId = ctx.webhookId;
    apiVersion = ctx.apiVersion ?? null;
    triggeredAt = "triggeredAt" in ctx ? (ctx.triggeredAt as string | undefined) : undefined;
    eventId = "eventId" in ctx ? ((ctx.eventId as string | undefined) ?? null) : null;
    bodyText = await raw.text();
  } catch (thrown) {
    if (thrown instanceof Response) throw thrown;
    // The signature was valid (the library parses the body only after checking it), but the
    // body is not JSON: record it as failed and answer 200, so Shopify does not retry it.
    if (!(thrown instanceof SyntaxError)) throw thrown;
    shop = header(raw, "X-Shopify-Shop-Domain") ?? "unknown";
    topic = normaliseTopic(header(raw, "X-Shopify-Topic") ?? "unknown");
    webhookId = header(raw, "X-Shopify-Webhook-Id") ?? `missing-${crypto.randomUUID()}`;
    apiVersion = header(raw, "X-Shopify-API-Version");
    triggeredAt = header(raw, "X-Shopify-Triggered-At");
    eventId = header(raw, "X-Shopify-Event-Id");
    bodyText = await raw.text();
  }
  let facts: Facts | null = null;
  let error: string | null = null;
  try {
    facts = factsFromBody(topic, bodyText);
  } catch (e) {
    if (!(e instanceof UnusablePayloadError)) throw e;
    error = e.message;
  }
  const at = triggeredAt ? new Date(triggeredAt) : null;
  await recordWebhook({
    shop,
    webhookId,
    eventId,
    topic,
    triggeredAt: at && !Number.isNaN(at.getTime()) ? at : null,
    apiVersion,
    facts,
    error,
  });
  return new Response(null, { status: 200 });
}
