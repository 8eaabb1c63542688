// Queue workers. In-process for dev/demo (`startWorkers()`), or a separate `npm run worker`.
import type { JobWithMetadata } from "pg-boss";
import { getBoss, QUEUES, stopBoss } from "./queue.server";
import { processEvents, sweepStuckEvents } from "../sync/events.server";
import { driveRun, startReconciliationForAllShops } from "../sync/runs.server";
import { resetPushWorkers, startPushWorkers } from "../push/jobs.server";
import { resetOffersWorkers, startOffersWorkers } from "../offers/jobs.server";
import { resetDailyWorkers, startDailyWorkers } from "./daily.server";
import { resetInstallWorkers, startInstallWorkers } from "./install.server";

interface EventJob {
  eventId: string;
}
interface RunJob {
  runId: string;
}

const RECONCILE_CRON = process.env.SYNC_RECONCILE_CRON ?? "0 */6 * * *";
/** Events unfinished this long are re-enqueued by the minute sweep (a lost enqueue, a job lost with its database connection). */
const SWEEP_AFTER_SECONDS = Number(process.env.SYNC_SWEEP_AFTER_SECONDS ?? 120);

/** Applies a batch of event jobs (one engine recompute per shop per batch); each job settles on its own. */
export async function handleEventJobs(jobs: JobWithMetadata<EventJob>[]) {
  const outcomes = await processEvents(
    jobs.map((job) => ({ eventId: BigInt(job.data.eventId), finalAttempt: job.retryCount >= job.retryLimit })),
  );
  return jobs.map((job) => {
    const outcome = outcomes.get(BigInt(job.data.eventId));
    return { id: job.id, status: outcome === "retry" ? ("failed" as const) : ("completed" as const), output: { outcome } };
  });
}

export async function handleRunJob(job: JobWithMetadata<RunJob>) {
  const outcome = await driveRun(BigInt(job.data.runId), { signal: job.signal, finalAttempt: job.retryCount >= job.retryLimit });
  return { outcome };
}

let started = false;

export interface WorkerOptions {
  /** Event jobs fetched per batch. */
  batchSize?: number;
  /** Event batches worked concurrently in this process. */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  /** Schedule the periodic crons (reconciliation, sweep). Default true. */
  schedule?: boolean;
}

/** Starts this process's workers (idempotent). On start, events a crash left behind are re-enqueued. */
export async function startWorkers(options: WorkerOptions = {}) {
  if (started) return;
  started = true;
  const boss = await getBoss();
  const polling = options.pollingIntervalSeconds ?? Number(process.env.SYNC_POLL_SECONDS ?? 0.5);
  const eventOptions = {
    batchSize: options.batchSize ?? 20,
    localConcurrency: options.concurrency ?? 2,
    includeMetadata: true,
    perJobResults: true,
    pollingIntervalSeconds: polling,
  } as const;
  await boss.work<EventJob, unknown, typeof eventOptions>(QUEUES.event, eventOptions, handleEventJobs);
  const runOptions = { batchSize: 1, localConcurrency: 2, includeMetadata: true, pollingIntervalSeconds: polling } as const;
  await boss.work<RunJob, unknown, typeof runOptions>(QUEUES.run, runOptions, async ([job]) => handleRunJob(job));
  await boss.work(QUEUES.reconcileAll, { pollingIntervalSeconds: 5 }, async () => ({ started: await startReconciliationForAllShops() }));
  await boss.work(QUEUES.sweep, { pollingIntervalSeconds: 5 }, async () => ({ requeued: await sweepStuckEvents(SWEEP_AFTER_SECONDS) }));
  if (options.schedule ?? true) {
    await boss.schedule(QUEUES.reconcileAll, RECONCILE_CRON);
    await boss.schedule(QUEUES.sweep, "* * * * *");
  }
  // Push-back (app/push): push-shop jobs, its sweep and nightly drift check.
  await startPushWorkers({ schedule: options.schedule ?? true, pollingIntervalSeconds: polling });
  // Offers feed (shop metafield for the theme extension), published after offer edits.
  await startOffersWorkers({ pollingIntervalSeconds: polling });
  // The daily passes: each shop's full recompute after its local midnight (time moves customers
  // between segments), and the browsing data's retention and features.
  await startDailyWorkers({ schedule: options.schedule ?? true });
  // After an install: the storefront web pixel's activation.
  await startInstallWorkers({ pollingIntervalSeconds: polling });
  // Events recorded before a crash and never finished: back in the queue now.
  await sweepStuckEvents(0);
}

export async function stopWorkers(options: { graceful?: boolean } = {}) {
  if (!started) return;
  started = false;
  resetPushWorkers();
  resetOffersWorkers();
  resetDailyWorkers();
  resetInstallWorkers();
  await stopBoss({ graceful: options.graceful ?? true });
}
