// The fault suite's rig (test/chaos, bench/chaos.bench.ts): the twin and the app driven together
// under injected faults, and the end-of-run invariants. The app's webhook routes run in this process
// (test/helpers/route-server.ts), the queue workers as `npm run worker` processes
// (test/scale-out/worker-process.ts) that the faults kill and restart.
//
// App modules bind to DATABASE_URL when first used: a caller that runs against its own PostgreSQL
// (the restart scenario) sets DATABASE_URL before it imports this module (dynamically).
import pg from "pg";
import { startTwin, type Twin, type TwinOptions, type TwinShop } from "../../twin/index.ts";
import { generateStore } from "../../datasets/generate.ts";
import { startRouteServer, type RouteServer } from "./route-server.ts";
import { dbFigures, installOnTwin, twinFigures } from "./sync-twin.ts";
import { TEST_APP_ENV, TEST_APP_URL } from "./app-env.ts";
import { routeShopifyTrafficTo } from "../../app/shopify-fetch.server";
import { adminFor } from "../../app/shopify/admin-client.server";
import { authenticate } from "../../app/shopify.server";
import { drainRuns } from "../../app/jobs/drain.server";
import { stopBoss } from "../../app/jobs/queue.server";
import { closeSyncPool } from "../../app/sync/pg.server";
import { closeEnginePool, recomputeShop } from "../../app/segments/index.server";
import { startSyncRun } from "../../app/sync/runs.server";
import { startWorkerProcess, type WorkerProcess } from "../scale-out/worker-process.ts";

export const TAG_PREFIX = "seg:";

/**
 * Queue settings for fault runs (every process: set before the app's modules load, see the
 * vi.hoisted blocks of test/chaos): a killed worker's push or run job is failed and retried
 * after 10 s without a heartbeat, checked every 2 s, instead of after a minute or two.
 */
export const CHAOS_QUEUE_ENV: Record<string, string> = {
  QUEUE_SUPERVISE_SECONDS: "2",
  PUSH_HEARTBEAT_SECONDS: "10",
  SYNC_RUN_HEARTBEAT_SECONDS: "10",
  // The minute sweep re-enqueues events left unfinished for 5 s (not 2 min): after a database
  // restart, events whose job was lost with its connection.
  SYNC_SWEEP_AFTER_SECONDS: "5",
};
const OPT_OUT_TAG = "seg:opt-out";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded PRNG: every fault run is reproducible from its seed. */
export function chaosRandom(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** What a run injected (the report's first half). */
export interface ChaosInjected {
  deliveries: number;
  duplicates: number;
  reorders: number;
  drops: number;
  failedAttempts: number;
  crashes: number;
  workerExits: number;
  apiServerErrors: number;
  apiTimeouts: number;
  apiThrottled: number;
  tokenExpiries: number;
  tokenRefreshes: number;
  postgresRestarts: number;
  reinstalls: number;
  shopperActions: number;
}

/** What the invariants found (the report's second half): every count must be 0. */
export interface ChaosFindings {
  lostEvents: number;
  doubleApplied: number;
  tagMismatches: number;
  duplicateTriggers: number;
  membershipMismatches: number;
  flowTriggers: number;
  events: number;
  /** Events that failed once (and were retried by the queue) before they applied. */
  retriedEvents: number;
  details: string[];
}

export function emptyInjected(): ChaosInjected {
  return {
    deliveries: 0,
    duplicates: 0,
    reorders: 0,
    drops: 0,
    failedAttempts: 0,
    crashes: 0,
    workerExits: 0,
    apiServerErrors: 0,
    apiTimeouts: 0,
    apiThrottled: 0,
    tokenExpiries: 0,
    tokenRefreshes: 0,
    postgresRestarts: 0,
    reinstalls: 0,
    shopperActions: 0,
  };
}

/** What the invariants found wrong, in one object to compare with NO_VIOLATIONS. */
export function violationsOf(found: ChaosFindings) {
  return {
    details: found.details,
    lost: found.lostEvents,
    doubleApplied: found.doubleApplied,
    tagMismatches: found.tagMismatches,
    duplicateTriggers: found.duplicateTriggers,
    memberships: found.membershipMismatches,
  };
}

export const NO_VIOLATIONS = { details: [], lost: 0, doubleApplied: 0, tagMismatches: 0, duplicateTriggers: 0, memberships: 0 } as const;

export function formatChaosReport(name: string, injected: ChaosInjected, found: ChaosFindings): string {
  const rows: [string, number][] = [
    ["deliveries sent (every attempt)", injected.deliveries],
    ["duplicates", injected.duplicates],
    ["reorders (arrived after a later webhook)", injected.reorders],
    ["drops", injected.drops],
    ["failed attempts (retried by the twin)", injected.failedAttempts],
    ["worker crashes injected (SIGKILL)", injected.crashes],
    ["worker exits not injected", injected.workerExits],
    ["Admin API 5xx injected", injected.apiServerErrors],
    ["Admin API timeouts injected", injected.apiTimeouts],
    ["Admin API THROTTLED injected", injected.apiThrottled],
    ["offline tokens expired", injected.tokenExpiries],
    ["offline token refreshes", injected.tokenRefreshes],
    ["PostgreSQL restarts", injected.postgresRestarts],
    ["uninstall + reinstall", injected.reinstalls],
    ["shopper actions", injected.shopperActions],
    ["events recorded", found.events],
    ["events retried after a failure", found.retriedEvents],
    ["Flow triggers received", found.flowTriggers],
    ["LOST events (must be 0)", found.lostEvents],
    ["DOUBLE-APPLIED events (must be 0)", found.doubleApplied],
    ["TAG mismatches (must be 0)", found.tagMismatches],
    ["DUPLICATE Flow triggers (must be 0)", found.duplicateTriggers],
    ["MEMBERSHIP mismatches vs full recompute (must be 0)", found.membershipMismatches],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const extra = found.details.slice(0, 20).map((d) => `  ! ${d}`);
  return [`[chaos] ${name}`, ...lines, ...extra].join("\n");
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000, describe?: () => Promise<string> | string) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what}: not reached within ${timeoutMs / 1000} s${describe ? `\n${await describe()}` : ""}`);
}

/** Progress lines when CHAOS_TRACE is set. */
export function trace(what: string) {
  if (process.env.CHAOS_TRACE) console.log(`[chaos ${new Date().toISOString().slice(11, 23)}] ${what}`);
}

/** A pool of `npm run worker` processes; a killed one is replaced under a new name. */
export class WorkerPool {
  readonly all: WorkerProcess[] = [];
  readonly live: WorkerProcess[] = [];
  private counter = 0;
  private stopped = false;
  crashes = 0;
  unplannedExits = 0;
  constructor(private readonly env: Record<string, string>) {}

  async start(count: number) {
    const started = Array.from({ length: count }, () => this.spawn());
    await Promise.all(started.map((w) => w.started));
  }

  private spawn(): WorkerProcess {
    const w = startWorkerProcess(`worker-${++this.counter}`, this.env);
    this.all.push(w);
    this.live.push(w);
    w.child.once("exit", (_code, signal) => {
      const i = this.live.indexOf(w);
      if (i >= 0) this.live.splice(i, 1);
      // Not killed by us: a worker died on its own (the supervisor, here the pool, restarts it).
      if (signal !== "SIGKILL" && !this.stopped && !(w as WorkerProcess & { planned?: boolean }).planned) {
        this.unplannedExits++;
        if (!this.stopped) this.spawn();
      }
    });
    return w;
  }

  /** SIGKILLs one live worker (chosen by `random`) and starts a replacement. */
  async killOne(random: () => number) {
    const candidates = this.live.filter((w) => !(w as WorkerProcess & { planned?: boolean }).planned);
    if (candidates.length === 0) return;
    const victim = candidates[Math.floor(random() * candidates.length)];
    (victim as WorkerProcess & { planned?: boolean }).planned = true;
    await victim.stop("SIGKILL");
    this.crashes++;
    await this.spawn().started.catch(() => {});
  }

  stderr() {
    return this.all.map((w) => `[${w.name}] ${w.stderr().slice(-2000)}`).join("\n");
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.all.map((w) => w.stop("SIGKILL")));
  }
}

export interface ChaosRigOptions {
  domain: string;
  customers?: number;
  ordersPerCustomer?: number;
  seed?: number;
  workers?: number;
  twin?: Partial<TwinOptions>;
  /** Extra environment for the worker processes. */
  workerEnv?: Record<string, string>;
  /** Backfill here before the workers start (default), or leave the first sync to the caller. */
  backfill?: boolean;
}

export interface ChaosRig {
  twin: Twin;
  routes: RouteServer;
  domain: string;
  shopId: number;
  shop: TwinShop;
  workers: WorkerPool;
  watcher: pg.Pool;
  /** Mark in the twin's logs where the faulted part of the run starts. */
  logStart: number;
  stop(): Promise<void>;
}

/**
 * GIVEN for every scenario: a twin shop with a history, the app installed on it (offline session
 * with an expiring token) and backfilled in this process, then `workers` worker processes.
 */
export async function startChaosRig(options: ChaosRigOptions): Promise<ChaosRig> {
  for (const [k, v] of Object.entries(CHAOS_QUEUE_ENV)) process.env[k] = v;
  const routes = await startRouteServer();
  // Shopify Plus limits (10,000 points, 1,000/s): Flow triggers cost 10 points each, and a run
  // that moves hundreds of customers should not spend minutes of a test waiting for the bucket.
  const twin = await startTwin({ appUrl: routes.url, timeScale: 0.001, bulkStepDelayMs: 5, seed: options.seed ?? 42, bucketSize: 10_000, restoreRate: 1_000, ...options.twin });
  void adminFor; // the Shopify modules are loaded before their traffic is routed to the twin
  routeShopifyTrafficTo(twin.url);
  // A pool, not a client: it reconnects after a PostgreSQL restart.
  const watcher = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  watcher.on("error", () => {});
  const now = new Date();
  await twin.seed(options.domain, generateStore({ customers: options.customers ?? 120, ordersPerCustomer: options.ordersPerCustomer ?? 2, seed: options.seed ?? 21, domain: options.domain, now }));
  const shopRow = await installOnTwin(twin, options.domain);
  if (options.backfill ?? true) {
    await startSyncRun(shopRow.id, "backfill");
    await drainRuns();
  }
  const env = {
    ...TEST_APP_ENV,
    DATABASE_URL: process.env.DATABASE_URL as string,
    SHOPIFY_ADMIN_ORIGIN: twin.url,
    SYNC_POLL_SECONDS: "0.5",
    PUSH_WINDOW_SECONDS: "0",
    SYNC_EVENT_RETRY_DELAY: "1",
    // Longer Flow slices per push job: fewer round trips through the queue for a backlog of triggers.
    PUSH_FLOW_SLICE_SECONDS: "5",
    ...CHAOS_QUEUE_ENV,
    ...options.workerEnv,
  };
  const workers = new WorkerPool(env);
  await workers.start(options.workers ?? 2);
  return {
    twin,
    routes,
    domain: options.domain,
    shopId: shopRow.id,
    shop: twin.shop(options.domain),
    workers,
    watcher,
    logStart: twin.webhooks.log.length,
    async stop() {
      await workers.stop();
      await watcher.end().catch(() => {});
      await stopBoss({ graceful: false }).catch(() => {});
      await closeSyncPool().catch(() => {});
      await closeEnginePool().catch(() => {});
      await twin.stop();
      await routes.stop();
    },
  };
}

/**
 * Shoppers in the twin: orders (some paid later), refunds and cancellations, at about `rate`
 * webhooks per second until `webhooks` webhooks were emitted (or `until()` says stop).
 */
export async function runShoppers(twin: Twin, domain: string, options: { webhooks: number; rate: number; random: () => number; during?: (emitted: number) => Promise<void> | void }) {
  const shop = twin.shop(domain);
  const random = options.random;
  const customers = shop.customers.map((c) => c.id);
  const pending: bigint[] = [];
  const placed: bigint[] = [];
  let actions = 0;
  const start = twin.webhooks.records.length;
  const t0 = Date.now();
  const emitted = () => twin.webhooks.records.filter((r, i) => i >= start && r.shop === domain).length;
  let count = 0;
  while (count < options.webhooks) {
    const roll = random();
    if (roll < 0.1 && pending.length) shop.payOrder(pending.shift()!);
    else if (roll < 0.2 && placed.length) shop.refundOrder(placed[Math.floor(random() * placed.length)], { amount: "1.00" });
    else if (roll < 0.24 && placed.length) shop.cancelOrder(placed.splice(Math.floor(random() * placed.length), 1)[0]);
    else {
      const paid = random() > 0.2;
      const order = shop.placeOrder({
        customerId: customers[Math.floor(random() * customers.length)],
        lineItems: [{ price: (5 + Math.floor(random() * 20000) / 100).toFixed(2), quantity: 1 + Math.floor(random() * 3), title: "Chaos item" }],
        paid,
      });
      (paid ? placed : pending).push(order.id);
    }
    actions++;
    if (actions % 10 === 0) {
      count = emitted();
      await options.during?.(count);
      // Pace to the rate: sleep until the emitted count is due.
      const due = t0 + (count / options.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else await new Promise((r) => setImmediate(r));
    }
  }
  return { actions, webhooks: count, seconds: (Date.now() - t0) / 1000 };
}

/** Counts what the twin's dispatcher did for a shop since `from` (log index). */
export function countDeliveries(twin: Twin, domain: string, from = 0) {
  const log = twin.webhooks.log.slice(from).filter((d) => d.shop === domain);
  const order = new Map<string, number>();
  twin.webhooks.records.forEach((r, i) => {
    if (r.shop === domain && !order.has(r.webhookId)) order.set(r.webhookId, i);
  });
  let maxSeen = -1;
  let reorders = 0;
  for (const d of log) {
    if (d.attempt !== 1 || d.duplicate) continue;
    const i = order.get(d.webhookId) ?? -1;
    if (i < maxSeen) reorders++;
    maxSeen = Math.max(maxSeen, i);
  }
  const drops = twin.webhooks.records.filter((r) => r.shop === domain && r.state === "dropped").length;
  return {
    deliveries: log.length,
    duplicates: log.filter((d) => d.duplicate).length,
    reorders,
    drops,
    failedAttempts: log.filter((d) => !d.ok).length,
  };
}

/** The tags the app wants on each customer (`seg:<segment>` for each segment it is in). */
async function expectedTags(db: pg.Pool, shopId: number) {
  const { rows } = await db.query<{ id: string; segments: string[]; opted_out: boolean }>(
    "select customer_id::text as id, segments, opted_out from customer_features where shop_id = $1",
    [shopId],
  );
  return new Map(rows.map((r) => [r.id, r.opted_out ? [] : r.segments.map((k) => `${TAG_PREFIX}${k}`).sort()]));
}

function twinTags(shop: TwinShop) {
  const out = new Map<string, string[]>();
  for (const c of shop.customers) out.set(String(c.id), c.tags.filter((t) => t.toLowerCase().startsWith(TAG_PREFIX) && t.toLowerCase() !== OPT_OUT_TAG).sort());
  return out;
}

export async function tagMismatches(rig: Pick<ChaosRig, "watcher" | "shopId" | "shop">) {
  const want = await expectedTags(rig.watcher, rig.shopId);
  const have = twinTags(rig.shop);
  return [...want]
    .filter(([id, tags]) => (have.get(id) ?? []).join(" ") !== tags.join(" "))
    .map(([id, tags]) => `customer ${id}: want [${tags.join(" ")}], twin [${(have.get(id) ?? []).join(" ")}]`);
}

/**
 * Waits until the run has come to rest: the twin has nothing to send, every event is settled, no
 * sync run or push job is pending, the Flow outbox is empty and the twin's tags are the desired
 * ones (push-back's tag changes echo back as webhooks, so this loops until all of it is quiet).
 */
export async function settle(rig: ChaosRig, timeoutMs = 150_000) {
  let state = "";
  const quiet = async () => {
    await rig.twin.webhooks.idle();
    const { rows } = await rig.watcher.query<{ events: number; runs: number; jobs: string | null; flow: number }>(
      `select (select count(*) from webhook_events where shop = $2 and status in ('received', 'stored'))::int as events,
              (select count(*) from sync_runs where shop_id = $1 and status in ('queued', 'exporting', 'loading', 'merging'))::int as runs,
              (select string_agg(name || ':' || state || ':' || n, ' ') from (
                 -- (an active event job of a killed worker stays active until it expires; its event is what counts)
                 select name, state, count(*) as n from pgboss.job
                  where (name = 'push-shop' and state in ('created', 'retry', 'active')) or (name in ('sync-event', 'sync-run') and state in ('created', 'retry'))
                  group by 1, 2) j) as jobs,
              (select count(*) from push_flow_triggers where shop_id = $1 and status in ('pending', 'sending'))::int as flow`,
      [rig.shopId, rig.domain],
    );
    const r = rows[0];
    const tags = await tagMismatches(rig);
    state = `events ${r.events}, runs ${r.runs}, jobs [${r.jobs ?? ""}], flow pending ${r.flow}, tag mismatches ${tags.length}${tags.length ? ` (${tags.slice(0, 3).join("; ")})` : ""}`;
    if (r.events || r.runs || r.jobs || r.flow || tags.length) return false;
    // Quiet twice in a row, the twin idle in between (an echo may have been in flight).
    await rig.twin.webhooks.idle();
    const again = await rig.watcher.query<{ n: number }>(
      "select count(*)::int as n from webhook_events where shop = $1 and status in ('received', 'stored')",
      [rig.domain],
    );
    return again.rows[0].n === 0;
  };
  await waitFor(
    "the run came to rest (events applied, runs and pushes done, tags equal)",
    async () => {
      try {
        return await quiet();
      } catch (error) {
        state = (error as Error).message;
        return false;
      }
    },
    timeoutMs,
    async () => {
      const push = await rig.watcher
        .query("select state, retry_count, output from pgboss.job where name = 'push-shop' order by created_on desc limit 3")
        .then((r) => JSON.stringify(r.rows), (e: Error) => e.message);
      const ids = [...state.matchAll(/customer (\d+):/g)].map((m) => m[1]).slice(0, 3);
      const rows = ids.length
        ? await rig.watcher
            .query(
              `select p.customer_id::text, p.segments, p.desired_tags, p.pushed_tags, p.dirty, p.attempts, p.last_error, f.segments as features,
                      (select json_agg(json_build_object('id', m.id, 'seg', m.segment_key, 'change', m.change) order by m.id) from membership_changes m where m.shop_id = p.shop_id and m.customer_id = p.customer_id) as changes,
                      (select last_change_id::text from push_shops s where s.shop_id = p.shop_id) as cursor
                 from push_customers p left join customer_features f on f.shop_id = p.shop_id and f.customer_id = p.customer_id
                where p.shop_id = $1 and p.customer_id = any($2::bigint[])`,
              [rig.shopId, ids],
            )
            .then((r) => JSON.stringify(r.rows), (e: Error) => e.message)
        : "";
      return `${state}\n${rows}\nlast push jobs: ${push}\n${rig.workers.stderr()}`;
    },
  );
}

/** Reconciliation (as the 6-hourly cron starts it), driven by the workers: catches dropped webhooks. */
export async function reconcile(rig: ChaosRig, timeoutMs = 120_000) {
  const { runId } = await startSyncRun(rig.shopId, "reconcile");
  await waitFor(
    `reconciliation run ${runId} completed`,
    async () => {
      const r = await rig.watcher.query<{ status: string }>("select status from sync_runs where id = $1", [String(runId)]);
      if (r.rows[0]?.status === "failed") throw new Error(`reconciliation run ${runId} failed`);
      return r.rows[0]?.status === "completed";
    },
    timeoutMs,
    async () => {
      const r = await rig.watcher.query("select * from sync_runs where id = $1", [String(runId)]).catch((e: Error) => ({ rows: [e.message] }));
      return `${JSON.stringify(r.rows[0], (_k, v) => (typeof v === "bigint" ? String(v) : v))}\n${rig.workers.stderr()}`;
    },
  );
  return runId;
}

/**
 * Reinstall as a merchant's next visit does it: App Bridge's session token on a request to the
 * app, token exchange with the twin, then the app's afterAuth hook (install state, catch-up run).
 */
export async function reinstallThroughTokenExchange(rig: ChaosRig) {
  rig.twin.installApp(rig.domain);
  const token = rig.twin.mintSessionToken(rig.domain);
  const request = new Request(`${TEST_APP_URL}/app/sync?shop=${rig.domain}`, { headers: { Authorization: `Bearer ${token}` } });
  await authenticate.admin(request);
}

export interface InvariantOptions {
  /** Applied events must have exactly one committed attempt (false where the database itself failed). */
  strictAttempts?: boolean;
  /** Webhook ids delivered while the shop was uninstalled: recorded as ignored, not applied. */
  ignoredAllowed?: (webhookId: string) => boolean;
}

/**
 * THEN for every scenario, once the run is at rest: nothing lost, nothing applied twice, the
 * database equals the twin's store, memberships equal a full recompute, the twin's tags are the
 * desired ones, and no Flow trigger fired twice for one membership change.
 */
export async function checkInvariants(rig: ChaosRig, options: InvariantOptions = {}): Promise<ChaosFindings> {
  const details: string[] = [];
  const db = rig.watcher;
  // Nothing lost: every webhook the twin delivered (2xx) has its event, settled.
  // (app/uninstalled and app/scopes_update act on the request, in their routes: no event row)
  const direct = new Set(["app/uninstalled", "app/scopes_update"]);
  const deliveredLog = rig.twin.webhooks.log.filter((d) => d.shop === rig.domain && d.ok && !direct.has(d.topic));
  const topicOf = new Map(deliveredLog.map((d) => [d.webhookId, d.topic]));
  const delivered = new Set(deliveredLog.map((d) => d.webhookId));
  // `attempts` counts committed applies and recorded failures; a failure (a deadlock between
  // workers, a lost connection) is also a failed job that pg-boss retried, so retries explain it.
  const { rows: events } = await db.query<{ webhook_id: string; topic: string; status: string; attempts: number; retries: number }>(
    `select e.webhook_id, e.topic, e.status, e.attempts,
            case when e.attempts > 1 then coalesce((select sum(j.retry_count) from pgboss.job j where j.name = 'sync-event' and j.data->>'eventId' = e.id::text), 0) else 0 end::int as retries
       from webhook_events e where e.shop = $1`,
    [rig.domain],
  );
  const byId = new Map(events.map((e) => [e.webhook_id, e]));
  let lost = 0;
  let doubleApplied = 0;
  if (byId.size !== events.length) {
    doubleApplied += events.length - byId.size;
    details.push(`${events.length - byId.size} webhook ids recorded twice`);
  }
  for (const id of delivered) {
    const e = byId.get(id);
    if (!e) {
      lost++;
      details.push(`delivered webhook ${id} (${topicOf.get(id)}) has no event`);
    } else if (e.status !== "applied" && !(e.status === "ignored" && options.ignoredAllowed?.(id))) {
      lost++;
      details.push(`event ${id} (${e.topic}) is ${e.status}`);
    } else if ((options.strictAttempts ?? true) && e.status === "applied" && e.attempts > 1 + e.retries) {
      doubleApplied++;
      details.push(`event ${id} (${e.topic}) applied with ${e.attempts} attempts and ${e.retries} job retries`);
    }
  }
  // The database equals the twin's store (reconciliation has repaired what drops left out).
  const twinSide = twinFigures(rig.shop);
  const dbSide = await dbFigures(rig.shopId);
  const dbCustomers = new Set(dbSide.customers);
  for (const c of twinSide.customers) {
    if (!dbCustomers.has(c)) {
      lost++;
      details.push(`customer ${c} missing`);
    }
  }
  const parse = (line: string) => Object.fromEntries(line.split(" ").map((kv) => kv.split("=")));
  for (const [id, want] of Object.entries(twinSide.orders)) {
    const have = dbSide.orders[id];
    if (have === want) continue;
    if (!have) {
      lost++;
      details.push(`order ${id} missing`);
      continue;
    }
    const w = parse(want);
    const h = parse(have);
    // More refunded, items or value than the twin: an effect applied twice; anything else: lost or stale.
    const over = ["refunded", "items", "value"].some((k) => Number(h[k]) > Number(w[k]));
    if (over) doubleApplied++;
    else lost++;
    details.push(`order ${id}: twin ${want} / db ${have}`);
  }
  for (const id of Object.keys(dbSide.orders)) {
    if (!(id in twinSide.orders)) {
      doubleApplied++;
      details.push(`order ${id} in the database, not in the twin`);
    }
  }
  // Memberships equal a full recompute (the stored statistics kept: the incremental path's inputs).
  const snapshot = async () => {
    const { rows } = await db.query<{ id: string; segments: string[] }>(
      "select customer_id::text as id, segments from customer_features where shop_id = $1 order by 1",
      [rig.shopId],
    );
    return new Map(rows.map((r) => [r.id, [...r.segments].sort().join(" ")]));
  };
  const before = await snapshot();
  const recomputed = await recomputeShop(rig.shopId, { keepStatistics: true });
  const after = await snapshot();
  let membershipMismatches = 0;
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(id) !== after.get(id)) {
      membershipMismatches++;
      details.push(`customer ${id}: segments [${before.get(id) ?? "-"}], full recompute [${after.get(id) ?? "-"}]`);
    }
  }
  if (recomputed.changes && !membershipMismatches) {
    membershipMismatches = recomputed.changes;
    details.push(`the full recompute logged ${recomputed.changes} membership changes`);
  }
  // The twin's tags equal the desired tags.
  const tags = await tagMismatches(rig);
  details.push(...tags);
  // No Flow trigger fired twice: per (handle, customer, segment), the twin never received more
  // triggers than the change log has changes the outbox could send.
  const { rows: outbox } = await db.query<{ handle: string; customer_id: string; segment_key: string; n: number }>(
    `select handle, customer_id::text, segment_key, count(*)::int as n from push_flow_triggers
      where shop_id = $1 and status <> 'skipped' group by 1, 2, 3`,
    [rig.shopId],
  );
  const allowed = new Map(outbox.map((r) => [`${r.handle}|${r.customer_id}|${r.segment_key}`, r.n]));
  const received = new Map<string, number>();
  for (const t of rig.shop.flowTriggers) {
    const p = t.payload as { customer_id?: number | string; "Segment key"?: string };
    const key = `${t.handle}|${p.customer_id}|${p["Segment key"]}`;
    received.set(key, (received.get(key) ?? 0) + 1);
  }
  let duplicateTriggers = 0;
  for (const [key, n] of received) {
    const extra = n - (allowed.get(key) ?? 0);
    if (extra > 0) {
      duplicateTriggers += extra;
      details.push(`Flow trigger ${key} received ${n} times for ${allowed.get(key) ?? 0} changes`);
    }
  }
  return {
    lostEvents: lost,
    doubleApplied,
    tagMismatches: tags.length,
    duplicateTriggers,
    membershipMismatches,
    flowTriggers: rig.shop.flowTriggers.length,
    events: events.length,
    retriedEvents: events.filter((e) => e.attempts > 1).length,
    details,
  };
}

// The token helpers live with the other twin wiring; the chaos scenarios import them from here.
export { countTokenRefreshes, expireOfflineToken } from "./sync-twin.ts";
