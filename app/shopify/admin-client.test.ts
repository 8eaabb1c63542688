import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor, waitForPoints } from "./admin-client.server";
import { getShop } from "./get-shop.server";
import { generateStore } from "../../datasets/generate.ts";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ bucketSize: 100, restoreRate: 50 });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
});

const CUSTOMERS = `#graphql
  query AdminClientTestCustomers {
    customers(first: 10) { edges { node { id } } }
  }
`;

describe("admin client", () => {
  it("retries THROTTLED and 5xx answers with backoff, then returns the data", async () => {
    // GIVEN the app installed on a twin shop whose next Admin calls fail: 2 × HTTP 503, 2 × THROTTLED
    const domain = "admin-client.myshopify.com";
    twin.createShop(domain, { currency: "EUR", timezone: "Europe/Madrid" });
    await installOnTwin(twin, domain);
    twin.shop(domain).setApiFaults({ serverErrors: 2, serverErrorStatus: 503, throttled: 2 });

    // WHEN the app asks for the shop
    const shop = await getShop(domain);

    // THEN it got the answer after the failed attempts
    expect(shop).toMatchObject({ currency: "EUR", timezone: "Europe/Madrid" });
    const calls = twin.graphqlCalls.filter((c) => c.shop === domain);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(calls.at(-1)?.status).toBe(200);
  });

  it("paces one lane per shop to the restore rate instead of running into THROTTLED", async () => {
    // GIVEN a shop whose bucket holds 100 points, restoring 50 per second
    const domain = "admin-pace.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 50, ordersPerCustomer: 1, seed: 5, domain }));
    await installOnTwin(twin, domain);
    // WHEN 12 queries of ~22 points each are sent at once
    const admin = adminFor(domain);
    await Promise.all(Array.from({ length: 12 }, () => admin.request(CUSTOMERS)));
    // THEN they all succeeded, and the client waited for points rather than being throttled much
    const calls = twin.graphqlCalls.filter((c) => c.shop === domain);
    expect(calls.filter((c) => c.status === 200 && !c.throttled).length).toBe(12);
    expect(calls.filter((c) => c.throttled).length).toBeLessThanOrEqual(2);
    const spent = calls.reduce((n, c) => n + (c.actualQueryCost ?? 0), 0);
    expect(spent).toBeGreaterThan(100); // more than the bucket holds: the lane had to wait for points
  });

  it("computes the wait for points from the last throttle status", () => {
    const bucket = { status: { maximumAvailable: 1000, currentlyAvailable: 100, restoreRate: 100 }, at: 0, lastCost: 50 };
    expect(waitForPoints(bucket, 50, 0)).toBe(0);
    expect(waitForPoints(bucket, 300, 0)).toBe(2000);
    expect(waitForPoints(bucket, 300, 1000)).toBe(1000);
    expect(waitForPoints(null, 300)).toBe(0);
  });
});
