// Push-back on the pg-boss queue: one `push-shop` job per shop at a time (queued + active at most,
// policy "stately"), requested after every engine batch that logged changes, plus a sweep for
// anything a crash or a failed request left behind and a nightly drift check.
import type pg from "pg";
import type { JobWithMetadata } from "pg-boss";
import { onClient } from "../jobs/queue.server";
import { queuesOf } from "../jobs/ensure-queues.server";
import { syncPool } from "../sync/pg.server";
import { pushShop } from "./push.server";
import { checkDrift } from "./drift.server";

export const PUSH_QUEUES = {
  /** Push one shop's pending changes (data: { shopId }). */
  push: "push-shop",
  /** Cron: request a push for every shop with work left. */
  sweep: "push-sweep",
  /** Cron: the drift check of every installed shop (data: {} or { shopId }). */
  drift: "push-drift",
} as const;

/** Seconds a push waits after the first request, so a burst of changes is pushed once (the push window). */
const PUSH_WINDOW_SECONDS = Number(process.env.PUSH_WINDOW_SECONDS ?? 1);
const DRIFT_CRON = process.env.PUSH_DRIFT_CRON ?? "30 3 * * *";

const pushBoss = queuesOf([
  [PUSH_QUEUES.push, { policy: "stately", retryLimit: 20, retryDelay: 5, retryBackoff: true, retryDelayMax: 600, expireInSeconds: 3 * 3600, heartbeatSeconds: Number(process.env.PUSH_HEARTBEAT_SECONDS ?? 60) }],
  [PUSH_QUEUES.sweep, { retryLimit: 0, expireInSeconds: 120 }],
  [PUSH_QUEUES.drift, { retryLimit: 3, retryDelay: 300, expireInSeconds: 6 * 3600, heartbeatSeconds: 60 }],
]);

/**
 * Asks for a push of the shop's pending changes (coalesced: at most one queued per shop). Call it
 * after the engine logged changes; with `client`, the request commits with the caller's transaction.
 */
export async function requestPush(shopId: number, options: { client?: pg.ClientBase; delaySeconds?: number } = {}) {
  const boss = await pushBoss();
  return boss.send(PUSH_QUEUES.push, { shopId }, {
    singletonKey: `shop:${shopId}`,
    startAfter: options.delaySeconds ?? PUSH_WINDOW_SECONDS,
    ...(options.client ? { db: onClient(options.client) } : {}),
  });
}

interface PushJob {
  shopId: number;
}

export async function handlePushJob(job: JobWithMetadata<PushJob>) {
  const report = await pushShop(job.data.shopId, { signal: job.signal });
  // Work left (busy elsewhere, retryable failures, Flow triggers beyond this push's share): again soon.
  if (report.busy || report.remaining > 0 || report.flowPending > 0) {
    await requestPush(job.data.shopId, { delaySeconds: report.busy ? 2 : report.remaining > 0 ? 10 : report.flowDeferred ? 1 : 0 });
  }
  return { ...report, bulkRuns: report.bulkRuns.length };
}

/** Shops with changes past their cursor, dirty customers or pending Flow triggers: a push each. */
export async function sweepPushes(): Promise<number> {
  const { rows } = await syncPool().query<{ id: number }>(
    `select s.id from shops s
      where s.install_state = 'installed'
        and (exists (select 1 from membership_changes m where m.shop_id = s.id
                       and m.id > coalesce((select last_change_id from push_shops p where p.shop_id = s.id), 0))
             or exists (select 1 from push_customers c where c.shop_id = s.id and c.dirty and not c.gone and c.attempts < 5)
             or exists (select 1 from push_flow_triggers f where f.shop_id = s.id and f.status = 'pending'))`,
  );
  for (const r of rows) await requestPush(r.id, { delaySeconds: 0 });
  return rows.length;
}

export async function handleDriftJob(job: JobWithMetadata<{ shopId?: number }>) {
  const ids = job.data.shopId
    ? [job.data.shopId]
    : (await syncPool().query<{ id: number }>("select id from shops where install_state = 'installed' order by id")).rows.map((r) => r.id);
  let repaired = 0;
  for (const shopId of ids) {
    const report = await checkDrift(shopId, { signal: job.signal });
    repaired += report.repaired;
    if (report.repaired > 0) await requestPush(shopId, { delaySeconds: 0 });
  }
  return { shops: ids.length, repaired };
}

let started = false;

/** Registers the push workers in this process (idempotent); `schedule` adds the sweep and drift crons. */
export async function startPushWorkers(options: { schedule?: boolean; pollingIntervalSeconds?: number; concurrency?: number } = {}) {
  if (started) return;
  started = true;
  const boss = await pushBoss();
  const polling = options.pollingIntervalSeconds ?? Number(process.env.SYNC_POLL_SECONDS ?? 0.5);
  const pushOptions = { batchSize: 1, localConcurrency: options.concurrency ?? 2, includeMetadata: true, pollingIntervalSeconds: polling } as const;
  await boss.work<PushJob, unknown, typeof pushOptions>(PUSH_QUEUES.push, pushOptions, async ([job]) => handlePushJob(job));
  await boss.work(PUSH_QUEUES.sweep, { pollingIntervalSeconds: 5 }, async () => ({ requested: await sweepPushes() }));
  const driftOptions = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 5 } as const;
  await boss.work<{ shopId?: number }, unknown, typeof driftOptions>(PUSH_QUEUES.drift, driftOptions, async ([job]) => handleDriftJob(job));
  if (options.schedule ?? true) {
    await boss.schedule(PUSH_QUEUES.sweep, "* * * * *");
    await boss.schedule(PUSH_QUEUES.drift, DRIFT_CRON);
  }
  // Whatever a crash left behind: requested now.
  await sweepPushes();
}

/** For a restart of the workers in the same process (tests): stopBoss() ends the workers themselves. */
export function resetPushWorkers() {
  started = false;
}
