// Works queued jobs in the calling process until none is ready: for tests, the demo and
// benchmarks that need "everything applied now" without timing assumptions.
import type { JobWithMetadata } from "pg-boss";
import { getBoss, QUEUES } from "./queue.server";
import { handleEventJobs, handleRunJob } from "./workers.server";

export async function drainEvents(): Promise<number> {
  const boss = await getBoss();
  let done = 0;
  for (;;) {
    const jobs = (await boss.fetch<{ eventId: string }>(QUEUES.event, { batchSize: 100, includeMetadata: true })) as JobWithMetadata<{ eventId: string }>[];
    if (jobs.length === 0) return done;
    for (const result of await handleEventJobs(jobs)) {
      if (result.status === "completed") await boss.complete(QUEUES.event, result.id, result.output);
      else await boss.fail(QUEUES.event, result.id, result.output);
    }
    done += jobs.length;
  }
}

export async function drainRuns(): Promise<number> {
  const boss = await getBoss();
  let done = 0;
  for (;;) {
    const [job] = (await boss.fetch<{ runId: string }>(QUEUES.run, { batchSize: 1, includeMetadata: true })) as JobWithMetadata<{ runId: string }>[];
    if (!job) return done;
    try {
      await boss.complete(QUEUES.run, job.id, await handleRunJob(job));
    } catch (error) {
      await boss.fail(QUEUES.run, job.id, { message: (error as Error).message });
      throw error;
    }
    done++;
  }
}
