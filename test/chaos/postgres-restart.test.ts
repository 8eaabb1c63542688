// Chaos: PostgreSQL restarts in the middle of a webhook stream, under the route server and two
// worker processes. Test files share one embedded server, so this scenario runs the app and its
// workers against a private server of its own (test/helpers/chaos-postgres.ts) and restarts that.
// The app's modules bind to DATABASE_URL when loaded: they are imported after it is set.
import { afterAll, describe, expect, it, vi } from "vitest";
import { allowConsoleError } from "../setup.ts";
import { startPrivatePostgres, type PrivatePostgres } from "../helpers/chaos-postgres.ts";
import { createDatabase, dropDatabase } from "../../scripts/postgres.ts";
import { runPrisma } from "../../scripts/migrate.ts";
import type { ChaosRig } from "../helpers/chaos.ts";

vi.hoisted(() => {
  // CHAOS_QUEUE_ENV (test/helpers/chaos.ts), before the app's modules read it
  Object.assign(process.env, { QUEUE_SUPERVISE_SECONDS: "2", PUSH_HEARTBEAT_SECONDS: "10", SYNC_RUN_HEARTBEAT_SECONDS: "10" });
});

const DOMAIN = "chaos-pg-restart.myshopify.com";
const WEBHOOKS = Number(process.env.CHAOS_RESTART_WEBHOOKS ?? 200);
const DATA_DIR = `${process.env.EMBEDDED_PG_DIR ?? "/tmp/segsync-pg"}-chaos-restart`;

let server: PrivatePostgres | undefined;
let rig: ChaosRig | undefined;

afterAll(async () => {
  await rig?.stop();
  await server?.stop();
});

describe("chaos: PostgreSQL restart mid-run", () => {
  it("records every delivery once the database is back, applies each once, and ends equal to the twin", { timeout: 300_000 }, async (ctx) => {
    // (the app logs the failed requests and queries while the database is down)
    allowConsoleError();
    // GIVEN a private PostgreSQL, migrated, the app's modules bound to it
    server = await startPrivatePostgres(DATA_DIR);
    const database = "segsync_chaos_restart";
    await dropDatabase(server.url, database);
    await createDatabase(server.url, database);
    runPrisma(["migrate", "deploy"], server.urlFor(database));
    process.env.DATABASE_URL = server.urlFor(database);
    const chaos = await import("../helpers/chaos.ts");
    // AND the app installed and backfilled, two worker processes, duplicated and reordered webhooks
    rig = await chaos.startChaosRig({ domain: DOMAIN, customers: 40, workers: 2, seed: 55 });
    const current = rig;
    const random = chaos.chaosRandom(5050);
    const injected = chaos.emptyInjected();
    current.twin.webhooks.setFaults({ duplicate: 0.15, reorder: 6, reorderHoldMs: 20 });

    // WHEN shoppers cause a stream of webhooks and, a third of the way in, PostgreSQL restarts
    // (fast shutdown, down 1.5 s, started again on the same data) while deliveries keep coming
    let restart: Promise<void> | null = null;
    const shoppers = await chaos.runShoppers(current.twin, DOMAIN, {
      webhooks: WEBHOOKS,
      rate: 60,
      random,
      during: (emitted) => {
        if (restart || emitted < WEBHOOKS / 3) return;
        chaos.trace("restarting PostgreSQL");
        restart = server!.restart(1500).then(() => chaos.trace("PostgreSQL is back"));
      },
    });
    await restart;
    injected.postgresRestarts = restart ? 1 : 0;
    injected.shopperActions = shoppers.actions;
    await current.twin.webhooks.idle();
    current.twin.webhooks.setFaults({});
    chaos.trace("twin idle");
    // AND reconciliation runs, then everything comes to rest
    await chaos.reconcile(current);
    await chaos.settle(current, 200_000);
    chaos.trace("at rest");

    // THEN the invariants hold (an event's attempts may count a failure while the database was down)
    Object.assign(injected, chaos.countDeliveries(current.twin, DOMAIN, current.logStart));
    injected.crashes = current.workers.crashes;
    injected.workerExits = current.workers.unplannedExits;
    const found = await chaos.checkInvariants(current, { strictAttempts: false });
    const report = chaos.formatChaosReport(`PostgreSQL restart: ${WEBHOOKS} webhooks`, injected, found);
    console.log(report);
    ctx.annotate?.(report);
    expect(injected.postgresRestarts).toBe(1);
    expect(injected.failedAttempts).toBeGreaterThan(0);
    expect(chaos.violationsOf(found)).toEqual(chaos.NO_VIOLATIONS);
  });
});
