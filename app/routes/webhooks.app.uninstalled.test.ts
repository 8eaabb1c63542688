import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { webhookRequest } from "../../test/helpers/webhooks";
import { createShop, createSession } from "../../test/factories";
import { action } from "./webhooks.app.uninstalled";

const shop = "uninstall-me.myshopify.com";
const other = "keep-me.myshopify.com";

async function callAction(request: Request) {
  try {
    return await action({ request, params: {}, context: {} });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("webhooks/app/uninstalled", () => {
  it("removes the shop's sessions and marks it uninstalled when the signature is right", async () => {
    // GIVEN an installed shop with an offline session, and another shop
    await createShop({ domain: shop });
    await createSession(shop);
    await createShop({ domain: other });
    await createSession(other);

    // WHEN Shopify delivers a correctly signed app/uninstalled
    const response = await callAction(webhookRequest({ topic: "app/uninstalled", shop, body: { id: 1, domain: shop } }));

    // THEN it answers 200, the shop's sessions are gone and it is uninstalled; the other shop is untouched
    expect(response.status).toBe(200);
    expect(await prisma.session.count({ where: { shop } })).toBe(0);
    expect((await prisma.shop.findUniqueOrThrow({ where: { domain: shop } })).installState).toBe("uninstalled");
    expect(await prisma.session.count({ where: { shop: other } })).toBe(1);
    expect((await prisma.shop.findUniqueOrThrow({ where: { domain: other } })).installState).toBe("installed");
  });

  it("answers 401 and changes nothing when the signature is wrong", async () => {
    // GIVEN an installed shop with a session
    await createShop({ domain: shop });
    await createSession(shop);

    // WHEN a delivery signed with another secret arrives
    const response = await callAction(
      webhookRequest({ topic: "app/uninstalled", shop, body: { id: 1 }, secret: "not-the-app-secret" }),
    );

    // THEN 401, and the session and install state stay
    expect(response.status).toBe(401);
    expect(await prisma.session.count({ where: { shop } })).toBe(1);
    expect((await prisma.shop.findUniqueOrThrow({ where: { domain: shop } })).installState).toBe("installed");
  });
});
