import pg from "pg";

declare global {
  var __segmentSyncBrowsingPool: pg.Pool | undefined;
}

// The pixel ingest writes through its own small pool, so a burst of storefront traffic cannot take
// the segment engine's connections.
export function browsingPool(): pg.Pool {
  if (!globalThis.__segmentSyncBrowsingPool) {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set (the pixel ingest needs PostgreSQL).");
    globalThis.__segmentSyncBrowsingPool = new pg.Pool({ connectionString, max: Number(process.env.BROWSING_POOL_SIZE ?? 4) });
    globalThis.__segmentSyncBrowsingPool.on("error", () => {});
  }
  return globalThis.__segmentSyncBrowsingPool;
}

export async function closeBrowsingPool() {
  const pool = globalThis.__segmentSyncBrowsingPool;
  globalThis.__segmentSyncBrowsingPool = undefined;
  await pool?.end();
}
