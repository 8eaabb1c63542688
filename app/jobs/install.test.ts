// After an install: the storefront web pixel is activated in the twin with this shop's settings.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { startTwinForFile } from "../../test/helpers/twin-app";
import { pixelToken } from "../browsing/ingest.server";
import { pixelSettings, runAfterInstall } from "./install.server";
import { action as scopesUpdate } from "../routes/webhooks.app.scopes_update";
import { webhookRequest } from "../../test/helpers/webhooks";

const app = startTwinForFile({ appUrl: "http://127.0.0.1:9" });

const settingsOf = (domain: string) => JSON.parse(app.twin.shop(domain).webPixel?.settings ?? "null");

describe("after an install", () => {
  it("activates the web pixel with the shop's ingest URL and token, once, and follows a new app URL", async () => {
    // GIVEN a shop that installed the app
    const domain = "pixel-install.myshopify.com";
    app.twin.createShop(domain);
    await installOnTwin(app.twin, domain);
    // WHEN the after-install job runs (twice: a retried job)
    const first = await runAfterInstall(domain);
    const again = await runAfterInstall(domain);
    // THEN the shop has one pixel, with the settings the extension declares
    expect(first).toEqual({ pixel: expect.stringMatching(/^gid:\/\/shopify\/WebPixel\/\d+$/) });
    expect(again).toEqual(first);
    const declared = [...readFileSync(path.resolve(import.meta.dirname, "../../extensions/browsing-pixel/shopify.extension.toml"), "utf8").matchAll(/^\[settings\.fields\.(\w+)\]/gm)].map((m) => m[1]);
    expect(Object.keys(settingsOf(domain)).sort()).toEqual(declared.sort());
    expect(settingsOf(domain)).toEqual({ ingestUrl: `${process.env.SHOPIFY_APP_URL!.replace(/\/+$/, "")}/pixel/events`, token: pixelToken(domain) });

    // WHEN the app moves to another URL and the job runs again (a reinstall)
    const before = process.env.SHOPIFY_APP_URL;
    process.env.SHOPIFY_APP_URL = "https://segments.example.com/";
    try {
      expect(await runAfterInstall(domain)).toEqual(first);
    } finally {
      process.env.SHOPIFY_APP_URL = before;
    }
    // THEN the same pixel sends to the new URL
    expect(settingsOf(domain).ingestUrl).toBe("https://segments.example.com/pixel/events");
    expect(pixelSettings(domain).token).toBe(pixelToken(domain));
  });

  it("does nothing for a shop that uninstalled before the job ran", async () => {
    const domain = "pixel-gone.myshopify.com";
    app.twin.createShop(domain);
    const shop = await installOnTwin(app.twin, domain);
    await prisma.shop.update({ where: { id: shop.id }, data: { installState: "uninstalled" } });
    expect(await runAfterInstall(domain)).toEqual({ skipped: "not installed" });
    expect(app.twin.shop(domain).webPixel).toBeNull();
  });

  it("asks for the activation again when the merchant grants the pixel scopes", async () => {
    // GIVEN an installed shop
    const domain = "pixel-scopes.myshopify.com";
    app.twin.createShop(domain);
    await installOnTwin(app.twin, domain);
    // WHEN Shopify reports updated scopes, first without then with write_pixels
    for (const current of [["read_customers"], ["read_customers", "write_pixels", "read_customer_events"]]) {
      const res = await scopesUpdate({ request: webhookRequest({ topic: "app/scopes_update", shop: domain, body: { id: 1, previous: [], current } }), params: {}, context: {} });
      expect(res.status).toBe(200);
    }
    // THEN one after-install job waits for this shop
    const jobs = await prisma.$queryRaw<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'shop-installed' and data->>'domain' = ${domain}`;
    expect(jobs[0].n).toBe(1);
  });
});
