import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../app/db.server";
import { startTwin, verifyJwt, type Twin } from "./index.ts";

const DOMAIN = "auth-twin.myshopify.com";
let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ subscriptions: [] });
  twin.createShop(DOMAIN);
  // The app's Shopify libraries reach the twin through the supported fetch seam.
  process.env.SHOPIFY_ADMIN_ORIGIN = twin.url;
});
afterAll(async () => {
  await twin.stop();
});

describe("twin auth", () => {
  it("mints session tokens the way App Bridge does", () => {
    const token = twin.mintSessionToken(DOMAIN);
    const payload = verifyJwt(token, "testApiSecretKey")!;
    expect(payload).toMatchObject({ aud: "testApiKey", dest: `https://${DOMAIN}`, iss: `https://${DOMAIN}/admin` });
    expect((payload.exp as number) - (payload.iat as number)).toBe(60);
    expect(verifyJwt(token, "another-secret")).toBeNull();
  });

  it("lets the app's authenticate.admin exchange a session token for an expiring offline token, use it, and get a new one once it expired", async () => {
    // GIVEN the app's shopify instance, routed to the twin by SHOPIFY_ADMIN_ORIGIN, and no stored session
    const { authenticate } = await import("../app/shopify.server");
    const bearer = () =>
      new Request(`https://segment-sync.test/app?shop=${DOMAIN}`, { headers: { Authorization: `Bearer ${twin.mintSessionToken(DOMAIN)}` } });
    // WHEN an embedded request arrives with a session token
    const { admin, session } = await authenticate.admin(bearer());
    // THEN the library exchanged it at the twin for an expiring offline token with a refresh token
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.refreshToken).toMatch(/^shprt_/);
    expect(session.expires!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const response = await admin.graphql(`#graphql
      query ShopName { shop { name myshopifyDomain } }`);
    expect(await response.json()).toMatchObject({ data: { shop: { name: "auth-twin", myshopifyDomain: DOMAIN } } });

    // WHEN the stored token has expired
    await prisma.session.updateMany({ where: { shop: DOMAIN }, data: { expires: new Date(Date.now() - 1000) } });
    const again = await authenticate.admin(bearer());
    // THEN the library got a new one and it works
    expect(again.session.accessToken).not.toBe(session.accessToken);
    const fresh = await again.admin.graphql(`#graphql
      query ShopName { shop { name } }`);
    expect(fresh.status).toBe(200);
  });

  it("refreshes an expiring offline token; a used refresh token works until its replacement is used", async () => {
    // GIVEN an installed app holding an expiring offline token and its refresh token
    const { refreshToken, accessToken } = twin.installApp(DOMAIN);
    const refresh = async (token: string) => {
      const response = await fetch(`${twin.url}/admin/oauth/access_token`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Shopify-Shop-Domain": DOMAIN },
        body: JSON.stringify({ client_id: "testApiKey", client_secret: "testApiSecretKey", grant_type: "refresh_token", refresh_token: token }),
      });
      return { status: response.status, grant: (await response.json()) as Record<string, unknown> };
    };
    // WHEN it trades the refresh token
    const first = await refresh(refreshToken!);
    // THEN it gets a new pair with Shopify's lifetimes
    expect(first.status).toBe(200);
    expect(first.grant).toMatchObject({ expires_in: 3600, refresh_token_expires_in: 7_776_000, scope: expect.any(String) });
    expect(first.grant.access_token).not.toBe(accessToken);
    // WHEN the app lost that answer (a worker died before storing it) and trades the old one again
    const retried = await refresh(refreshToken!);
    // THEN Shopify still honours it, because no replacement has been used yet
    expect(retried.status).toBe(200);
    // WHEN the app uses a replacement
    expect((await refresh(String(retried.grant.refresh_token))).status).toBe(200);
    // THEN the original is retired
    expect(await refresh(refreshToken!)).toMatchObject({ status: 400, grant: { error: "invalid_grant" } });
  });

  it("rejects a token exchange with a forged session token", async () => {
    const forged = twin.mintSessionToken(DOMAIN).replace(/\.[^.]+$/, ".forged");
    const response = await fetch(`${twin.url}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Shop-Domain": DOMAIN },
      body: JSON.stringify({
        client_id: "testApiKey",
        client_secret: "testApiSecretKey",
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: forged,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
        expiring: "1",
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_subject_token" });
  });

  it("stops accepting a token after uninstall", async () => {
    const { accessToken } = twin.installApp(DOMAIN);
    const admin = twin.adminClient(DOMAIN, accessToken);
    expect((await admin.graphql("{ shop { name } }")).status).toBe(200);
    twin.shop(DOMAIN).uninstall();
    expect((await admin.graphql("{ shop { name } }")).status).toBe(401);
  });
});
