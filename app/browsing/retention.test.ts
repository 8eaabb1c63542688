// The daily browsing job: per-shop retention over day partitions, and rolling windows.
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closeEnginePool, updateSegmentSettings } from "../segments/index.server";
import { createShop } from "../../test/factories";
import { eraseBrowsingCustomer } from "./compliance.server";
import { forgetShops, ingestPixelBatch, pixelToken } from "./ingest.server";
import { forgetPartitions, listPartitions } from "./partitions.server";
import { closeBrowsingPool } from "./pool.server";
import { RetentionSettingError, applyPixelRetention, runBrowsingMaintenance, setPixelRetentionDays } from "./retention.server";
import type { ParsedEvent } from "./wire";

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
afterAll(async () => {
  await db.end();
  await closeBrowsingPool();
  await closeEnginePool();
});
beforeEach(() => {
  forgetShops();
  forgetPartitions();
});

const DAY = 86400_000;
const NOW = new Date("2026-11-20T12:00:00Z");

function event(i: number, at: Date, extra: Partial<ParsedEvent> = {}): ParsedEvent {
  return { id: `e-${i}`, name: "page_viewed", at, customerId: null, productId: null, variantId: null, rec: false, checkout: null, products: [], ...extra };
}

/** One page view per day for `days` days before NOW, each ingested the day it happened. */
async function browseDaily(domain: string, clientId: string, days: number, customerId: bigint | null = null) {
  for (let d = days; d >= 1; d--) {
    const at = new Date(NOW.getTime() - d * DAY);
    const res = await ingestPixelBatch({ shop: domain, token: pixelToken(domain), clientId, events: [event(d, at, { customerId })] }, { now: at });
    expect(res.status).toBe(202);
  }
}

const eventsOf = async (shopId: number) => (await db.query<{ n: number }>("select count(*)::int as n from pixel_events where shop_id = $1", [shopId])).rows[0].n;

describe("pixel retention", () => {
  it("keeps 90 days by default, a shop's shorter window by deleting its rows, and drops day tables past every window", async () => {
    // GIVEN two shops with a page view a day for 120 days; shop B keeps 40 days
    const a = await createShop();
    const b = await createShop();
    await setPixelRetentionDays(b.id, 40);
    await browseDaily(a.domain, "client-a", 120);
    await browseDaily(b.domain, "client-b", 120);
    expect((await listPartitions(db)).length).toBe(120);

    // WHEN the retention job runs
    const result = await applyPixelRetention({ now: NOW });

    // THEN day tables older than 90 days are gone (both shops' rows with them)
    expect(result.droppedDays).toHaveLength(30);
    expect(result.droppedDays[0]).toBe("2026-07-23");
    const days = (await listPartitions(db)).map((p) => p.day);
    expect(days[0]).toBe("2026-08-22");
    // AND tomorrow's table is ready
    expect(days).toContain("2026-11-21");
    // AND shop A keeps 90 days, shop B 40
    expect(await eventsOf(a.id)).toBe(90);
    expect(await eventsOf(b.id)).toBe(40);
    expect(result.deletedEvents).toBe(50);
    // AND running it again changes nothing
    expect(await applyPixelRetention({ now: NOW })).toEqual({ droppedDays: [], deletedEvents: 0, forgottenClients: 0 });
  });

  it("refuses a window shorter than the 30-day feature lookback or longer than a year", async () => {
    const s = await createShop();
    await expect(setPixelRetentionDays(s.id, 7)).rejects.toThrow(RetentionSettingError);
    await expect(setPixelRetentionDays(s.id, 400)).rejects.toThrow(RetentionSettingError);
  });

  it("the daily pass rolls the windows: a customer who stopped browsing leaves deep-browser", async () => {
    // GIVEN a customer who viewed a page every day for 20 days, up to yesterday, in deep-browser (>= 15 pages)
    const s = await createShop();
    await db.query("insert into customers (shop_id, id, updated_at) values ($1, 42, now())", [s.id]);
    await updateSegmentSettings(s.id, "deep-browser", { enabled: true, settings: { minPages: 15 } });
    await browseDaily(s.domain, "client-c", 20, 42n);
    await runBrowsingMaintenance({ now: NOW });
    const member = async () =>
      (await db.query("select 1 from memberships where shop_id = $1 and segment_key = 'deep-browser' and customer_id = 42", [s.id])).rowCount;
    expect(await member()).toBe(1);
    // WHEN the daily pass runs 15 days later with no new events
    await runBrowsingMaintenance({ now: new Date(NOW.getTime() + 15 * DAY) });
    // THEN only 5 of the pages are within 30 days: they left, and the change log says so
    expect(await member()).toBe(0);
    const changes = await db.query("select change from membership_changes where shop_id = $1 and segment_key = 'deep-browser' order by id", [s.id]);
    expect(changes.rows.map((r) => r.change)).toEqual(["entered", "left"]);
  });

  it("erasing a customer removes their clients' events, anonymous ones included, and nobody else's", async () => {
    // GIVEN a client that browsed anonymously for 5 days then logged in as customer 77, and another shopper
    const s = await createShop();
    await browseDaily(s.domain, "client-x", 5);
    await ingestPixelBatch({ shop: s.domain, token: pixelToken(s.domain), clientId: "client-x", events: [event(99, new Date(NOW.getTime() - 1000), { customerId: 77n })] }, { now: NOW });
    await browseDaily(s.domain, "client-y", 3);
    // WHEN customer 77 is erased
    const n = await eraseBrowsingCustomer(db, s.id, 77n);
    // THEN their 6 events and the link are gone; the other client's 3 events stay
    expect(n).toBe(6 + 1 + 1);
    expect(await eventsOf(s.id)).toBe(3);
    expect((await db.query("select client_id from browsing_clients where shop_id = $1", [s.id])).rows).toEqual([{ client_id: "client-y" }]);
  });
});
