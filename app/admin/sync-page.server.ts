// The sync page: backfill / reconciliation progress, starting either on demand, parked events and
// their retry, through the sync area (app/sync/). Bounded by the shop id.
import type { AdminShop } from "./context.server";
import { getBackfillProgress, startSyncRun } from "../sync/runs.server";
import { listParkedEvents, retryParkedEvent } from "../sync/events.server";
import { loadSyncHealth, type SyncHealth } from "./overview.server";
import { pushStatus } from "../push/push.server";

export interface ProgressView {
  runId: string;
  kind: string;
  status: string;
  rows: number;
  totalRows: number | null;
  percent: number;
  etaSeconds: number | null;
  notice: string | null;
  repaired: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ParkedView {
  id: string;
  topic: string;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
}

export interface PushView {
  /** Customers whose tags or metafield wait to be sent. */
  waiting: number;
  /** Segment changes not yet turned into customers to update. */
  changesWaiting: number;
  /** Customers Shopify kept refusing (retried later by the nightly drift check). */
  failed: number;
  flowWaiting: number;
  flowFailed: number;
  lastPushAt: string | null;
  lastDriftAt: string | null;
  lastDriftRepaired: number;
  /** Customers whose segment tags did not all fit Shopify's 250-tag limit (newest first, at most 5). */
  tagLimit: Array<{ customerId: string; suppressed: number; at: string }>;
}

export interface SyncPageView {
  progress: ProgressView | null;
  running: boolean;
  parked: ParkedView[];
  health: SyncHealth;
  push: PushView;
}

const ACTIVE = ["queued", "exporting", "loading", "merging"];
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : typeof d === "string" ? d : null);

export async function loadSyncPage(shop: AdminShop): Promise<SyncPageView> {
  const [p, parked, health, push] = await Promise.all([getBackfillProgress(shop.id), listParkedEvents(shop.id), loadSyncHealth(shop), pushStatus(shop.id)]);
  const progress: ProgressView | null = p
    ? {
        runId: String(p.runId),
        kind: String(p.kind),
        status: String(p.status),
        rows: Number(p.rows ?? 0),
        totalRows: p.totalRows === null || p.totalRows === undefined ? null : Number(p.totalRows),
        percent: Number(p.percent ?? 0),
        etaSeconds: p.etaSeconds === null || p.etaSeconds === undefined ? null : Number(p.etaSeconds),
        notice: (p.notice as string | null) ?? null,
        repaired: Number(p.repaired ?? 0),
        error: (p.error as string | null) ?? null,
        startedAt: iso(p.startedAt),
        finishedAt: iso(p.finishedAt),
      }
    : null;
  return {
    progress,
    running: progress !== null && ACTIVE.includes(progress.status),
    parked: parked.map((e) => ({
      id: String(e.id),
      topic: String(e.topic),
      attempts: Number(e.attempts ?? 0),
      lastError: (e.lastError as string | null) ?? null,
      receivedAt: iso(e.receivedAt) ?? "",
    })),
    health,
    push: {
      waiting: push.dirty,
      changesWaiting: push.behind,
      failed: push.failed,
      flowWaiting: push.flowPending,
      flowFailed: push.flowFailed,
      lastPushAt: iso(push.lastPushAt),
      lastDriftAt: iso(push.lastDriftAt),
      lastDriftRepaired: push.lastDriftRepaired,
      tagLimit: push.notices
        .filter((n) => n.code === "tag_limit")
        .slice(0, 5)
        .map((n) => ({ customerId: String(n.customerId ?? ""), suppressed: Array.isArray(n.suppressed) ? n.suppressed.length : 0, at: String(n.at ?? "") })),
    },
  };
}

export type SyncActionResult = { ok: true; intent: string; created?: boolean } | { ok: false; intent: string; error: string };

export async function handleSyncAction(shop: AdminShop, form: FormData): Promise<SyncActionResult> {
  const intent = String(form.get("intent") ?? "");
  if (intent === "backfill" || intent === "reconcile") {
    const { created } = await startSyncRun(shop.id, intent);
    return { ok: true, intent, created };
  }
  if (intent === "retry") {
    const id = String(form.get("id") ?? "");
    // A row id is a bigint: anything longer or larger is no event of ours (and must not reach the query).
    if (!/^\d{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n) return { ok: false, intent, error: "sync.error.notFound" };
    return (await retryParkedEvent(shop.id, id)) ? { ok: true, intent } : { ok: false, intent, error: "sync.error.notFound" };
  }
  return { ok: false, intent, error: "sync.error.unknown" };
}
