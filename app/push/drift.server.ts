// The drift check: reads every customer's tags from Shopify (one bulk query, no per-customer cost)
// and compares our tags there with what we recorded as pushed. Differences (a merchant or another
// app removed our tag, a tag of ours we never recorded) become dirty rows the next push repairs.
import { runBulkQuery } from "../shopify/run-bulk-query.server";
import { getBulkOperation } from "../shopify/get-bulk-operation.server";
import { CUSTOMER_TAGS_BULK_QUERY } from "../shopify/customer-tags-bulk-query.server";
import { jsonlLines } from "../sync/bulk-lines.server";
import { syncPool } from "../sync/pg.server";
import { derive, emptyRow, isDirty, loadContext, readRows, saveRows, type PushRow } from "./state.server";
import { isOurTag, sameSet } from "./tags";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DriftReport {
  customers: number;
  repaired: number;
}

/** Compares the store's tags with our pushed state and marks what differs for repair. */
export async function checkDrift(shopId: number, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<DriftReport> {
  const pool = syncPool();
  const started = new Date();
  const { rows: shops } = await pool.query<{ domain: string }>("select domain from shops where id = $1", [shopId]);
  if (!shops[0]) throw new Error(`Shop ${shopId} does not exist.`);
  const domain = shops[0].domain;
  const opId = await runBulkQuery(domain, CUSTOMER_TAGS_BULK_QUERY);
  let wait = options.pollMs ?? 250;
  let op = await getBulkOperation(domain, opId);
  while (op && (op.status === "CREATED" || op.status === "RUNNING")) {
    if (options.signal?.aborted) throw new Error("drift check aborted");
    await sleep(wait);
    wait = Math.min(wait * 1.5, 5000);
    op = await getBulkOperation(domain, opId);
  }
  if (!op || op.status !== "COMPLETED") throw new Error(`drift check bulk query ${op?.status ?? "missing"} ${op?.errorCode ?? ""}`.trim());
  const report: DriftReport = { customers: 0, repaired: 0 };
  if (!op.url) return report;

  const db = await pool.connect();
  // The push lock (blocking): pushes wait while the snapshot is compared with the pushed state.
  await db.query("select pg_advisory_lock(hashtextextended($1, 0))", [`segsync:push:${shopId}`]);
  try {
    const ctx = await loadContext(db, shopId);
    let page: [bigint, string[]][] = [];
    const flush = async () => {
      if (page.length === 0) return;
      const current = await readRows(db, shopId, page.map(([id]) => id));
      const changed: PushRow[] = [];
      for (const [id, tags] of page) {
        const ours = tags.filter((t) => isOurTag(t, ctx.prefix, ctx.optOutTag));
        const row = current.get(id);
        // Pushed after the snapshot was taken: the snapshot is older than our own write.
        if (row?.pushedAt && row.pushedAt > started) continue;
        if (!row) {
          if (ours.length) changed.push(derive(ctx, { ...emptyRow(id), pushedTags: ours }));
          continue;
        }
        if (!sameSet(ours, row.pushedTags) && !row.gone) changed.push({ ...row, pushedTags: ours, attempts: 0 });
      }
      await saveRows(db, shopId, changed);
      report.repaired += changed.filter(isDirty).length;
      page = [];
    };
    for await (const [, line] of jsonlLines(op.url, options.signal)) {
      const node = JSON.parse(line) as { id?: string; tags?: string[]; __parentId?: string };
      if (!node.id || node.__parentId) continue;
      report.customers++;
      page.push([BigInt(node.id.slice(node.id.lastIndexOf("/") + 1)), node.tags ?? []]);
      if (page.length >= 2000) await flush();
    }
    await flush();
    await db.query(
      `insert into push_shops (shop_id, last_drift_at, last_drift_repaired) values ($1, now(), $2)
       on conflict (shop_id) do update set last_drift_at = now(), last_drift_repaired = excluded.last_drift_repaired`,
      [shopId, report.repaired],
    );
  } finally {
    await db.query("select pg_advisory_unlock(hashtextextended($1, 0))", [`segsync:push:${shopId}`]).catch(() => {});
    db.release();
  }
  return report;
}
