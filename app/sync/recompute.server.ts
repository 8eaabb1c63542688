// The one seam between sync and the segment engine (app/segments/index.server.ts, which lands in
// parallel). Until it exists this resolves to a no-op, so sync typechecks and runs either way.
// Vite (dev, build, vitest) resolves the glob at compile time; under tsx (`npm run worker`) the
// plain dynamic import finds the source file.
import { requestPush } from "../push/jobs.server";

interface Engine {
  recomputeCustomers(shopId: number, customerIds: bigint[]): Promise<unknown>;
  recomputeShop(shopId: number): Promise<unknown>;
}

/** The engine logged membership changes: push-back picks them up (a failed request is swept up within a minute). */
async function afterEngine(shopId: number, result: unknown) {
  if (((result as { changes?: number } | undefined)?.changes ?? 0) <= 0) return;
  // Only where a queue is running (workers, web): a script or test without one is left to the sweep.
  if (!globalThis.__segmentSyncBoss) return;
  try {
    await requestPush(shopId);
  } catch (error) {
    console.warn(`[push] could not request a push for shop ${shopId}: ${(error as Error).message}`);
  }
}

let engine: Promise<Engine | null> | undefined;

async function loadEngine(): Promise<Engine | null> {
  if (typeof import.meta.glob === "function") {
    const found = import.meta.glob<Engine>("../segments/index.server.ts");
    const load = Object.values(found)[0];
    if (load) return load();
  }
  const specifier = "../segments/index.server.ts";
  try {
    return (await import(/* @vite-ignore */ specifier)) as Engine;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return null;
    throw error;
  }
}

function getEngine() {
  engine ??= loadEngine();
  return engine;
}

/** After an apply transaction commits: the engine recomputes these customers' features/segments. */
export async function recomputeCustomers(shopId: number, customerIds: bigint[]) {
  if (customerIds.length === 0) return;
  const e = await getEngine();
  if (e && typeof e.recomputeCustomers === "function") await afterEngine(shopId, await e.recomputeCustomers(shopId, [...new Set(customerIds)]));
}

/** After a backfill (or a reconciliation that repaired rows): the whole shop. */
export async function recomputeShop(shopId: number) {
  const e = await getEngine();
  if (e && typeof e.recomputeShop === "function") await afterEngine(shopId, await e.recomputeShop(shopId));
}
