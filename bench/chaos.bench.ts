// The fault suite's long run (test/chaos is its bounded CI form; docs/decisions/0009-chaos.md).
// The twin sends a storm of webhooks (about 1,000 per second for 10 s) with duplicates,
// reordering, delays and drops to the app's webhook routes; meanwhile worker processes are killed
// at random points, the Admin API answers 5xx, hangs and THROTTLED, and the offline token
// expires. Then reconciliation, and the invariants: nothing lost, nothing applied twice, the
// database equal to the twin, memberships equal to a full recompute, the twin's tags the desired
// ones, no Flow trigger twice. Bounded: the storm is 10 s, the whole run is stopped after
// BENCH_CHAOS_MAX_SECONDS (default 230).
// BENCH_CHAOS_RATE / BENCH_CHAOS_SECONDS / BENCH_CHAOS_CUSTOMERS shrink it; BENCH_CHAOS_RECORD=0 checks without recording.
const RATE = Number(process.env.BENCH_CHAOS_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_CHAOS_SECONDS ?? 10);
const CUSTOMERS = Number(process.env.BENCH_CHAOS_CUSTOMERS ?? 150);
const MAX_SECONDS = Number(process.env.BENCH_CHAOS_MAX_SECONDS ?? 230);
const KILLS = 4;
const log = (msg: string) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);

const started = Date.now();
const { TEST_APP_ENV } = await import("../test/helpers/app-env.ts");
for (const [k, v] of Object.entries(TEST_APP_ENV)) process.env[k] ??= v;
process.env.TZ = "UTC";
const { createDatabase, dropDatabase, ensurePostgres } = await import("../scripts/postgres.ts");
const { runPrisma } = await import("../scripts/migrate.ts");
const { recordFigures } = await import("./lib/results.ts");
const server = await ensurePostgres({ quiet: true });
const database = "segsync_bench_chaos";
await dropDatabase(server.url, database);
await createDatabase(server.url, database);
runPrisma(["migrate", "deploy"], server.urlFor(database));
process.env.DATABASE_URL = server.urlFor(database);
const { CHAOS_QUEUE_ENV } = await import("../test/helpers/chaos.ts");
for (const [k, v] of Object.entries(CHAOS_QUEUE_ENV)) process.env[k] = v;
const chaos = await import("../test/helpers/chaos.ts");

const DOMAIN = "bench-chaos.myshopify.com";
let rig: Awaited<ReturnType<typeof chaos.startChaosRig>> | null = null;
const cleanup = async () => {
  await rig?.stop().catch(() => {});
  await server.stop();
};
const watchdog = setTimeout(async () => {
  console.error(`chaos bench: over its ${MAX_SECONDS} s budget, stopped`);
  await cleanup();
  process.exit(1);
}, MAX_SECONDS * 1000);
watchdog.unref();

try {
  // GIVEN the app installed and backfilled, three worker processes, the twin's faults
  rig = await chaos.startChaosRig({ domain: DOMAIN, customers: CUSTOMERS, workers: 3, seed: 77, twin: { webhookConcurrency: 24 } });
  const current = rig;
  log(`installed and backfilled (${CUSTOMERS} customers), 3 workers`);
  const random = chaos.chaosRandom(7070);
  const injected = chaos.emptyInjected();
  const refreshes = chaos.countTokenRefreshes(current.twin);
  current.twin.webhooks.setFaults({ duplicate: 0.1, reorder: 16, reorderHoldMs: 20, delay: 1, drop: 0.02 });
  const webhooks = RATE * SECONDS;
  const marks = Array.from({ length: KILLS }, (_, i) => Math.floor((webhooks * (i + 1)) / (KILLS + 1)));
  let next = 0;

  // WHEN the storm runs, with crashes, Admin API faults and one token expiry at the marks
  const storm = await chaos.runShoppers(current.twin, DOMAIN, {
    webhooks,
    rate: RATE,
    random,
    during: async (emitted) => {
      if (next >= marks.length || emitted < marks[next]) return;
      next++;
      void current.workers.killOne(random);
      current.shop.setApiFaults({ serverErrors: 2, timeouts: 1, timeoutMs: 300, throttled: 2 });
      injected.apiServerErrors += 2;
      injected.apiTimeouts += 1;
      injected.apiThrottled += 2;
      if (next === 2) {
        await chaos.expireOfflineToken(current.twin, DOMAIN);
        injected.tokenExpiries++;
      }
    },
  });
  injected.shopperActions = storm.actions;
  log(`storm: ${storm.webhooks} webhooks from ${storm.actions} shopper actions in ${storm.seconds.toFixed(1)} s (${Math.round(storm.webhooks / storm.seconds)}/s)`);
  await current.twin.webhooks.idle();
  const drained = (Date.now() - started) / 1000;
  current.twin.webhooks.setFaults({});
  log("the twin delivered everything");
  await chaos.reconcile(current);
  log("reconciled");
  await chaos.settle(current, Math.max(30_000, MAX_SECONDS * 1000 - (Date.now() - started) - 20_000));
  log("at rest");

  // THEN the invariants
  const unused = current.shop.apiFaults;
  injected.apiServerErrors -= unused.serverErrors ?? 0;
  injected.apiTimeouts -= unused.timeouts ?? 0;
  injected.apiThrottled -= unused.throttled ?? 0;
  Object.assign(injected, chaos.countDeliveries(current.twin, DOMAIN, current.logStart));
  injected.crashes = current.workers.crashes;
  injected.workerExits = current.workers.unplannedExits;
  injected.tokenRefreshes = refreshes.ok;
  const found = await chaos.checkInvariants(current);
  console.log(chaos.formatChaosReport(`bench: ${storm.webhooks} webhooks at ${Math.round(storm.webhooks / storm.seconds)}/s for ${storm.seconds.toFixed(1)} s`, injected, found));
  const note = `${storm.webhooks} webhooks in ${storm.seconds.toFixed(1)} s, ${injected.deliveries} deliveries (${injected.duplicates} duplicates, ${injected.reorders} reordered, ${injected.drops} dropped), ${injected.crashes} worker kills, ${injected.apiServerErrors + injected.apiTimeouts + injected.apiThrottled} Admin API faults, ${injected.tokenExpiries} token expiry; ${CUSTOMERS} customers, 3 workers`;
  if (process.env.BENCH_CHAOS_RECORD !== "0") {
    recordFigures("chaos", [
      { key: "chaos_lost_events", value: found.lostEvents, unit: "events", target: "= 0", note },
      { key: "chaos_double_applied", value: found.doubleApplied, unit: "events", target: "= 0", note },
      { key: "chaos_tag_mismatches", value: found.tagMismatches, unit: "tags", target: "= 0", note },
      { key: "chaos_duplicate_triggers", value: found.duplicateTriggers, unit: "triggers", target: "= 0", note },
      { key: "chaos_deliveries", value: injected.deliveries, unit: "deliveries", target: "", note: `every attempt the twin made; the storm drained ${drained.toFixed(0)} s after the run started` },
    ]);
  }
  const bad = found.lostEvents + found.doubleApplied + found.tagMismatches + found.duplicateTriggers + found.membershipMismatches;
  await cleanup();
  process.exit(bad ? 1 : 0);
} catch (error) {
  console.error(error);
  await cleanup();
  process.exit(1);
}
export {};
