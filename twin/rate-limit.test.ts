import { afterEach, describe, expect, it } from "vitest";
import { generateTwinStore, startTwin, type Twin } from "./index.ts";

const DOMAIN = "bucket-twin.myshopify.com";
let twin: Twin | undefined;
afterEach(async () => {
  await twin?.stop();
  twin = undefined;
});

const PAGE = `{ customers(first: 10) { nodes { id } } }`; // requested 2 + 10 × 1 = 12

describe("cost-based rate limit", () => {
  it("reports requested and actual cost with the bucket on every response", async () => {
    // GIVEN a shop with 4 customers (fewer than asked for)
    twin = await startTwin({ subscriptions: [], bucketSize: 1000, restoreRate: 100 });
    await twin.seed(DOMAIN, generateTwinStore({ customers: 4, orders: 0 }));
    const admin = twin.adminClient(DOMAIN);
    // WHEN a page of 10 is asked for
    const result = await admin.graphql(PAGE);
    // THEN the requested cost counts 10 nodes, the actual cost the 4 returned
    expect(result.extensions?.cost).toMatchObject({
      requestedQueryCost: 12,
      actualQueryCost: 6,
      throttleStatus: { maximumAvailable: 1000, restoreRate: 100 },
    });
    expect(result.extensions!.cost!.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(994);
  });

  it("throttles a burst beyond the bucket with Shopify's THROTTLED error", async () => {
    // GIVEN a small bucket that barely refills
    twin = await startTwin({ subscriptions: [], bucketSize: 50, restoreRate: 1 });
    await twin.seed(DOMAIN, generateTwinStore({ customers: 20, orders: 0 }));
    const admin = twin.adminClient(DOMAIN);
    // WHEN the app sends queries of cost 12 back to back
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await admin.graphql(PAGE));
    // THEN the first four pass and the fifth is throttled (50 - 4 × 12 = 2 points left)
    expect(results.slice(0, 4).every((r) => r.data && !r.errors)).toBe(true);
    const throttled = results[4];
    expect(throttled.status).toBe(200);
    expect(throttled.data).toBeUndefined();
    expect(throttled.errors).toEqual([
      { message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } },
    ]);
    const cost = throttled.extensions!.cost!;
    expect(cost.requestedQueryCost).toBe(12);
    expect(cost.actualQueryCost).toBeNull();
    expect(cost.throttleStatus.maximumAvailable).toBe(50);
    expect(cost.throttleStatus.restoreRate).toBe(1);
    expect(cost.throttleStatus.currentlyAvailable).toBeLessThan(12);
    expect(cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(2);
    expect(twin.graphqlCalls.filter((c) => c.throttled).length).toBeGreaterThanOrEqual(1);
  });

  it("rejects a query costing more than 1000 points", async () => {
    twin = await startTwin({ subscriptions: [] });
    await twin.seed(DOMAIN, generateTwinStore({ customers: 2, orders: 0 }));
    const result = await twin.adminClient(DOMAIN).graphql(`{ customers(first: 250) { nodes { id orders(first: 250) { nodes { id } } } } }`);
    expect(result.errors?.[0].extensions).toMatchObject({ code: "MAX_COST_EXCEEDED", maxCost: 1000 });
    expect(result.errors?.[0].message).toMatch(/^Query cost is \d+, which exceeds the single query max cost limit \(1000\)/);
  });

  it("injects server errors, forced throttles and timeouts", async () => {
    twin = await startTwin({ subscriptions: [] });
    await twin.seed(DOMAIN, generateTwinStore({ customers: 2, orders: 0 }));
    const admin = twin.adminClient(DOMAIN);
    const shop = twin.shop(DOMAIN);
    shop.setApiFaults({ serverErrors: 1, throttled: 1, timeouts: 1, timeoutMs: 50 });
    const timedOut = await fetch(`${twin.url}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": admin.accessToken, "X-Shopify-Shop-Domain": DOMAIN },
      body: JSON.stringify({ query: "{ shop { name } }" }),
    }).then(
      () => "answered",
      () => "socket closed",
    );
    expect(timedOut).toBe("socket closed");
    expect((await admin.graphql("{ shop { name } }")).status).toBe(503);
    expect((await admin.graphql("{ shop { name } }")).errors?.[0].extensions?.code).toBe("THROTTLED");
    expect((await admin.graphql("{ shop { name } }")).data).toEqual({ shop: { name: "bucket-twin" } });
  });
});
