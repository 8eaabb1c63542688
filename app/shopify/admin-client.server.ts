// The one place that sends Admin GraphQL. Built on `unauthenticated.admin(shop)` through
// offline-admin.server.ts (offline session, token refresh under a cross-process lock, and
// SHOPIFY_ADMIN_ORIGIN routing all come from app/shopify.server.ts). It reads
// Shopify's cost extension, waits for the bucket to refill before a query that would not fit,
// retries THROTTLED and 5xx with backoff, and sends one request at a time per shop.
import { offlineAdmin, TokenRefreshError } from "./offline-admin.server";

export class AdminApiError extends Error {
  override name = "AdminApiError";
  constructor(
    message: string,
    readonly details: { code?: string; status?: number; retryable: boolean },
  ) {
    super(message);
  }
}

interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

interface Bucket {
  status: ThrottleStatus;
  at: number;
  lastCost: number;
}

interface Lane {
  tail: Promise<unknown>;
  bucket: Bucket | null;
}

const lanes = new Map<string, Lane>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_TRIES = Number(process.env.ADMIN_API_MAX_TRIES ?? 8);

function laneFor(shop: string): Lane {
  let lane = lanes.get(shop);
  if (!lane) {
    lane = { tail: Promise.resolve(), bucket: null };
    lanes.set(shop, lane);
  }
  return lane;
}

/** Milliseconds to wait so that `cost` points are available, judging from the last response. */
export function waitForPoints(bucket: Bucket | null, cost: number, now = Date.now()): number {
  if (!bucket || bucket.status.restoreRate <= 0) return 0;
  const elapsed = (now - bucket.at) / 1000;
  const available = Math.min(bucket.status.maximumAvailable, bucket.status.currentlyAvailable + elapsed * bucket.status.restoreRate);
  const need = Math.min(cost, bucket.status.maximumAvailable);
  return available >= need ? 0 : Math.ceil(((need - available) / bucket.status.restoreRate) * 1000);
}

function backoff(attempt: number) {
  return Math.min(30_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

interface GraphQLBody<T> {
  data?: T;
  errors?: unknown;
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number; throttleStatus?: ThrottleStatus } };
}

function graphQLErrorsOf(body: unknown): Array<{ message?: string; extensions?: { code?: string } }> {
  const errors = (body as { errors?: unknown })?.errors;
  if (Array.isArray(errors)) return errors;
  const nested = (errors as { graphQLErrors?: unknown })?.graphQLErrors;
  return Array.isArray(nested) ? nested : [];
}

export interface AdminClient {
  shop: string;
  /** Runs one document; returns `data` or throws AdminApiError (after retries where retryable). */
  request<T>(document: string, variables?: Record<string, unknown>): Promise<T>;
  /**
   * The shop's bucket as this process last saw it, refilled at the restore rate since: points
   * available now and the maximum (null before the first response). Lets background work (Flow
   * triggers) leave headroom for latency-sensitive calls.
   */
  bucket?(): { available: number; maximum: number } | null;
}

async function sendOnce<T>(shop: string, document: string, variables?: Record<string, unknown>): Promise<GraphQLBody<T> & { status: number }> {
  const { admin } = await offlineAdmin(shop);
  try {
    const response = await admin.graphql(document, { variables });
    return { ...((await response.json()) as GraphQLBody<T>), status: response.status };
  } catch (error) {
    const e = error as { body?: unknown; response?: { code?: number; status?: number }; message?: string };
    if (e.body !== undefined && graphQLErrorsOf(e.body).length) {
      // A GraphQL error (HTTP 200): THROTTLED, or a real error in our document or data.
      return { ...(e.body as GraphQLBody<T>), errors: graphQLErrorsOf(e.body), status: 200 };
    }
    const status = e.response?.code ?? e.response?.status;
    if (typeof status === "number") return { errors: [{ message: e.message ?? `HTTP ${status}` }], status };
    throw error;
  }
}

export function adminFor(shop: string): AdminClient {
  const lane = laneFor(shop);
  async function run<T>(document: string, variables?: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const wait = waitForPoints(lane.bucket, lane.bucket?.lastCost ?? 0);
      if (wait > 0) await sleep(wait);
      let body: GraphQLBody<T> & { status: number };
      try {
        body = await sendOnce<T>(shop, document, variables);
      } catch (error) {
        // Network failure (connection refused, reset) or a token refresh that failed: retryable.
        if (attempt + 1 >= MAX_TRIES) {
          const what = error instanceof TokenRefreshError ? "token refresh failed" : "unreachable";
          throw new AdminApiError(`Admin API ${what} for ${shop}: ${(error as Error).message ?? String(error)}`, { retryable: true });
        }
        await sleep(backoff(attempt));
        continue;
      }
      const cost = body.extensions?.cost;
      if (cost?.throttleStatus) {
        lane.bucket = { status: cost.throttleStatus, at: Date.now(), lastCost: cost.requestedQueryCost ?? cost.actualQueryCost ?? 0 };
      }
      const errors = graphQLErrorsOf(body);
      const throttled = errors.some((e) => e.extensions?.code === "THROTTLED") || body.status === 429;
      if (throttled || body.status >= 500) {
        if (attempt + 1 >= MAX_TRIES) {
          throw new AdminApiError(`Admin API ${throttled ? "throttled" : `HTTP ${body.status}`} for ${shop} after ${MAX_TRIES} tries`, {
            code: throttled ? "THROTTLED" : undefined,
            status: body.status,
            retryable: true,
          });
        }
        const refill = throttled ? waitForPoints(lane.bucket, cost?.requestedQueryCost ?? lane.bucket?.lastCost ?? 50) : 0;
        await sleep(Math.max(refill, backoff(attempt)));
        continue;
      }
      if (errors.length || body.status >= 400) {
        const message = errors.map((e) => e.message).filter(Boolean).join("; ") || `HTTP ${body.status}`;
        throw new AdminApiError(`Admin API error for ${shop}: ${message}`, {
          code: errors[0]?.extensions?.code,
          status: body.status,
          retryable: false,
        });
      }
      return body.data as T;
    }
  }
  return {
    shop,
    bucket() {
      const b = lane.bucket;
      if (!b) return null;
      const elapsed = (Date.now() - b.at) / 1000;
      return {
        available: Math.min(b.status.maximumAvailable, b.status.currentlyAvailable + elapsed * b.status.restoreRate),
        maximum: b.status.maximumAvailable,
      };
    },
    request<T>(document: string, variables?: Record<string, unknown>): Promise<T> {
      const result = lane.tail.then(() => run<T>(document, variables));
      lane.tail = result.catch(() => undefined);
      return result;
    },
  };
}
