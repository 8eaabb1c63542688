import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startTwin, type Twin } from "../../twin/index.ts";
import { generateStore } from "../../datasets/generate.ts";
import { installOnTwin, dbFigures, twinFigures } from "../../test/helpers/sync-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { drainRuns } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";
import { closeSyncPool, syncPool } from "./pg.server";
import { driveRun, getBackfillProgress, startSyncRun } from "./runs.server";

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ bulkStepDelayMs: 5 });
  void adminFor; // the admin client module (and app/shopify.server.ts) is loaded before rerouting
  routeShopifyTrafficTo(twin.url);
});
// Each test picks its batch size (small, so a small shop spans several batches).
afterEach(() => {
  delete process.env.SYNC_COPY_BATCH_LINES;
});
afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await twin?.stop();
});

describe("backfill from the twin", () => {
  it("imports a 5,000-customer shop completely, with progress that advances", async () => {
    // GIVEN a twin shop with 5,000 customers and their order history, and the app installed on it
    const domain = "backfill-5k.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 5000, ordersPerCustomer: 3, seed: 7, domain }));
    const shop = await installOnTwin(twin, domain);
    process.env.SYNC_COPY_BATCH_LINES = "2000";

    // WHEN a backfill runs while the admin reads its progress
    const { runId } = await startSyncRun(shop.id, "backfill");
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const p = await getBackfillProgress(shop.id);
        if (p && p.status === "loading") seen.push(p.rows);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await drainRuns();
    watching = false;
    await watcher;

    // THEN the database holds exactly the twin's customers and orders (totals, refunds, items)
    const twinSide = twinFigures(twin.shop(domain));
    const dbSide = await dbFigures(shop.id);
    expect(dbSide.customers.length).toBe(5000);
    expect(dbSide.customers).toEqual(twinSide.customers);
    expect(dbSide.optedOut).toEqual(twinSide.optedOut);
    expect(Object.keys(dbSide.orders).length).toBe(Object.keys(twinSide.orders).length);
    expect(dbSide.orders).toEqual(twinSide.orders);
    // AND the product types came with the line items
    expect(await prisma.lineItem.count({ where: { shopId: shop.id, productType: null } })).toBe(0);
    // AND the run is complete, its progress went up through several checkpoints to 100 %
    const done = await getBackfillProgress(shop.id);
    expect(done).toMatchObject({ runId: String(runId), status: "completed", percent: 100, notice: null });
    expect(new Set(seen).size).toBeGreaterThan(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("imports only the last 60 days of orders when read_all_orders is not granted, and says so", async () => {
    // GIVEN a twin shop with two years of history, installed without read_all_orders
    const domain = "backfill-60d.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 300, seed: 3, domain }));
    const shop = await installOnTwin(twin, domain, { scope: "read_customers,write_customers,read_orders" });

    // WHEN the backfill runs
    await startSyncRun(shop.id, "backfill");
    await drainRuns();

    // THEN only orders created in the last 60 days are stored, and the merchant gets a notice
    const cutoff = Date.now() - 60 * 86_400_000;
    const recent = twin.shop(domain).orders.filter((o) => o.createdAt >= cutoff + 60_000);
    const stored = await prisma.order.count({ where: { shopId: shop.id } });
    expect(stored).toBeGreaterThanOrEqual(recent.length);
    expect(stored).toBeLessThan(twin.shop(domain).orders.length);
    expect(await prisma.order.count({ where: { shopId: shop.id, createdAt: { lt: new Date(cutoff - 86_400_000) } } })).toBe(0);
    expect((await getBackfillProgress(shop.id))?.notice).toBe("orders_limited_60_days");
  });

  it("keeps a newer order a webhook stored before the backfill reached it, and still imports everything else", async () => {
    // GIVEN a twin shop, and one of its orders already stored by a webhook in a newer version than
    // the export will carry (so the backfill's direct copy meets a row that is already there)
    const domain = "backfill-newer.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 400, ordersPerCustomer: 3, seed: 21, domain }));
    const shop = await installOnTwin(twin, domain);
    process.env.SYNC_COPY_BATCH_LINES = "300";
    const newer = twin.shop(domain).orders[700];
    await syncPool().query(
      `insert into orders (shop_id, id, customer_id, created_at, processed_at, updated_at, currency, total_price, item_count)
       values ($1, $2, $3, now(), now(), now() + interval '1 day', 'USD', 12345.67, 1)`,
      [shop.id, newer.id, newer.customerId],
    );

    // WHEN the backfill runs
    await startSyncRun(shop.id, "backfill");
    await drainRuns();

    // THEN the newer stored version is kept (an older updated_at never overwrites a newer row)
    const kept = await syncPool().query("select total_price::text from orders where shop_id = $1 and id = $2", [shop.id, newer.id]);
    expect(kept.rows[0].total_price).toBe("12345.6700");
    // AND every other order and every customer equals the twin's
    const twinSide = twinFigures(twin.shop(domain));
    const dbSide = await dbFigures(shop.id);
    delete twinSide.orders[String(newer.id)];
    delete dbSide.orders[String(newer.id)];
    expect(dbSide).toEqual(twinSide);
  });

  it("resumes a run stopped in the middle of loading at its checkpoint, without duplicates or loss", async () => {
    // GIVEN a twin shop and a backfill that is stopped (as a killed worker would be) once some
    // batches of the orders file have committed
    const domain = "backfill-resume.myshopify.com";
    await twin.seed(domain, generateStore({ customers: 1500, ordersPerCustomer: 3, seed: 5, domain }));
    const shop = await installOnTwin(twin, domain);
    process.env.SYNC_COPY_BATCH_LINES = "500";
    const { runId } = await startSyncRun(shop.id, "backfill");
    const stop = new AbortController();
    const checkpoint = async () => Number((await syncPool().query("select orders_lines from sync_runs where id = $1", [runId])).rows[0].orders_lines);
    const watcher = (async () => {
      while ((await checkpoint()) === 0) await new Promise((r) => setTimeout(r, 2));
      stop.abort(new Error("worker stopped"));
    })();
    await expect(driveRun(runId, { signal: stop.signal })).rejects.toThrow();
    await watcher;
    const stoppedAt = await checkpoint();
    const total = Number((await syncPool().query("select orders_objects from sync_runs where id = $1", [runId])).rows[0].orders_objects);

    // WHEN the run is driven again (its queued job, as after a worker restart)
    await drainRuns();

    // THEN it had stopped part-way, and now the database holds exactly the twin's data
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(total);
    expect(await dbFigures(shop.id)).toEqual(twinFigures(twin.shop(domain)));
    const items = twin.shop(domain).orders.reduce((n, o) => n + o.lineItems.length, 0);
    expect(await prisma.lineItem.count({ where: { shopId: shop.id } })).toBe(items);
    expect(await getBackfillProgress(shop.id)).toMatchObject({ runId: String(runId), status: "completed", percent: 100 });
  });
});
