// The daily passes. Segments depend on time as well as on orders ("lost" after 180 days without
// one, "frequent in 30 days"...): without an order event nothing would move a customer whose window
// ran out, so every installed shop gets a full recompute once a day, just after midnight in its own
// timezone (the engine evaluates windows there). Browsing data has its own daily pass (retention,
// day partitions, browsing features), once a day for every shop, and so do the app's own logs
// (log-retention.server.ts).
import type { JobWithMetadata } from "pg-boss";
import { queuesOf } from "./ensure-queues.server";
import { syncPool } from "../sync/pg.server";
import { recomputeShop } from "../sync/recompute.server";
import { runBrowsingMaintenance } from "../browsing/retention.server";
import { pruneLogs } from "./log-retention.server";

export const DAILY_QUEUES = {
  /** Cron, hourly: enqueues the shops whose local day has just begun. */
  due: "segments-daily-due",
  /** One shop's daily full recompute (data: { shopId, day }). */
  shop: "segments-daily-shop",
  /** Cron, daily: pixel retention, partitions, browsing features and segments. */
  browsing: "browsing-daily",
  /** Cron, daily: the webhook log and data exports past their retention window. */
  logs: "logs-retention",
} as const;

const DUE_CRON = process.env.SEGMENTS_DAILY_CRON ?? "5 * * * *";
const BROWSING_CRON = process.env.BROWSING_DAILY_CRON ?? "30 0 * * *";
const LOGS_CRON = process.env.LOGS_RETENTION_CRON ?? "45 0 * * *";

const dailyBoss = queuesOf([
  [DAILY_QUEUES.due, { retryLimit: 2, expireInSeconds: 600 }],
  [DAILY_QUEUES.shop, { retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 }],
  [DAILY_QUEUES.browsing, { retryLimit: 3, retryDelay: 300, expireInSeconds: 3 * 3600 }],
  [DAILY_QUEUES.logs, { retryLimit: 3, retryDelay: 300, expireInSeconds: 3600 }],
]);

/** The shop's local calendar day and hour at `now`; an unknown timezone counts as UTC. */
export function localDayAndHour(timezone: string, now: Date): { day: string; hour: number } {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" }).formatToParts(now);
  } catch {
    return localDayAndHour("UTC", now);
  }
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return { day: `${get("year")}-${get("month")}-${get("day")}`, hour: Number(get("hour")) };
}

/** Installed shops whose local day began in the last hour (the hourly cron's pick). */
export async function dueShops(now: Date = new Date()): Promise<Array<{ shopId: number; day: string }>> {
  const { rows } = await syncPool().query<{ id: number; timezone: string }>("select id, timezone from shops where install_state = 'installed' order by id");
  return rows.flatMap((r) => {
    const { day, hour } = localDayAndHour(r.timezone, now);
    return hour === 0 ? [{ shopId: r.id, day }] : [];
  });
}

/** Enqueues the due shops' recomputes (one job per shop and local day). */
export async function enqueueDueShops(now: Date = new Date()): Promise<number> {
  const boss = await dailyBoss();
  const due = await dueShops(now);
  for (const { shopId, day } of due) {
    await boss.send(DAILY_QUEUES.shop, { shopId, day }, { singletonKey: `daily:${shopId}:${day}` });
  }
  return due.length;
}

/** One shop's daily pass: a full recompute (memberships whose windows ran out move; push follows). */
export async function runDailyShop(shopId: number) {
  const { rows } = await syncPool().query("select 1 from shops where id = $1 and install_state = 'installed'", [shopId]);
  if (!rows.length) return { skipped: "not installed" };
  await recomputeShop(shopId);
  return { recomputed: shopId };
}

let started = false;

export async function startDailyWorkers(options: { schedule?: boolean } = {}) {
  if (started) return;
  started = true;
  const boss = await dailyBoss();
  await boss.work(DAILY_QUEUES.due, { pollingIntervalSeconds: 30 }, async () => ({ enqueued: await enqueueDueShops() }));
  const shopOptions = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 10 } as const;
  await boss.work<{ shopId: number }, unknown, typeof shopOptions>(DAILY_QUEUES.shop, shopOptions, async ([job]: JobWithMetadata<{ shopId: number }>[]) =>
    runDailyShop(job.data.shopId),
  );
  await boss.work(DAILY_QUEUES.browsing, { pollingIntervalSeconds: 30 }, async () => runBrowsingMaintenance());
  await boss.work(DAILY_QUEUES.logs, { pollingIntervalSeconds: 30 }, async () => pruneLogs());
  if (options.schedule ?? true) {
    await boss.schedule(DAILY_QUEUES.due, DUE_CRON);
    await boss.schedule(DAILY_QUEUES.browsing, BROWSING_CRON);
    await boss.schedule(DAILY_QUEUES.logs, LOGS_CRON);
  }
}

export function resetDailyWorkers() {
  started = false;
}
