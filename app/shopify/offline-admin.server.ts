// A shop's Admin API context from `unauthenticated.admin`, which refreshes the expiring offline
// token when it is due. Every worker process shares the one stored token: when it is due, they
// refresh under one advisory lock, so one process trades the refresh token and the others load the
// pair it stored instead of each trading it again.
import { sessionStorage, unauthenticated } from "../shopify.server";
import { syncPool } from "../sync/pg.server";

/** The library refreshes a token this close to its expiry (WITHIN_MILLISECONDS_OF_EXPIRY). */
const REFRESH_WINDOW_MS = 5 * 60_000;
const LOCK_TIMEOUT = "30s";

export class TokenRefreshError extends Error {
  override name = "TokenRefreshError";
}

/** When each shop's stored offline token expires, as this process last loaded it. */
const knownExpiry = new Map<string, number | null>();

function due(expires: number | null | undefined) {
  return expires === undefined || (expires !== null && expires - Date.now() < REFRESH_WINDOW_MS);
}

async function load(shop: string) {
  try {
    const context = await unauthenticated.admin(shop);
    knownExpiry.set(shop, context.session.expires?.getTime() ?? null);
    return context;
  } catch (error) {
    // The library throws a bare 500 Response for any failed refresh (refused or not answered).
    if (error instanceof Response) {
      throw new TokenRefreshError(
        `Shopify did not refresh the offline access token (HTTP ${error.status}); if this lasts, the merchant must open the app once to authorise it again`,
      );
    }
    throw error;
  }
}

export async function offlineAdmin(shop: string) {
  if (!due(knownExpiry.get(shop))) return load(shop);
  const stored = await sessionStorage.loadSession(`offline_${shop}`);
  if (!stored?.refreshToken || !stored.isExpired(REFRESH_WINDOW_MS)) return load(shop);
  const db = await syncPool().connect();
  try {
    await db.query("begin");
    await db.query(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    await db.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [`segsync:offline-token:${shop}`]);
    // Inside the lock the library reloads the session: refreshed already by another process, or due.
    return await load(shop);
  } finally {
    await db.query("rollback").catch(() => {});
    db.release();
  }
}
