// Chaos: the merchant uninstalls the app in the middle of a reconciliation run and of a stream of
// webhooks (duplicated and reordered), the shop keeps selling, and the merchant reinstalls (token
// exchange, afterAuth); the catch-up run brings the database back to the twin's store.
import { afterAll, describe, expect, it, vi } from "vitest";
import prisma from "../../app/db.server";
import { startSyncRun } from "../../app/sync/runs.server";
import {
  chaosRandom,
  checkInvariants,
  countDeliveries,
  emptyInjected,
  formatChaosReport,
  reinstallThroughTokenExchange,
  runShoppers,
  settle,
  startChaosRig,
  trace,
  waitFor,
  type ChaosRig,
} from "../helpers/chaos.ts";

vi.hoisted(() => {
  // CHAOS_QUEUE_ENV (test/helpers/chaos.ts), before the app's modules read it
  Object.assign(process.env, { QUEUE_SUPERVISE_SECONDS: "2", PUSH_HEARTBEAT_SECONDS: "10", SYNC_RUN_HEARTBEAT_SECONDS: "10" });
});

const DOMAIN = "chaos-reinstall.myshopify.com";
const WEBHOOKS = Number(process.env.CHAOS_REINSTALL_WEBHOOKS ?? 150);

let rig: ChaosRig;

afterAll(async () => {
  await rig?.stop();
});

describe("chaos: uninstall and reinstall mid-sync", () => {
  it("ignores what arrives while uninstalled, and after the reinstall ends equal to the twin with nothing lost or applied twice", { timeout: 240_000 }, async (ctx) => {
    // GIVEN the app installed and backfilled, two worker processes, duplicated and reordered webhooks
    rig = await startChaosRig({ domain: DOMAIN, customers: 40, workers: 2, seed: 33 });
    const random = chaosRandom(3030);
    const injected = emptyInjected();
    rig.twin.webhooks.setFaults({ duplicate: 0.2, reorder: 6, reorderHoldMs: 20 });
    await runShoppers(rig.twin, DOMAIN, { webhooks: WEBHOOKS / 3, rate: 200, random });

    // WHEN a reconciliation run starts, and while it runs the merchant uninstalls the app
    const { runId } = await startSyncRun(rig.shopId, "reconcile");
    await waitFor("the run started exporting", async () => ["exporting", "loading", "merging", "completed", "failed"].includes((await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status));
    rig.shop.uninstall();
    await waitFor("the app recorded the uninstall", async () => (await prisma.shop.findUniqueOrThrow({ where: { id: rig.shopId } })).installState === "uninstalled");
    trace(`uninstalled during run ${runId}`);
    // AND the shop keeps selling while the app is uninstalled (the twin keeps sending webhooks)
    const uninstalledActions = await runShoppers(rig.twin, DOMAIN, { webhooks: WEBHOOKS / 3, rate: 200, random });
    await rig.twin.webhooks.idle();
    const beforeReinstall = new Set(rig.twin.webhooks.records.filter((r) => r.shop === DOMAIN).map((r) => r.webhookId));
    // AND the merchant opens the app again: token exchange, afterAuth (install state, catch-up run)
    await reinstallThroughTokenExchange(rig);
    injected.reinstalls = 1;
    trace("reinstalled");
    // AND the shop keeps selling
    const after = await runShoppers(rig.twin, DOMAIN, { webhooks: WEBHOOKS / 3, rate: 200, random });
    injected.shopperActions = after.actions + uninstalledActions.actions;
    await rig.twin.webhooks.idle();
    rig.twin.webhooks.setFaults({});
    // AND the catch-up run the reinstall enqueued completes (a new run: the one active at the
    // uninstall exported before the gap)
    await waitFor("a run started after the reinstall completed", async () => (await prisma.syncRun.count({ where: { shopId: rig.shopId, status: "completed", id: { gt: runId } } })) > 0, 120_000);
    await settle(rig);
    const runs = await prisma.syncRun.findMany({ where: { shopId: rig.shopId }, orderBy: { id: "asc" }, select: { id: true, kind: true, status: true, error: true } });
    trace(`at rest; runs: ${runs.map((r) => `${r.id} ${r.kind} ${r.status}${r.error ? ` (${r.error})` : ""}`).join(", ")}`);

    // THEN events sent while uninstalled were ignored, the catch-up run repaired the store, and the invariants hold
    Object.assign(injected, countDeliveries(rig.twin, DOMAIN, rig.logStart));
    injected.crashes = rig.workers.crashes;
    injected.workerExits = rig.workers.unplannedExits;
    const ignored = await prisma.webhookEvent.count({ where: { shop: DOMAIN, status: "ignored" } });
    const found = await checkInvariants(rig, { ignoredAllowed: (id) => beforeReinstall.has(id) });
    const report = formatChaosReport(`uninstall + reinstall mid-sync (${ignored} events ignored while uninstalled)`, injected, found);
    console.log(report);
    ctx.annotate?.(report);
    expect(ignored).toBeGreaterThan(0);
    expect(found.details).toEqual([]);
    expect({ lost: found.lostEvents, doubleApplied: found.doubleApplied, tagMismatches: found.tagMismatches, duplicateTriggers: found.duplicateTriggers, memberships: found.membershipMismatches }).toEqual({
      lost: 0,
      doubleApplied: 0,
      tagMismatches: 0,
      duplicateTriggers: 0,
      memberships: 0,
    });
  });
});
