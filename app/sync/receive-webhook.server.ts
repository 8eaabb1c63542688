// The request path of every sync webhook route: verify the signature (401 if bad), turn the raw
// body into facts, record + enqueue, answer 200. Nothing heavy happens here.
import { recordWebhook } from "./events.server";
import { factsFromBody, normaliseTopic, UnusablePayloadError, type Facts } from "./payloads.server";
import { verifyWebhook } from "./webhook-signature.server";

export async function receiveWebhook(request: Request): Promise<Response> {
  const rawBody = await request.text();
  const hook = await verifyWebhook(request, rawBody);
  const topic = normaliseTopic(hook.topic);
  let facts: Facts | null = null;
  let error: string | null = null;
  try {
    facts = factsFromBody(topic, rawBody);
  } catch (e) {
    if (!(e instanceof UnusablePayloadError)) throw e;
    // Signed but unusable: recorded as failed, answered 200 (a retry would not make it usable).
    error = e.message;
  }
  const at = hook.triggeredAt ? new Date(hook.triggeredAt) : null;
  await recordWebhook({
    shop: hook.shop,
    webhookId: hook.webhookId,
    eventId: hook.eventId,
    topic,
    triggeredAt: at && !Number.isNaN(at.getTime()) ? at : null,
    apiVersion: hook.apiVersion,
    facts,
    error,
  });
  return new Response(null, { status: 200 });
}
