// The daily pass: time alone moves customers between segments.
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createCustomer, createFullOrder, createShop } from "../../test/factories";
import { closeEnginePool } from "../segments/index.server";
import { closeSyncPool } from "../sync/pg.server";
import { recomputeShop } from "../sync/recompute.server";
import { dueShops, localDayAndHour, runDailyShop } from "./daily.server";

afterAll(async () => {
  await closeSyncPool();
  await closeEnginePool();
});

const DAY = 86_400_000;

describe("the daily pass", () => {
  it("knows each shop's local day and hour, and picks the shops whose day has just begun", async () => {
    // GIVEN shops in Kolkata (UTC+5:30), New York and UTC, and an uninstalled one in Kolkata
    const kolkata = await createShop({ timezone: "Asia/Kolkata" });
    await createShop({ timezone: "America/New_York" });
    await createShop({ timezone: "UTC" });
    const gone = await createShop({ timezone: "Asia/Kolkata" });
    await prisma.shop.update({ where: { id: gone.id }, data: { installState: "uninstalled" } });
    // WHEN it is 18:45 UTC on 22 November, 00:15 on the 23rd in Kolkata
    const now = new Date("2026-11-22T18:45:00Z");
    // THEN only the installed Kolkata shop is due, for its 23 November
    expect(localDayAndHour("Asia/Kolkata", now)).toEqual({ day: "2026-11-23", hour: 0 });
    expect(localDayAndHour("America/New_York", now)).toEqual({ day: "2026-11-22", hour: 13 });
    expect(localDayAndHour("Not/AZone", now)).toEqual({ day: "2026-11-22", hour: 18 });
    expect(await dueShops(now)).toEqual([{ shopId: kolkata.id, day: "2026-11-23" }]);
  });

  it("moves a customer whose window ran out without any new order", async () => {
    // GIVEN a customer whose only order is 170 days old: not lost (the threshold is 180 days)
    const shop = await createShop();
    const customer = await createCustomer(shop.id, { createdAt: new Date(Date.now() - 400 * DAY) });
    const order = await createFullOrder(shop.id, customer.id, { processedAt: new Date(Date.now() - 170 * DAY) });
    await recomputeShop(shop.id);
    const isLost = async () => (await prisma.membership.count({ where: { shopId: shop.id, segmentKey: "lost", customerId: customer.id } })) === 1;
    expect(await isLost()).toBe(false);
    // WHEN eleven days pass (the order is now 181 days old) and the daily pass runs
    await prisma.order.update({ where: { shopId_id: { shopId: shop.id, id: order.id } }, data: { processedAt: new Date(Date.now() - 181 * DAY) } });
    expect(await runDailyShop(shop.id)).toEqual({ recomputed: shop.id });
    // THEN the customer is lost, and the change log says they entered
    expect(await isLost()).toBe(true);
    expect(await prisma.membershipChange.count({ where: { shopId: shop.id, segmentKey: "lost", customerId: customer.id } })).toBe(1);
  });

  it("skips a shop that uninstalled since it was enqueued", async () => {
    const shop = await createShop();
    await prisma.shop.update({ where: { id: shop.id }, data: { installState: "uninstalled" } });
    expect(await runDailyShop(shop.id)).toEqual({ skipped: "not installed" });
  });
});
