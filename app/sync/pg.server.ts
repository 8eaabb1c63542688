import pg from "pg";

declare global {
  var __segmentSyncPgPool: pg.Pool | undefined;
}

// Sync's hot paths (webhook intake, apply, COPY) use node-postgres directly: one pool per process,
// next to Prisma's. In this pool int8 columns come back as bigint (other pools keep pg's default).
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

export function syncPool(): pg.Pool {
  if (!globalThis.__segmentSyncPgPool) {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set (sync needs PostgreSQL).");
    globalThis.__segmentSyncPgPool = new pg.Pool({ connectionString, types, max: Number(process.env.SYNC_POOL_SIZE ?? 8) });
    globalThis.__segmentSyncPgPool.on("error", () => {});
    // A checked-out client (a held advisory lock between queries) whose server connection ends
    // (PostgreSQL restarted) emits "error" with no pool listener attached: without this, the
    // process dies. The client is unusable afterwards and the pool drops it on release.
    globalThis.__segmentSyncPgPool.on("connect", (client) => client.on("error", () => {}));
  }
  return globalThis.__segmentSyncPgPool;
}

export async function closeSyncPool() {
  const pool = globalThis.__segmentSyncPgPool;
  globalThis.__segmentSyncPgPool = undefined;
  await pool?.end();
}

/** Runs `fn` in one transaction on a pooled client. */
export async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await syncPool().connect();
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
