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

// Deleted in slices so a large backlog never holds one long transaction over the webhook log.
const SLICE = 5_000;

async function deleteInSlices(sql: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await syncPool().query(sql, [...params, SLICE]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < SLICE) return total;
  }
}

/** Deletes log rows older than their window; returns what it deleted (for the job's result). */
export async function pruneLogs(options: { now?: Date } = {}) {
  const now = (options.now ?? new Date()).getTime();
  const before = (days: number) => new Date(now - days * DAY);
  const processedEvents = await deleteInSlices(
    `delete from webhook_events where id in (
       select id from webhook_events where status in ('applied', 'ignored') and received_at < $1 limit $2)`,
    [before(LOG_RETENTION.processedEventsDays)],
  );
  const failedEvents = await deleteInSlices(
    `delete from webhook_events where id in (
       select id from webhook_events where status in ('failed', 'parked') and received_at < $1 limit $2)`,
    [before(LOG_RETENTION.failedEventsDays)],
  );
  const dataExports = await deleteInSlices(
    "delete from data_exports where id in (select id from data_exports where created_at < $1 limit $2)",
    [before(LOG_RETENTION.dataExportsDays)],
  );
  return { processedEvents, failedEvents, dataExports };
}
