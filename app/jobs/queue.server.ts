// The durable job queue: pg-boss in its own `pgboss` schema of the app's database. Every process
// (web, worker) holds one instance; several on one database are safe (pg-boss claims jobs with
// SKIP LOCKED and runs its maintenance under advisory locks).
import { PgBoss, type SendOptions } from "pg-boss";
import type pg from "pg";

export const QUEUES = {
  /** One webhook event to apply (data: { eventId }). */
  event: "sync-event",
  /** One backfill or reconciliation run to drive (data: { runId }). */
  run: "sync-run",
  /** Cron: starts a reconciliation run for every installed shop. */
  reconcileAll: "sync-reconcile-all",
  /** Cron: re-enqueues events left behind by a crash between record and enqueue. */
  sweep: "sync-sweep",
} as const;

declare global {
  var __segmentSyncBoss: Promise<PgBoss> | undefined;
}

const eventRetries = Number(process.env.SYNC_EVENT_RETRY_LIMIT ?? 6);

async function createBoss(): Promise<PgBoss> {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set (the job queue lives in PostgreSQL).");
  const boss = new PgBoss({
    connectionString,
    schema: "pgboss",
    max: Number(process.env.QUEUE_POOL_SIZE ?? 10),
    application_name: "segment-sync-queue",
    // How often this instance fails jobs whose worker stopped heartbeating (a killed process):
    // until then a crashed worker's job (a shop's push, a run) waits.
    superviseIntervalSeconds: Number(process.env.QUEUE_SUPERVISE_SECONDS ?? 60),
    monitorIntervalSeconds: Number(process.env.QUEUE_SUPERVISE_SECONDS ?? 60),
  });
  boss.on("error", (error: Error) => console.warn(`[queue] ${error.message}`));
  await boss.start();
  await ensureQueues(boss);
  return boss;
}

async function ensureQueues(boss: PgBoss) {
  const wanted: Array<[string, Parameters<PgBoss["createQueue"]>[1]]> = [
    [QUEUES.event, { retryLimit: eventRetries, retryDelay: Number(process.env.SYNC_EVENT_RETRY_DELAY ?? 5), retryBackoff: true, retryDelayMax: 900, expireInSeconds: 300 }],
    // Runs are long; the heartbeat lets a crashed worker's run be picked up again within a minute.
    [QUEUES.run, { retryLimit: 8, retryDelay: 15, retryBackoff: true, retryDelayMax: 1800, expireInSeconds: 6 * 3600, heartbeatSeconds: Number(process.env.SYNC_RUN_HEARTBEAT_SECONDS ?? 30) }],
    [QUEUES.reconcileAll, { retryLimit: 2, expireInSeconds: 600 }],
    [QUEUES.sweep, { retryLimit: 0, expireInSeconds: 120 }],
  ];
  for (const [name, options] of wanted) {
    try {
      await boss.createQueue(name, options);
    } catch (error) {
      // Another process created it between our check and create.
      if (!/already exists|duplicate/i.test((error as Error).message)) throw error;
    }
  }
}

/** The process's queue instance, started on first use. */
export function getBoss(): Promise<PgBoss> {
  if (!globalThis.__segmentSyncBoss) {
    globalThis.__segmentSyncBoss = createBoss().catch((error) => {
      globalThis.__segmentSyncBoss = undefined;
      throw error;
    });
  }
  return globalThis.__segmentSyncBoss;
}

export async function stopBoss(options: { graceful?: boolean; timeout?: number } = {}) {
  const pending = globalThis.__segmentSyncBoss;
  globalThis.__segmentSyncBoss = undefined;
  if (pending) await (await pending).stop({ graceful: options.graceful ?? true, timeout: options.timeout ?? 10_000, close: true });
}

/** pg-boss statements on a caller's transaction, so a job commits (or not) with the caller's rows. */
export function onClient(client: pg.ClientBase): SendOptions["db"] {
  return { executeSql: (text: string, values?: unknown[]) => client.query(text, values as unknown[]) };
}

export async function enqueueEvent(eventId: bigint, options: { client?: pg.ClientBase; startAfterSeconds?: number } = {}) {
  const boss = await getBoss();
  return boss.send(QUEUES.event, { eventId: eventId.toString() }, {
    ...(options.client ? { db: onClient(options.client) } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}

/** Event jobs in one statement (the webhook intake's group commit): same queue options as send. */
export async function enqueueEvents(eventIds: bigint[]) {
  if (eventIds.length === 0) return;
  const boss = await getBoss();
  await boss.insert(QUEUES.event, eventIds.map((id) => ({ data: { eventId: id.toString() } })));
}

export async function enqueueRun(runId: bigint, options: { client?: pg.ClientBase; startAfterSeconds?: number } = {}) {
  const boss = await getBoss();
  return boss.send(QUEUES.run, { runId: runId.toString() }, {
    singletonKey: `run:${runId}`,
    ...(options.client ? { db: onClient(options.client) } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}
