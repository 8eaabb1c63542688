// The app's logs are kept for a window, not forever.
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createShop } from "../../test/factories";
import { closeSyncPool } from "../sync/pg.server";
import { pruneLogs } from "./log-retention.server";

afterAll(async () => {
  await closeSyncPool();
});

const DAY = 86_400_000;
const NOW = new Date("2026-11-23T01:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

describe("log retention", () => {
  it("prunes processed deliveries after 30 days, failed ones after 90, data exports after 90, and nothing still pending", async () => {
    // GIVEN a shop's webhook log with deliveries of every status at several ages, and two data exports
    const shop = await createShop();
    const event = (key: string, status: string, age: number) =>
      prisma.webhookEvent.create({ data: { shop: shop.domain, webhookId: key, topic: "orders/create", status, receivedAt: daysAgo(age) } });
    await event("applied-31", "applied", 31);
    await event("ignored-31", "ignored", 31);
    await event("applied-29", "applied", 29);
    await event("failed-31", "failed", 31);
    await event("parked-91", "parked", 91);
    await event("failed-91", "failed", 91);
    await event("received-200", "received", 200);
    await event("stored-200", "stored", 200);
    const request = await prisma.complianceRequest.create({ data: { shopId: shop.id, shopDomain: shop.domain, topic: "customers/data_request", status: "completed" } });
    const exportAt = (age: number) =>
      prisma.dataExport.create({ data: { shopId: shop.id, complianceRequestId: request.id, subjectCustomerId: 7n, data: {}, createdAt: daysAgo(age) } });
    await exportAt(91);
    const recent = await exportAt(10);

    // WHEN the daily retention pass runs (one row per slice, so each slice starts where the last stopped)
    const pruned = await pruneLogs({ now: NOW, slice: 1 });

    // THEN old processed and old failed deliveries and the old export are gone; pending work, recent rows and the compliance log stay
    expect(pruned).toEqual({ processedEvents: 2, failedEvents: 2, dataExports: 1 });
    const left = await prisma.webhookEvent.findMany({ where: { shop: shop.domain }, select: { webhookId: true }, orderBy: { webhookId: "asc" } });
    expect(left.map((e) => e.webhookId)).toEqual(["applied-29", "failed-31", "received-200", "stored-200"]);
    expect((await prisma.dataExport.findMany({ where: { shopId: shop.id } })).map((e) => e.id)).toEqual([recent.id]);
    expect(await prisma.complianceRequest.count({ where: { id: request.id } })).toBe(1);

    // AND a second pass finds nothing more
    expect(await pruneLogs({ now: NOW })).toEqual({ processedEvents: 0, failedEvents: 0, dataExports: 0 });
  });
});
