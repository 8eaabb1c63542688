// Large diffs: one bulk mutation per kind (tagsAdd, tagsRemove, metafieldsSet) over a staged JSONL
// upload, tracked to completion by polling, results read back by `__lineNumber`. A line that failed
// leaves its customers dirty: the single-call path retries them, or reports them after its tries.
import type pg from "pg";
import type { AdminClient } from "../shopify/admin-client.server";
import { getBulkOperation } from "../shopify/get-bulk-operation.server";
import { stageBulkVariables } from "../shopify/staged-upload.server";
import { BULK_METAFIELDS_SET, BULK_TAGS_ADD, BULK_TAGS_REMOVE, runBulkMutation } from "../shopify/run-bulk-mutation.server";
import { METAFIELDS_PER_CALL, type CustomerMetafieldInput } from "../shopify/metafields-set-customers.server";
import { jsonlLines } from "../sync/bulk-lines.server";
import { readRows, saveRows, SEGMENTS_METAFIELD, type PushRow, type ShopPushContext } from "./state.server";
import { minus, planTags, union } from "./tags";

export type BulkKind = "tags_add" | "tags_remove" | "metafields";

const MUTATION: Record<BulkKind, string> = { tags_add: BULK_TAGS_ADD, tags_remove: BULK_TAGS_REMOVE, metafields: BULK_METAFIELDS_SET };

/** One JSONL line: the customers it concerns and what it sets (tags, or metafield values). */
type Line = [customerIds: string[], values: string[]];

export const customerGid = (id: bigint | string) => `gid://shopify/Customer/${id}`;
const idOfGid = (gid: string) => gid.slice(gid.lastIndexOf("/") + 1);

export interface BulkRunReport {
  id: string;
  kind: BulkKind;
  status: string;
  lines: number;
  succeeded: number;
  failed: number;
}

export function metafieldInput(row: PushRow): CustomerMetafieldInput {
  return {
    ownerId: customerGid(row.customerId),
    namespace: SEGMENTS_METAFIELD.namespace,
    key: SEGMENTS_METAFIELD.key,
    type: SEGMENTS_METAFIELD.type,
    value: row.desiredMetafield!,
    // A digest we hold: Shopify must still have that value; none and never written: must not exist yet.
    compareDigest: row.metafieldDigest ?? (row.pushedMetafield === null ? null : undefined),
  };
}

/** The lines of each kind for these dirty rows. */
export function planBulk(rows: PushRow[]): Record<BulkKind, Line[]> {
  const add: Line[] = [];
  const remove: Line[] = [];
  const metafields: Line[] = [];
  let chunk: [string[], string[]] = [[], []];
  for (const row of rows) {
    const plan = planTags(row.desiredTags, row.pushedTags, row.suppressedTags);
    if (plan.remove.length) remove.push([[String(row.customerId)], plan.remove]);
    if (plan.add.length) add.push([[String(row.customerId)], plan.add]);
    if (row.desiredMetafield !== null && row.desiredMetafield !== row.pushedMetafield) {
      chunk[0].push(String(row.customerId));
      chunk[1].push(JSON.stringify(metafieldInput(row)));
      if (chunk[0].length === METAFIELDS_PER_CALL) {
        metafields.push(chunk);
        chunk = [[], []];
      }
    }
  }
  if (chunk[0].length) metafields.push(chunk);
  return { tags_add: add, tags_remove: remove, metafields };
}

function variablesOf(kind: BulkKind, line: Line): Record<string, unknown> {
  if (kind === "metafields") return { metafields: line[1].map((v) => JSON.parse(v)) };
  return { id: customerGid(line[0][0]), tags: line[1] };
}

/** Stages and starts one bulk mutation; the run row is written before anything is sent. */
export async function startBulkRun(db: pg.ClientBase, ctx: ShopPushContext, admin: AdminClient, kind: BulkKind, lines: Line[]): Promise<bigint> {
  const created = await db.query<{ id: bigint }>(
    "insert into push_bulk_runs (shop_id, kind, status, lines, customers) values ($1, $2, 'staged', $3, $4) returning id",
    [ctx.shopId, kind, JSON.stringify(lines), lines.reduce((n, l) => n + l[0].length, 0)],
  );
  const runId = BigInt(created.rows[0].id);
  try {
    const jsonl = lines.map((l) => JSON.stringify(variablesOf(kind, l))).join("\n") + "\n";
    const path = await stageBulkVariables(admin, `push-${ctx.shopId}-${runId}-${kind}.jsonl`, jsonl);
    const operationId = await runBulkMutation(admin, MUTATION[kind], path, `push-run-${runId}`);
    await db.query("update push_bulk_runs set status = 'running', operation_id = $2 where id = $1", [String(runId), operationId]);
  } catch (error) {
    await db.query("update push_bulk_runs set status = 'failed', error = $2, finished_at = now() where id = $1", [String(runId), (error as Error).message]);
    throw error;
  }
  return runId;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a running bulk mutation until it ends, then applies its per-line results. */
export async function finishBulkRun(db: pg.ClientBase, ctx: ShopPushContext, runId: bigint, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<BulkRunReport> {
  const { rows } = await db.query<{ kind: BulkKind; status: string; operation_id: string | null; lines: Line[] }>(
    "select kind, status, operation_id, lines from push_bulk_runs where id = $1",
    [String(runId)],
  );
  const run = rows[0];
  const report = (status: string, succeeded = 0, failed = 0): BulkRunReport => ({ id: String(runId), kind: run.kind, status, lines: run.lines.length, succeeded, failed });
  if (run.status !== "running" || !run.operation_id) {
    if (run.status === "staged") await db.query("update push_bulk_runs set status = 'abandoned', finished_at = now() where id = $1", [String(runId)]);
    return report(run.status === "staged" ? "abandoned" : run.status);
  }
  let wait = options.pollMs ?? 200;
  let op = await getBulkOperation(ctx.domain, run.operation_id);
  while (op && (op.status === "CREATED" || op.status === "RUNNING" || op.status === "CANCELING")) {
    if (options.signal?.aborted) throw new Error("push aborted while a bulk mutation runs (it resumes on the next push)");
    await sleep(wait);
    wait = Math.min(wait * 1.5, 5000);
    op = await getBulkOperation(ctx.domain, run.operation_id);
  }
  const results = new Map<number, { ok: boolean; error?: string; digests?: Map<string, string>; badIndexes?: Map<number, string> }>();
  const url = op?.url ?? op?.partialDataUrl ?? null;
  if (url) {
    for await (const [, text] of jsonlLines(url, options.signal)) {
      const line = JSON.parse(text) as { __lineNumber: number; errors?: { message: string }[]; data?: Record<string, { userErrors?: { message: string; elementIndex?: number | null }[]; metafields?: { compareDigest: string; owner?: { id?: string } | null }[] | null }> | null };
      const payload = line.data ? Object.values(line.data)[0] : undefined;
      const userErrors = payload?.userErrors ?? [];
      const error = line.errors?.map((e) => e.message).join("; ") || userErrors.map((e) => e.message).join("; ") || (payload ? undefined : "no result");
      const digests = new Map<string, string>();
      for (const m of payload?.metafields ?? []) if (m.owner?.id) digests.set(idOfGid(m.owner.id), m.compareDigest);
      const badIndexes = new Map<number, string>();
      for (const e of userErrors) if (typeof e.elementIndex === "number") badIndexes.set(e.elementIndex, e.message);
      results.set(line.__lineNumber, { ok: !error, error, digests, badIndexes });
    }
  }
  // Apply: confirmed lines update what we pushed; the others count an attempt and stay dirty.
  const ids = [...new Set(run.lines.flatMap((l) => l[0]))].map((id) => BigInt(id));
  const current = await readRows(db, ctx.shopId, ids);
  const touched = new Map<bigint, PushRow>();
  let succeeded = 0;
  let failed = 0;
  run.lines.forEach((line, n) => {
    const result = results.get(n);
    line[0].forEach((idText, i) => {
      const id = BigInt(idText);
      const row = touched.get(id) ?? current.get(id);
      if (!row) return;
      if (result?.ok) {
        succeeded++;
        if (run.kind === "tags_add") touched.set(id, { ...row, pushedTags: union(row.pushedTags, line[1]), pushedAt: new Date() });
        else if (run.kind === "tags_remove") touched.set(id, { ...row, pushedTags: minus(row.pushedTags, line[1]), pushedAt: new Date() });
        else {
          const sent = JSON.parse(line[1][i]) as { value: string };
          touched.set(id, { ...row, pushedMetafield: sent.value, metafieldDigest: result.digests?.get(idText) ?? null, pushedAt: new Date() });
        }
      } else {
        failed++;
        const message = result?.badIndexes?.get(i) ?? result?.error ?? `bulk operation ${op?.status ?? "missing"}${op?.errorCode ? ` (${op.errorCode})` : ""}`;
        touched.set(id, { ...row, attempts: row.attempts + 1, lastError: message.slice(0, 500) });
      }
    });
  });
  await db.query("begin");
  try {
    await saveRows(db, ctx.shopId, [...touched.values()]);
    const status = op?.status === "COMPLETED" ? "completed" : "failed";
    // The lines (customer ids) are dropped once applied: the run keeps its counts only.
    await db.query("update push_bulk_runs set status = $2, succeeded = $3, failed = $4, finished_at = now(), error = $5, lines = '[]'::jsonb where id = $1", [
      String(runId),
      status,
      succeeded,
      failed,
      op?.status === "COMPLETED" ? null : `bulk operation ${op?.status ?? "not found"} ${op?.errorCode ?? ""}`.trim(),
    ]);
    await db.query("commit");
    return report(status, succeeded, failed);
  } catch (error) {
    await db.query("rollback").catch(() => {});
    throw error;
  }
}

/** Bulk runs a crash left behind (staged or running): resumed, never started twice. */
export async function unfinishedBulkRuns(db: pg.ClientBase, shopId: number): Promise<bigint[]> {
  const { rows } = await db.query<{ id: bigint }>("select id from push_bulk_runs where shop_id = $1 and status in ('staged', 'running') order by id", [shopId]);
  return rows.map((r) => BigInt(r.id));
}
