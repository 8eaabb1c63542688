import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { logChanges, seedPushCustomers } from "../../test/helpers/push-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { closeSyncPool } from "../sync/pg.server";
import { closeEnginePool } from "../segments/index.server";
import prisma from "../db.server";
import { pushShop, pushStatus } from "./push.server";

const CUSTOMERS = 10_000;
const BASE = 7_200_000_000_000n;
let twin: Twin;
beforeAll(async () => {
  // Shopify's Standard plan: a 1,000-point bucket restoring 100 points per second.
  twin = await startTwin({ subscriptions: [], bucketSize: 1000, restoreRate: 100, bulkStepDelayMs: 1 });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
  await closeSyncPool();
  await closeEnginePool();
});

describe("a large diff", () => {
  it("pushes 10,000 customers entering a segment through bulk mutations, and a follow-up through paced single calls", async () => {
    // GIVEN 10,000 customers with a tag of their own, each entering vip at once (e.g. after a backfill)
    const domain = "push-bulk.myshopify.com";
    const shop = twin.createShop(domain);
    const { id: shopId } = await installOnTwin(twin, domain);
    const ids = Array.from({ length: CUSTOMERS }, (_, i) => BASE + BigInt(i));
    await seedPushCustomers(shop, shopId, ids.map((id) => ({ id, tags: ["newsletter"] })));
    await logChanges(shopId, ids.map((id) => [id, "vip", "entered"] as [bigint, string, "entered"]));

    // WHEN push-back runs (Flow triggers drain separately, below)
    const firstCall = twin.graphqlCalls.length;
    const report = await pushShop(shopId, { flowLimit: 0, pollMs: 50 });
    const bulkCalls = twin.graphqlCalls.slice(firstCall);

    // THEN it went through bulk mutations (tagsAdd, then metafieldsSet in lines of 25), all completed
    expect(report.path).toBe("bulk");
    expect(report.bulkRuns.map((r) => [r.kind, r.status, r.lines, r.failed])).toEqual([
      ["tags_add", "completed", CUSTOMERS, 0],
      ["metafields", "completed", CUSTOMERS / 25, 0],
    ]);
    expect(report.remaining).toBe(0);
    // AND every customer holds seg:vip beside their own tag, and the metafield
    expect(shop.customers.filter((c) => c.id >= BASE).every((c) => c.tags.length === 2 && c.tags.includes("seg:vip") && c.tags.includes("newsletter"))).toBe(true);
    expect(JSON.parse(shop.metafield("CUSTOMER", BASE + 9_999n, "$app", "segments")!.value)).toEqual({ segments: ["vip"], offer: null, opted_out: false });
    // AND it cost a handful of calls, none throttled; no tagsAdd call per customer
    expect(bulkCalls.length).toBeLessThan(40);
    expect(bulkCalls.filter((c) => c.throttled)).toHaveLength(0);
    expect(bulkCalls.filter((c) => c.query.includes("PushTagsAdd"))).toHaveLength(0);
    // AND the Flow outbox holds exactly one trigger per change
    expect(await prisma.pushFlowTrigger.count({ where: { shopId, status: "pending" } })).toBe(CUSTOMERS);

    // WHEN 120 of them leave vip (under the bulk threshold) and the push also sends 120 Flow triggers
    await prisma.pushFlowTrigger.updateMany({ where: { shopId }, data: { status: "sent" } });
    const leaving = ids.slice(0, 120);
    await logChanges(shopId, leaving.map((id) => [id, "vip", "left"] as [bigint, string, "left"]));
    const before = twin.graphqlCalls.length;
    const second = await pushShop(shopId, { pollMs: 50, flowSeconds: 600, flowHeadroom: 0 });
    const singleCalls = twin.graphqlCalls.slice(before);

    // THEN single calls did it (about 2,500 points, more than the bucket holds), paced: at most a handful throttled
    expect(second.path).toBe("single");
    expect(second.flowSent).toBe(120);
    expect(singleCalls.filter((c) => c.query.includes("PushTagsRemove"))).toHaveLength(120);
    expect(singleCalls.filter((c) => c.throttled).length).toBeLessThanOrEqual(5);
    expect(leaving.every((id) => shop.tags(id).join() === "newsletter")).toBe(true);
    expect(await pushStatus(shopId)).toMatchObject({ behind: 0, dirty: 0, failed: 0, flowPending: 0 });
  }, 240_000);
});
