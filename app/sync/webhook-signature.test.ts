import { describe, expect, it } from "vitest";
import { LogSeverity, shopifyApi } from "@shopify/shopify-api";
import { signBody, webhookRequest } from "../../test/helpers/webhooks";
import { TEST_API_KEY, TEST_API_SECRET, TEST_APP_URL } from "../../test/helpers/app-env";
import { API_VERSION } from "../shopify.server";
import { verifyWebhook } from "./webhook-signature.server";

const SHOP = "signature.myshopify.com";
const library = shopifyApi({
  apiKey: TEST_API_KEY,
  apiSecretKey: TEST_API_SECRET,
  apiVersion: API_VERSION,
  hostName: new URL(TEST_APP_URL).host,
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

type Outcome = { status: number } | { shop: string; topic: string; webhookId: string; apiVersion: string | null; triggeredAt: string | null };

async function ours(request: Request): Promise<Outcome> {
  try {
    const v = await verifyWebhook(request, await request.text());
    return { shop: v.shop, topic: v.topic, webhookId: v.webhookId, apiVersion: v.apiVersion, triggeredAt: v.triggeredAt };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status };
    throw thrown;
  }
}

/** What the library's `webhooks.validate` decides, in the same terms (401 bad HMAC, 400 otherwise). */
async function theirs(request: Request): Promise<Outcome> {
  const check = await library.webhooks.validate({ rawBody: await request.text(), rawRequest: request });
  if (!check.valid) return { status: check.reason === "invalid_hmac" ? 401 : 400 };
  return {
    shop: check.domain,
    topic: check.topic,
    webhookId: check.webhookId,
    apiVersion: check.apiVersion ?? null,
    triggeredAt: ("triggeredAt" in check ? (check.triggeredAt as string | undefined) : undefined) ?? null,
  };
}

function withHeaders(request: Request, change: (h: Headers) => void, body?: string): Request {
  const headers = new Headers(request.headers);
  change(headers);
  return new Request(request.url, { method: "POST", headers, body: body ?? request.clone().body, duplex: "half" } as RequestInit);
}

describe("webhook signature check", () => {
  const body = { id: 1, admin_graphql_api_id: "gid://shopify/Order/1", note: "ünïcödé ✓" };
  const raw = JSON.stringify(body);
  const cases: Array<[string, () => Request]> = [
    ["a correctly signed delivery", () => webhookRequest({ topic: "orders/create", shop: SHOP, body })],
    ["a wrong signature", () => webhookRequest({ topic: "orders/create", shop: SHOP, body, hmac: signBody(raw, "another secret") })],
    ["a signature of another length", () => webhookRequest({ topic: "orders/create", shop: SHOP, body, hmac: "abc" })],
    ["no signature header", () => withHeaders(webhookRequest({ topic: "orders/create", shop: SHOP, body }), (h) => h.delete("X-Shopify-Hmac-Sha256"))],
    ["no topic header", () => withHeaders(webhookRequest({ topic: "orders/create", shop: SHOP, body }), (h) => h.delete("X-Shopify-Topic"))],
    ["no webhook id header", () => withHeaders(webhookRequest({ topic: "orders/create", shop: SHOP, body }), (h) => h.delete("X-Shopify-Webhook-Id"))],
    ["an empty body", () => withHeaders(webhookRequest({ topic: "orders/create", shop: SHOP, body: "" }), () => {}, "")],
    ["a compliance topic", () => webhookRequest({ topic: "customers/redact", shop: SHOP, body })],
    [
      "an events delivery (shopify-* headers)",
      () =>
        new Request(`${TEST_APP_URL}/webhooks/orders/create`, {
          method: "POST",
          body: raw,
          headers: {
            "shopify-topic": "orders/create",
            "shopify-shop-domain": SHOP,
            "shopify-api-version": "2026-10",
            "shopify-webhook-id": "evt-1",
            "shopify-triggered-at": "2026-11-23T10:00:00Z",
            "shopify-hmac-sha256": signBody(raw),
          },
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`decides like the library's webhooks.validate: ${name}`, async () => {
      // GIVEN the same delivery twice
      // WHEN our check and the library's check decide
      const request = make();
      const [a, b] = [await ours(request.clone()), await theirs(request)];
      // THEN they agree (status, or the same verified fields)
      expect(a).toEqual(b);
    });
  }

  it("answers 401 to a body changed after signing", async () => {
    // GIVEN a signed delivery whose body was altered by one character
    const signed = webhookRequest({ topic: "orders/create", shop: SHOP, body });
    const tampered = withHeaders(signed, () => {}, raw.replace("1", "2"));
    // WHEN it is verified THEN 401
    expect(await ours(tampered)).toEqual({ status: 401 });
  });
});
