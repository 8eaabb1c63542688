// Chaos: a webhook storm with duplicates, reordering, delays and drops, worker processes killed
// at random points, the Admin API answering 5xx, timing out and THROTTLED, and the offline token
// expiring mid-run; then reconciliation, and the invariants.
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  chaosRandom,
  checkInvariants,
  countDeliveries,
  countTokenRefreshes,
  emptyInjected,
  expireOfflineToken,
  formatChaosReport,
  NO_VIOLATIONS,
  violationsOf,
  reconcile,
  runShoppers,
  settle,
  trace,
  startChaosRig,
  type ChaosRig,
} from "../helpers/chaos.ts";

vi.hoisted(() => {
  // CHAOS_QUEUE_ENV (test/helpers/chaos.ts), before the app's modules read it
  Object.assign(process.env, { QUEUE_SUPERVISE_SECONDS: "2", PUSH_HEARTBEAT_SECONDS: "10", SYNC_RUN_HEARTBEAT_SECONDS: "10" });
});

const DOMAIN = "chaos-storm.myshopify.com";
/** Webhooks the shoppers cause (duplicates and push echoes come on top). */
const WEBHOOKS = Number(process.env.CHAOS_STORM_WEBHOOKS ?? 300);
const RATE = Number(process.env.CHAOS_STORM_RATE ?? 350);

let rig: ChaosRig;

afterAll(async () => {
  await rig?.stop();
});

describe("chaos: webhook storm", () => {
  it("loses nothing, applies nothing twice, and ends with the twin's data, a full recompute's memberships, the desired tags and single Flow triggers", { timeout: 300_000 }, async (ctx) => {
    // GIVEN the app installed and backfilled, two worker processes, and the twin's faults:
    // a fifth of the webhooks sent twice, windows of 8 shuffled, 2 ms delays, 3 % dropped
    // (set up inside the test: the test setup empties every table before each test)
    rig = await startChaosRig({ domain: DOMAIN, customers: 50, workers: 2, seed: 10 });
    const random = chaosRandom(1010);
    const injected = emptyInjected();
    const refreshes = countTokenRefreshes(rig.twin);
    rig.twin.webhooks.setFaults({ duplicate: 0.2, reorder: 8, reorderHoldMs: 20, delay: 2, drop: 0.03 });
    const marks = [0.2, 0.45, 0.7].map((f) => Math.floor(WEBHOOKS * f));
    let nextMark = 0;

    // WHEN shoppers cause a storm of webhooks; at three points a worker is SIGKILLed (and
    // replaced), the Admin API answers 5xx, hangs and THROTTLED for its next calls, and once the
    // offline token expires
    const shoppers = await runShoppers(rig.twin, DOMAIN, {
      webhooks: WEBHOOKS,
      rate: RATE,
      random,
      during: async (emitted) => {
        if (nextMark >= marks.length || emitted < marks[nextMark]) return;
        nextMark++;
        void rig.workers.killOne(random);
        rig.shop.setApiFaults({ serverErrors: 2, timeouts: 1, timeoutMs: 200, throttled: 2 });
        injected.apiServerErrors += 2;
        injected.apiTimeouts += 1;
        injected.apiThrottled += 2;
        if (nextMark === 2) {
          await expireOfflineToken(rig.twin, DOMAIN);
          injected.tokenExpiries++;
        }
      },
    });
    injected.shopperActions = shoppers.actions;
    trace(`storm sent: ${shoppers.actions} actions, ${shoppers.webhooks} webhooks in ${shoppers.seconds.toFixed(1)} s`);
    await rig.twin.webhooks.idle();
    rig.twin.webhooks.setFaults({});
    trace("twin idle");
    // AND the periodic reconciliation runs (it repairs what the dropped webhooks left out)
    await reconcile(rig);
    trace("reconciled");
    await settle(rig);
    trace("at rest");

    // THEN the invariants hold
    const unused = rig.shop.apiFaults;
    injected.apiServerErrors -= unused.serverErrors ?? 0;
    injected.apiTimeouts -= unused.timeouts ?? 0;
    injected.apiThrottled -= unused.throttled ?? 0;
    Object.assign(injected, countDeliveries(rig.twin, DOMAIN, rig.logStart));
    injected.crashes = rig.workers.crashes;
    injected.workerExits = rig.workers.unplannedExits;
    injected.tokenRefreshes = refreshes.ok;
    const found = await checkInvariants(rig);
    const report = formatChaosReport(`storm: ${WEBHOOKS} webhooks at ${RATE}/s (${shoppers.seconds.toFixed(1)} s)`, injected, found);
    console.log(report);
    ctx.annotate?.(report);
    expect(injected.duplicates).toBeGreaterThan(0);
    expect(injected.reorders).toBeGreaterThan(0);
    expect(injected.drops).toBeGreaterThan(0);
    expect(injected.crashes).toBe(3);
    expect(injected.tokenRefreshes).toBeGreaterThan(0);
    expect(violationsOf(found)).toEqual(NO_VIOLATIONS);
  });
});
