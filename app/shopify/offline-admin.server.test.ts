import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { countTokenRefreshes, expireOfflineToken, installOnTwin } from "../../test/helpers/sync-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "./admin-client.server";
import { offlineAdmin } from "./offline-admin.server";

vi.hoisted(() => {
  // Before admin-client reads it: a refused refresh fails after two tries, not eight.
  process.env.ADMIN_API_MAX_TRIES = "2";
});

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin();
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
});

const SHOP_NAME = `#graphql
  query OfflineAdminTestShop { shop { name } }
`;

describe("the offline Admin API session", () => {
  it("is refreshed once when several callers find the token expired at the same moment", async () => {
    // GIVEN an installed shop whose offline token has just expired
    const domain = "offline-once.myshopify.com";
    twin.createShop(domain);
    await installOnTwin(twin, domain);
    await expireOfflineToken(twin, domain);
    const refreshes = countTokenRefreshes(twin);

    // WHEN four callers (as four worker processes would) ask for the Admin API at once
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const { admin } = await offlineAdmin(domain);
        return (await admin.graphql(SHOP_NAME)).status;
      }),
    );

    // THEN one of them traded the refresh token and the others used the pair it stored
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(refreshes).toEqual({ ok: 1, refused: 0 });
  });

  it("recovers when the answer to a refresh was lost before it was stored", async () => {
    // GIVEN an expired token whose refresh token was traded by a worker that died before storing
    // the new pair
    const domain = "offline-lost.myshopify.com";
    twin.createShop(domain);
    await installOnTwin(twin, domain);
    await expireOfflineToken(twin, domain);
    const stored = await prisma.session.findUniqueOrThrow({ where: { id: `offline_${domain}` } });
    expect(twin.tokens.useRefresh(stored.refreshToken!, domain)).not.toBeNull();

    // WHEN the app next calls the Admin API
    const data = await adminFor(domain).request<{ shop: { name: string } }>(SHOP_NAME);

    // THEN the stored refresh token still worked (Shopify keeps it until a replacement is used)
    expect(data.shop.name).toBeTruthy();
    const now = await prisma.session.findUniqueOrThrow({ where: { id: `offline_${domain}` } });
    expect(now.refreshToken).not.toBe(stored.refreshToken);
    expect(now.expires!.getTime()).toBeGreaterThan(Date.now());
  });

  it("says what the merchant must do when Shopify refuses the refresh", async () => {
    // GIVEN an expired token whose refresh token Shopify no longer accepts
    const domain = "offline-refused.myshopify.com";
    twin.createShop(domain);
    await installOnTwin(twin, domain);
    await expireOfflineToken(twin, domain);
    await prisma.session.updateMany({ where: { id: `offline_${domain}` }, data: { refreshToken: "shprt_revoked" } });

    // WHEN the app calls the Admin API
    const call = adminFor(domain).request(SHOP_NAME);

    // THEN it fails, retryably, with a message a person can act on (not "undefined")
    await expect(call).rejects.toMatchObject({
      name: "AdminApiError",
      message: expect.stringMatching(/token refresh failed for offline-refused\.myshopify\.com: .*open the app once to authorise it again/),
      details: { retryable: true },
    });
  });
});
