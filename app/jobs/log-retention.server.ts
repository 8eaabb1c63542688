// Retention of the app's own logs. The webhook log exists for de-duplication (Shopify retries a
// delivery for hours, not weeks) and for the merchant's view of failures; a data export exists for
// the merchant to answer a customer's request (Shopify gives 30 days). Neither is needed forever,
// and holding less is the point of privacy by design. The membership change log is not pruned
// here: it is the segments' history the admin shows (moves over time, RFM migration), and it
// names customers only by id (a redacted customer's rows go at customers/redact).
import { syncPool } from "../sync/pg.server";

const DAY = 86_400_000;

export const LOG_RETENTION = {
  /** Applied or ignored deliveries: long past any redelivery; stale protection covers later ones. */
  processedEventsDays: Number(process.env.RETENTION_EVENTS_DAYS ?? 30),
  /** Failed or parked deliveries stay longer: the merchant may still want to see or retry them. */
  failedEventsDays: Number(process.env.RETENTION_FAILED_EVENTS_DAYS ?? 90),
  /** Data exports: the customer's request is answered within 30 days; 90 leaves the merchant room. */
  dataExportsDays: Number(process.env.RETENTION_DATA_EXPORTS_DAYS ?? 90),
};

// Deleted in slices so a large backlog never holds one long transaction over the webhook log. Each
// slice walks the primary key on from where the last one stopped: ids grow with time, so old rows
// sit at the start, and no slice scans again past the dead rows its predecessors left.
const SLICE = 5_000;

async function deleteInSlices(table: "webhook_events" | "data_exports", where: string, params: unknown[], slice: number): Promise<number> {
  let total = 0;
  let after = "0";
  for (;;) {
    const { rows } = await syncPool().query<{ n: number; last: string | null }>(
      `with doomed as (select id from ${table} where id > $1 and ${where} order by id limit ${slice}),
            gone as (delete from ${table} t using doomed d where t.id = d.id returning t.id)
       select count(*)::int as n, max(id)::text as last from gone`,
      [after, ...params],
    );
    total += rows[0].n;
    if (rows[0].n < slice || rows[0].last === null) return total;
    after = rows[0].last;
  }
}

/** Deletes log rows older than their window; returns what it deleted (for the job's result). */
export async function pruneLogs(options: { now?: Date; slice?: number } = {}) {
  const now = (options.now ?? new Date()).getTime();
  const slice = Math.max(1, Math.floor(options.slice ?? SLICE));
  const before = (days: number) => new Date(now - days * DAY);
  const processed = [before(LOG_RETENTION.processedEventsDays)];
  const processedEvents = await deleteInSlices("webhook_events", "status in ('applied', 'ignored') and received_at < $2", processed, slice);
  const failed = [before(LOG_RETENTION.failedEventsDays)];
  const failedEvents = await deleteInSlices("webhook_events", "status in ('failed', 'parked') and received_at < $2", failed, slice);
  const dataExports = await deleteInSlices("data_exports", "created_at < $2", [before(LOG_RETENTION.dataExportsDays)], slice);
  return { processedEvents, failedEvents, dataExports };
}
