import { createHmac, randomUUID } from "node:crypto";
import { TEST_API_SECRET, TEST_APP_URL } from "./app-env.ts";

export interface WebhookDelivery {
  topic: string;
  shop: string;
  body: unknown;
  secret?: string;
  webhookId?: string;
  eventId?: string;
  triggeredAt?: string;
  apiVersion?: string;
  /** Overrides the computed signature (for bad-HMAC tests). */
  hmac?: string;
}

/** base64 HMAC-SHA256 of the raw body, as Shopify signs webhook deliveries. */
export function signBody(rawBody: string, secret = TEST_API_SECRET) {
  return createHmac("sha256", secret).update(rawBody, "utf8").digest("base64");
}

/** A webhook request exactly as Shopify sends it: raw body, signature and headers. */
export function webhookRequest(d: WebhookDelivery): Request {
  const raw = typeof d.body === "string" ? d.body : JSON.stringify(d.body);
  const path = `/webhooks/${d.topic.replace(/\./g, "/")}`;
  return new Request(`${TEST_APP_URL}${path}`, {
    method: "POST",
    body: raw,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": d.topic,
      "X-Shopify-Shop-Domain": d.shop,
      "X-Shopify-API-Version": d.apiVersion ?? "2026-10",
      "X-Shopify-Webhook-Id": d.webhookId ?? randomUUID(),
      "X-Shopify-Event-Id": d.eventId ?? randomUUID(),
      "X-Shopify-Triggered-At": d.triggeredAt ?? new Date().toISOString(),
      "X-Shopify-Hmac-Sha256": d.hmac ?? signBody(raw, d.secret),
    },
  });
}
