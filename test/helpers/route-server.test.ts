import { describe, expect, it } from "vitest";
import { webhookRequest } from "./webhooks";
import { routeFileFor, startRouteServer } from "./route-server";
import { createShop } from "../factories";
import prisma from "../../app/db.server";

describe("route server", () => {
  it("maps paths to flat route files", () => {
    expect(routeFileFor("/webhooks/app/uninstalled")).toMatch(/webhooks\.app\.uninstalled\.tsx$/);
    expect(routeFileFor("/webhooks/app/scopes_update")).toMatch(/webhooks\.app\.scopes_update\.tsx$/);
    expect(routeFileFor("/nowhere")).toBeNull();
  });

  it("delivers an HTTP webhook to the real route action", async () => {
    // GIVEN an installed shop and the app's routes served over HTTP
    await createShop({ domain: "http-hook.myshopify.com" });
    const server = await startRouteServer();
    try {
      // WHEN a signed app/uninstalled is POSTed
      const signed = webhookRequest({ topic: "app/uninstalled", shop: "http-hook.myshopify.com", body: { id: 1 } });
      const response = await fetch(`${server.url}/webhooks/app/uninstalled`, {
        method: "POST",
        headers: signed.headers,
        body: await signed.text(),
      });
      // THEN the route ran
      expect(response.status).toBe(200);
      const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: "http-hook.myshopify.com" } });
      expect(shop.installState).toBe("uninstalled");
    } finally {
      await server.stop();
    }
  });
});
