// `npm run demo`: the UCI Online Retail history in the Shopify twin, the app installed on it the
// real way, the backfill with a progress bar, segments and why, then a live stream of shoppers.
import pg from "pg";
import type { Twin } from "../../twin/index.ts";
import type { DemoOptions } from "./options.ts";
import {
  appEnvironment,
  buildApp,
  buildNeeded,
  installThroughAdmin,
  onStop,
  startApp,
  startDatabase,
  startInProcessWorkers,
  startSeededTwin,
} from "./stack.ts";
import { createOut, int, money, pct, progressBar, seconds, table, type Out } from "./terminal.ts";
import {
  changesSince,
  countChangesSince,
  expectedTags,
  lastChangeId,
  maxWebhookEventId,
  sampleMembers,
  segmentRows,
  sizesFromFeatures,
  storeCounts,
  webhookEventCounts,
  type Db,
  type SegmentRow,
  type StoreCounts,
} from "./report.ts";
import { shopperSteps, TwinControl, type Cast, type Product } from "./shopper.ts";

const TAG_PREFIX = "seg:";
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
const since = (t: number) => (performance.now() - t) / 1000;

export class CheckFailed extends Error {
  override name = "CheckFailed";
}

/** A customer as the merchant knows them: the UCI CustomerID for the seeded ones. */
function who(id: bigint | string): string {
  const n = BigInt(id);
  const uci = n - 8_000_000_000_000n;
  return uci > 0n && uci < 100_000n ? `customer ${uci}` : `customer ${n}`;
}

export interface DemoResult {
  shopId: number;
  databaseUrl: string;
  reachedLive: boolean;
}

export async function runDemo(options: DemoOptions, signal: AbortSignal): Promise<DemoResult> {
  const out = createOut(options.interactive);
  const started = performance.now();
  out.line(out.bold("Segment Sync demo: a real store's history, end to end, offline"));
  out.line(out.dim("UCI Online Retail (a UK gift shop, 2010-2011; CC BY 4.0), dates shifted to end today."));
  out.line();

  // 1. PostgreSQL and the demo's database
  let t = performance.now();
  const database = await startDatabase(options.database);
  const where = process.env.DATABASE_URL ? "the server DATABASE_URL names" : `embedded PostgreSQL on ${new URL(database.server.url).host}`;
  out.line(`PostgreSQL   ${where} (${database.server.startedHere ? "started" : "already running"}); database ${options.database} recreated and migrated (${since(t).toFixed(1)} s)`);
  process.env.DATABASE_URL = database.url;
  const db = new pg.Pool({ connectionString: database.url, max: 3 });
  db.on("error", () => {});
  onStop("demo database pool", () => db.end());
  if (signal.aborted) return { shopId: 0, databaseUrl: database.url, reachedLive: false };

  // 2. The twin, seeded
  t = performance.now();
  const { twin, domain, customers: twinCustomers, orders: twinOrders } = await startSeededTwin();
  out.line(`Shopify twin ${twin.url}: ${domain} seeded with ${int(twinCustomers)} customers and ${int(twinOrders)} orders (${since(t).toFixed(1)} s)`);

  // 3. The app over HTTP, and the workers
  t = performance.now();
  const needed = buildNeeded(options.build);
  if (needed) {
    out.status(`App          building (remix vite:build; build/ ${needed})...`);
    buildApp();
  }
  const env = appEnvironment(database.url, twin.url);
  const app = await startApp(env);
  twin.setAppUrl(app.url);
  await startInProcessWorkers();
  out.line(`App          ${app.url} (the production build${needed ? `, built now: build/ was ${needed}` : ""}), queue workers in this process (${since(t).toFixed(1)} s)`);
  if (signal.aborted) return { shopId: 0, databaseUrl: database.url, reachedLive: false };

  // 4. Install the real way
  t = performance.now();
  const install = await installThroughAdmin(twin, domain);
  if (install.status !== 200) throw new Error(`opening the app in the twin's admin answered HTTP ${install.status}, expected 200`);
  const shopRow = await db.query<{ id: number; scopes: string | null }>("select id, scopes from shops where domain = $1 and install_state = 'installed'", [domain]);
  if (!shopRow.rows[0]) throw new Error(`the app did not record ${domain} as installed`);
  const shopId = shopRow.rows[0].id;
  const session = await db.query("select 1 from sessions where shop = $1 and not is_online", [domain]).catch(() => ({ rows: [] as unknown[] }));
  out.line(`Install      admin page -> session token -> token exchange with the twin -> afterAuth: shop #${shopId} installed${session.rows.length ? ", offline session stored" : ""}, backfill enqueued (${since(t).toFixed(1)} s)`);
  out.line();

  // 5. The backfill, with progress
  const { getBackfillProgress } = await import("../../app/sync/runs.server.ts");
  t = performance.now();
  for (;;) {
    if (signal.aborted) return { shopId, databaseUrl: database.url, reachedLive: false };
    const p = await getBackfillProgress(shopId);
    if (!p) {
      out.status("Backfill     waiting for the run to start...");
    } else if (p.status === "failed") {
      out.endStatus();
      throw new Error(`the backfill failed: ${p.error ?? "no error recorded"}`);
    } else {
      const rows = p.totalRows ? `${int(p.rows)} / ${int(p.totalRows)} rows` : `${int(p.rows)} rows`;
      const eta = p.status === "loading" ? `  ETA ${seconds(p.etaSeconds)}` : "";
      out.status(`Backfill     ${progressBar(p.percent)} ${String(p.percent).padStart(3)} %  ${rows}${eta}  ${p.status}${p.error ? ` (retrying: ${p.error})` : ""}`);
      if (p.status === "completed") break;
    }
    await sleep(options.interactive ? 200 : 1000, signal);
  }
  out.endStatus();
  const run = await db.query<{ id: string; finished_at: Date; customers_lines: string; orders_lines: string }>(
    "select id::text, finished_at, customers_lines::text, orders_lines::text from sync_runs where shop_id = $1 order by id desc limit 1",
    [shopId],
  );
  const backfillSeconds = since(t);
  out.line(`Backfill     done in ${backfillSeconds.toFixed(1)} s: ${int(Number(run.rows[0].customers_lines) + Number(run.rows[0].orders_lines))} JSONL rows from two bulk operations, merged`);

  // 6. Segments (the worker recomputes the shop after the merge)
  t = performance.now();
  for (;;) {
    if (signal.aborted) return { shopId, databaseUrl: database.url, reachedLive: false };
    const s = await db.query<{ ok: boolean }>(
      "select computed_at >= $2 as ok from segment_shop_stats where shop_id = $1",
      [shopId, run.rows[0].finished_at],
    );
    if (s.rows[0]?.ok) break;
    out.status(`Segments     computing every customer's features and memberships... ${since(t).toFixed(0)} s`);
    if (since(t) > 600) throw new Error("segments were not computed within 10 minutes of the backfill");
    await sleep(250, signal);
  }
  out.endStatus();
  out.line(`Segments     computed (${since(t).toFixed(1)} s after the merge)`);
  out.line();

  const { listSegments, explainMembership } = await import("../../app/segments/index.server.ts");
  const segments = (await listSegments(shopId)).filter((s) => s.enabled);

  // 7. The store and its segments, from SQL
  const counts = await storeCounts(db, shopId);
  printStore(out, counts);
  const rows = await segmentRows(db, shopId, segments);
  printSegments(out, rows);
  await checkAgainstDatabase(out, db, twin, domain, shopId, counts, rows, "after the backfill");

  // 8. Why
  out.line(out.bold("Why are they in? (explainMembership: the customer's features against the thresholds)"));
  for (const key of ["vip", "lost", "category-loyal"]) {
    const seg = rows.find((r) => r.key === key && r.size > 0);
    if (!seg) continue;
    const [member] = await sampleMembers(db, shopId, key, 1);
    if (member === undefined) continue;
    const why = await explainMembership(shopId, member, key);
    out.line(`  ${who(member)} is in ${out.cyan(why.name)}:`);
    for (const l of renderWhy(why.rule)) out.line(`    ${l}`);
  }
  out.line();

  // 9. Push-back: the segments as tags in the twin, and the echo webhooks they cause
  const pushing = await pushAvailable();
  if (pushing) await pushPhase(out, signal, { db, twin, domain, shopId, segments });
  if (signal.aborted) return { shopId, databaseUrl: database.url, reachedLive: false };

  // 10. The admin
  out.line(`${out.bold("Admin")}        ${twin.adminUrl(domain)}`);
  out.line(out.dim("             the twin's admin page embedding the app (open it on this machine; App Bridge's script is"));
  out.line(out.dim("             Shopify's CDN, which the browser tests route to the twin's stand-in)"));
  out.line();

  if (options.replaySeconds === 0 || signal.aborted) {
    out.line(`Done in ${since(started).toFixed(0)} s (no live replay).`);
    return { shopId, databaseUrl: database.url, reachedLive: false };
  }

  // 11. Live
  await live(out, options, signal, { db, twin, domain, shopId, segments }, pushing);
  if (signal.aborted && options.replaySeconds === null) return { shopId, databaseUrl: database.url, reachedLive: true };
  const after = await storeCounts(db, shopId);
  printStore(out, after);
  const rowsAfter = await segmentRows(db, shopId, segments);
  printSegments(out, rowsAfter);
  await checkAgainstDatabase(out, db, twin, domain, shopId, after, rowsAfter, "after the replay");
  out.line(`Done in ${since(started).toFixed(0)} s.`);
  return { shopId, databaseUrl: database.url, reachedLive: true };
}

function printStore(out: Out, c: StoreCounts) {
  out.line(out.bold("The store in the app's database"));
  out.line(
    `  customers ${int(c.customers)} · orders ${int(c.orders)} (cancelled ${int(c.cancelled)}, test/void ${int(c.test)}) · line items ${int(c.lineItems)} · refunds ${int(c.refunds)} · net revenue ${money(c.netRevenue)}`,
  );
  out.line();
}

function printSegments(out: Out, rows: SegmentRow[]) {
  const body = (kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => [r.name, r.key, int(r.size), money(r.spend), pct(r.share)]);
  out.line(out.bold("Segments (sizes from memberships; revenue = members' lifetime net spend, share of all customers')"));
  for (const l of table(["segment", "key", "customers", "revenue", "share"], [...body("catalogue"), ...body("custom")], ["l", "l", "r", "r", "r"])) out.line(`  ${l}`);
  out.line();
  for (const l of table(["RFM group", "key", "customers", "revenue", "share"], body("rfm"), ["l", "l", "r", "r", "r"])) out.line(`  ${l}`);
  out.line();
}

interface ExplainLike {
  op: string;
  pass: boolean;
  feature?: string;
  cmp?: string;
  value?: unknown;
  threshold?: unknown;
  stat?: string;
  segment?: string;
  reason?: string;
  children?: ExplainLike[];
}

function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return "none";
  const n = Number(v);
  if (typeof v !== "boolean" && v !== "" && Number.isFinite(n)) return Number.isInteger(n) ? int(n) : money(n);
  return String(v);
}

export function renderWhy(node: ExplainLike, depth = 0): string[] {
  const mark = node.pass ? "yes" : "no ";
  const pad = "  ".repeat(depth);
  if (node.op === "and" || node.op === "or") {
    const lines = depth === 0 ? [] : [`${pad}${mark} ${node.op === "and" ? "all of" : "any of"}:`];
    return [...lines, ...(node.children ?? []).flatMap((c) => renderWhy(c, depth === 0 ? 0 : depth + 1))];
  }
  if (node.op === "not") return [`${pad}${mark} not:`, ...(node.children ?? []).flatMap((c) => renderWhy(c, depth + 1))];
  if (node.op === "segment") return [`${pad}${mark} in segment ${node.segment}`];
  if (node.op === "never") return [`${pad}${mark} ${node.reason ?? "never"}`];
  const against = node.op === "stat" ? `${node.stat} ${fmtValue(node.threshold)}` : fmtValue(node.threshold);
  return [`${pad}${mark} ${node.feature} = ${fmtValue(node.value)}  (${node.cmp} ${against})`];
}

/**
 * The printed counts against the database and the twin: store counts re-read, segment sizes
 * counted a second way (features' segment arrays), and the twin's customers and orders.
 */
async function checkAgainstDatabase(out: Out, db: Db, twin: Twin, domain: string, shopId: number, printed: StoreCounts, rows: SegmentRow[], when: string) {
  const problems: string[] = [];
  const now = await storeCounts(db, shopId);
  for (const k of Object.keys(printed) as (keyof StoreCounts)[]) {
    if (Math.abs(now[k] - printed[k]) > 0.005) problems.push(`${k}: printed ${printed[k]}, database ${now[k]}`);
  }
  const shop = twin.shop(domain);
  if (now.customers !== shop.customers.length) problems.push(`customers: database ${now.customers}, twin ${shop.customers.length}`);
  if (now.orders !== shop.orders.length) problems.push(`orders: database ${now.orders}, twin ${shop.orders.length}`);
  const features = await sizesFromFeatures(db, shopId);
  const again = await segmentRows(db, shopId, rows);
  for (const r of rows) {
    const fresh = again.find((x) => x.key === r.key)?.size ?? 0;
    if (fresh !== r.size) problems.push(`${r.key}: printed ${r.size}, memberships now ${fresh}`);
    if ((features.get(r.key) ?? 0) !== r.size) problems.push(`${r.key}: memberships ${r.size}, features ${features.get(r.key) ?? 0}`);
  }
  if (problems.length) {
    out.line(out.red(`CHECK FAILED (${when}): ${problems.join("; ")}`));
    throw new CheckFailed(problems.join("; "));
  }
  out.line(
    out.green(
      `Check (${when}): the counts above equal the database (re-read) and the twin (${int(shop.customers.length)} customers, ${int(shop.orders.length)} orders); ` +
        `${rows.length} segment sizes equal both the memberships and the customers' feature rows.`,
    ),
  );
  out.line();
}

interface LiveContext {
  db: Db;
  twin: Twin;
  domain: string;
  shopId: number;
  segments: { key: string; name: string }[];
}

async function castFor(ctx: LiveContext): Promise<Cast> {
  const pick = async (sql: string) => (await ctx.db.query<{ id: string }>(sql, [ctx.shopId])).rows[0]?.id ?? null;
  const lost = await pick(
    `select customer_id::text as id from customer_features where shop_id = $1 and segments @> array['lost'] and orders_count >= 2
      order by spend_lifetime desc, customer_id limit 1`,
  );
  const oneTime = await pick(
    "select customer_id::text as id from customer_features where shop_id = $1 and segments @> array['one-time'] order by spend_lifetime desc, customer_id limit 1",
  );
  const regular = await pick(
    `select customer_id::text as id from customer_features where shop_id = $1 and orders_365d >= 3 and not segments @> array['vip']
      and last_order_at > now() - interval '60 days' order by spend_365d desc, customer_id limit 1`,
  );
  const cut = await ctx.db.query<{ cut: number | null }>("select vip_spend_cut::float8 as cut from segment_shop_stats where shop_id = $1", [ctx.shopId]);
  const shop = ctx.twin.shop(ctx.domain);
  // Products as sold in the last orders of the history (their types are known from the backfill).
  const products = new Map<string, Product>();
  for (let i = shop.orders.length - 1; i >= 0 && products.size < 300; i--) {
    const o = shop.orders[i];
    if (o.test || o.cancelledAt !== null) continue;
    for (const li of o.lineItems) {
      if (li.productId === null || Number(li.price) <= 0 || products.has(String(li.productId))) continue;
      products.set(String(li.productId), {
        productId: String(li.productId),
        variantId: li.variantId === null ? null : String(li.variantId),
        title: li.title,
        productType: li.productType,
        vendor: li.vendor,
        sku: li.sku,
        price: li.price,
      });
    }
  }
  return {
    lost,
    oneTime,
    regular,
    bigOrderValue: Math.max(500, Math.ceil((cut.rows[0]?.cut ?? 1000) * 1.2)),
    customers: shop.customers.map((c) => String(c.id)),
    products: [...products.values()],
  };
}

/** Push-back ships with the app when its module is there (it runs on the same queue as sync). */
async function pushAvailable(): Promise<boolean> {
  try {
    const push = await import("../../app/push/index.server.ts");
    return typeof push.startPushWorkers === "function";
  } catch {
    return false;
  }
}

const prefixed = (tags: string[]) => tags.filter((t) => t.toLowerCase().startsWith(TAG_PREFIX) && t.toLowerCase() !== `${TAG_PREFIX}opt-out`).sort();

/**
 * After the first segmentation every member gets its tags: push-back writes them to the twin, and
 * the twin (as Shopify) answers each tag write with customer.tags_added + customers/update
 * webhooks, which the app records and recognises as its own echo. Waits for both to settle.
 */
async function pushPhase(out: Out, signal: AbortSignal, ctx: LiveContext) {
  const { pushStatus } = await import("../../app/push/index.server.ts");
  const t = performance.now();
  const firstEvent = await maxWebhookEventId(ctx.db);
  const shop = ctx.twin.shop(ctx.domain);
  let quiet = 0;
  for (;;) {
    if (signal.aborted) return;
    const status = await pushStatus(ctx.shopId);
    const want = await ctx.db.query<{ n: number }>("select count(*)::int as n from push_customers where shop_id = $1 and cardinality(desired_tags) > 0", [ctx.shopId]);
    const tagged = shop.customers.filter((c) => prefixed(c.tags).length > 0).length;
    const events = await webhookEventCounts(ctx.db, ctx.domain, firstEvent);
    const pending = (events.byStatus.received ?? 0) + (events.byStatus.stored ?? 0);
    const target = Math.max(want.rows[0].n, 1);
    out.status(
      `Push-back    ${progressBar((100 * Math.min(tagged, target)) / target)} ${int(tagged)} / ${int(want.rows[0].n)} customers tagged in the twin · ` +
        `echo webhooks ${int(events.total - pending)} / ${int(events.total)} applied`,
    );
    const settled = status.behind === 0 && status.dirty === 0 && pending === 0 && status.customers > 0;
    quiet = settled ? quiet + 1 : 0;
    // Settled twice in a row (a push requested by the last echo may still be on its way).
    if (quiet >= 2) break;
    if (since(t) > 1800) throw new Error("push-back did not settle within 30 minutes");
    await sleep(out.interactive ? 300 : 2000, signal);
  }
  out.endStatus();
  const events = await webhookEventCounts(ctx.db, ctx.domain, firstEvent);
  const ids = shop.customers.map((c) => c.id);
  const expected = await expectedTags(ctx.db, ctx.shopId, ids);
  const wrong = ids.filter((id) => prefixed(shop.customersById.get(id)?.tags ?? []).join(" ") !== (expected.get(id) ?? []).join(" "));
  const tagged = [...expected.values()].filter((tags) => tags.length > 0).length;
  const seconds = since(t);
  out.line(
    `Push-back    done in ${seconds.toFixed(0)} s: tags on ${int(tagged)} customers; the twin answered with ` +
      `${int(events.total)} webhooks (tags_added + customers/update per customer), recorded and applied as the app's own echo ` +
      `(${(events.total / Math.max(seconds, 1)).toFixed(0)} events/s)`,
  );
  if (wrong.length) {
    out.line(out.red(`CHECK FAILED (push-back): the twin's tags differ from the app's desired tags for ${wrong.length} customers, e.g. ${wrong[0]}`));
    throw new CheckFailed(`tags differ for ${wrong.length} customers`);
  }
  out.line(out.green(`Check (push-back): every customer's seg: tags in the twin equal the segments it is in (${int(ids.length)} customers checked).`));
  out.line();
}

async function live(out: Out, options: DemoOptions, signal: AbortSignal, ctx: LiveContext, pushing: boolean) {
  const bounded = options.replaySeconds !== null;
  out.line(
    out.bold(
      `Live: shoppers place, pay and refund orders in the twin (${options.rate}/s) -> signed webhooks -> the app -> segments -> tags in the twin` +
        (bounded ? ` (for ${options.replaySeconds} s)` : " (Ctrl-C to stop)"),
    ),
  );
  const names = new Map(ctx.segments.map((s) => [s.key, s.name]));
  const control = new TwinControl(ctx.twin.url, ctx.domain);
  const cast = await castFor(ctx);
  const steps = shopperSteps(cast, options.seed);
  const firstEvent = await maxWebhookEventId(ctx.db);
  const firstChange = await lastChangeId(ctx.db, ctx.shopId);
  if (!pushing) out.line(out.dim("  (push-back is not part of this build: no tags will appear in the twin)"));
  const firstDelivery = ctx.twin.webhooks.deliveries({ shop: ctx.domain }).length;
  let cursor = firstChange;
  let printedChanges = 0;
  const t0 = performance.now();
  const clock = () => `+${since(t0).toFixed(1).padStart(5)} s`;
  const watched = new Map<bigint, { since: number }>();
  let lateTags = 0;

  const printChanges = async () => {
    for (;;) {
      const batch = await changesSince(ctx.db, ctx.shopId, cursor);
      if (batch.length === 0) return;
      cursor = batch[batch.length - 1].id;
      const byCustomer = new Map<bigint, string[]>();
      for (const c of batch) {
        const list = byCustomer.get(c.customerId) ?? [];
        list.push(`${c.change === "entered" ? out.green("+") : out.red("-")} ${names.get(c.segmentKey) ?? c.segmentKey}`);
        byCustomer.set(c.customerId, list);
        printedChanges++;
      }
      for (const [customer, moves] of byCustomer) {
        out.line(`  ${clock()}    ${who(customer)}: ${moves.join(", ")}`);
        if (pushing) watched.set(customer, { since: watched.get(customer)?.since ?? performance.now() });
      }
    }
  };

  /** A moved customer's tags in the twin, until they equal the segments the engine holds now. */
  const checkTags = async (final: boolean) => {
    if (!pushing || watched.size === 0) return;
    const ids = [...watched.keys()];
    const expected = await expectedTags(ctx.db, ctx.shopId, ids);
    for (const id of ids) {
      const w = watched.get(id)!;
      const want = (expected.get(id) ?? []).join(" ");
      const shown = prefixed(await control.tags(String(id))).join(" ");
      if (shown === want) {
        out.line(`  ${clock()}    ${out.cyan("tags in Shopify")} for ${who(id)}: ${shown || "(none of ours)"}  (${((performance.now() - w.since) / 1000).toFixed(1)} s after the move)`);
        watched.delete(id);
      } else if (!final && performance.now() - w.since > 60_000) {
        out.line(out.red(`  ${clock()}    tags in Shopify for ${who(id)} still differ after 60 s: ${shown} (want ${want})`));
        watched.delete(id);
        lateTags++;
      }
    }
  };

  const end = bounded ? performance.now() + (options.replaySeconds as number) * 1000 : Infinity;
  const interval = 1000 / options.rate;
  let next = performance.now();
  let lastTagCheck = 0;
  while (!signal.aborted && performance.now() < end) {
    if (performance.now() >= next) {
      const step = steps.next().value!;
      try {
        const r = await step.run(control);
        out.line(`  ${clock()} ${out.bold(step.label)}: ${r.detail}${r.customerId ? ` (${who(r.customerId)})` : ""}`);
      } catch (error) {
        out.line(out.red(`  ${clock()} ${step.label} failed in the twin: ${(error as Error).message}`));
      }
      next += interval;
    }
    await printChanges();
    if (performance.now() - lastTagCheck > 500) {
      await checkTags(false);
      lastTagCheck = performance.now();
    }
    await sleep(Math.max(20, Math.min(200, next - performance.now())), signal);
  }
  if (signal.aborted && !bounded) {
    out.line("  stopping...");
    return;
  }

  // Bounded: let every delivery land and every event apply, then the tags settle.
  out.line(`  ${clock()} replay over; waiting for the last webhooks, events and tags...`);
  const settleEvents = async (until: number) => {
    await ctx.twin.webhooks.idle();
    for (;;) {
      const events = await webhookEventCounts(ctx.db, ctx.domain, firstEvent);
      const pending = (events.byStatus.received ?? 0) + (events.byStatus.stored ?? 0);
      await printChanges();
      if (pending === 0 || performance.now() > until) break;
      await sleep(200);
    }
  };
  await settleEvents(performance.now() + 120_000);
  await printChanges();
  const tagsUntil = performance.now() + 60_000;
  while (pushing && watched.size && performance.now() < tagsUntil) {
    await checkTags(true);
    if (watched.size) await sleep(500);
  }
  // The last tag writes come back as echo webhooks (tags_added/removed, customers/update): they
  // are deliveries too, and are counted below only once they are applied.
  await settleEvents(performance.now() + 60_000);
  const events = await webhookEventCounts(ctx.db, ctx.domain, firstEvent);
  const changes = await countChangesSince(ctx.db, ctx.shopId, firstChange);
  out.line();
  const deliveries = ctx.twin.webhooks.deliveries({ shop: ctx.domain }).length - firstDelivery;
  out.line(
    `Replay: ${int(deliveries)} webhook deliveries by the twin; the app recorded ${int(events.total)} events (` +
      Object.entries(events.byStatus).map(([s, n]) => `${s} ${int(n)}`).join(", ") +
      `); ${int(printedChanges)} segment moves printed, ${int(changes)} in membership_changes`,
  );
  const problems: string[] = [];
  const unfinished = events.total - (events.byStatus.applied ?? 0) - (events.byStatus.ignored ?? 0);
  if (unfinished) problems.push(`${unfinished} events not applied`);
  if (printedChanges !== changes) problems.push(`printed ${printedChanges} moves, membership_changes has ${changes}`);
  if (pushing && watched.size + lateTags) problems.push(`tags of ${watched.size + lateTags} customers did not reach the twin within 60 s`);
  if (problems.length) {
    out.line(out.red(`CHECK FAILED (replay): ${problems.join("; ")}`));
    throw new CheckFailed(problems.join("; "));
  }
  out.line();
}
