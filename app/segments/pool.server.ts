import pg from "pg";

declare global {
  var __segmentSyncEnginePool: pg.Pool | undefined;
}

// The engine runs set-based SQL through node-postgres directly (one pool per process): big
// statements with data-modifying CTEs and temp tables, which Prisma's client does not express.
export function enginePool(): pg.Pool {
  if (!globalThis.__segmentSyncEnginePool) {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set (the segment engine needs PostgreSQL).");
    globalThis.__segmentSyncEnginePool = new pg.Pool({ connectionString, max: Number(process.env.ENGINE_POOL_SIZE ?? 6) });
    globalThis.__segmentSyncEnginePool.on("error", () => {});
    // A checked-out client between queries whose connection ends (PostgreSQL restarted) would emit
    // an unhandled "error" and end the process; the pool drops the broken client on release.
    globalThis.__segmentSyncEnginePool.on("connect", (client) => client.on("error", () => {}));
  }
  return globalThis.__segmentSyncEnginePool;
}

export async function closeEnginePool() {
  const pool = globalThis.__segmentSyncEnginePool;
  globalThis.__segmentSyncEnginePool = undefined;
  await pool?.end();
}

export async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await enginePool().connect();
  try {
    await client.query("begin");
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
