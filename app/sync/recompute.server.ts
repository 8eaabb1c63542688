// The one seam between sync and the segment engine (app/segments/index.server.ts, which lands in
// parallel). Until it exists this resolves to a no-op, so sync typechecks and runs either way.
// Vite (dev, build, vitest) resolves the glob at compile time; under tsx (`npm run worker`) the
// plain dynamic import finds the source file.
interface Engine {
  recomputeCustomers(shopId: number, customerIds: bigint[]): Promise<unknown>;
  recomputeShop(shopId: number): Promise<unknown>;
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
  if (e && typeof e.recomputeCustomers === "function") await e.recomputeCustomers(shopId, [...new Set(customerIds)]);
}

/** After a backfill (or a reconciliation that repaired rows): the whole shop. */
export async function recomputeShop(shopId: number) {
  const e = await getEngine();
  if (e && typeof e.recomputeShop === "function") await e.recomputeShop(shopId);
}
