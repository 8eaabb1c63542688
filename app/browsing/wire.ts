// The pixel -> ingest wire format and its checks. One batch comes from one browser (one pixel
// client id). Pure: the ingest route, the tests and the benchmark share it.

export const PIXEL_EVENT_NAMES = [
  "page_viewed",
  "product_viewed",
  "collection_viewed",
  "product_added_to_cart",
  "checkout_started",
  "checkout_completed",
] as const;

export type PixelEventName = (typeof PIXEL_EVENT_NAMES)[number];

export const MAX_BATCH_BYTES = 64 * 1024;
export const MAX_BATCH_EVENTS = 100;
const MAX_PRODUCTS = 100;
const ID = /^[A-Za-z0-9._:-]{1,100}$/;
const NUMERIC_ID = /^[1-9][0-9]{0,18}$/;

export interface WireEvent {
  /** Shopify's event id. */
  id: string;
  name: PixelEventName;
  /** Epoch milliseconds. */
  at: number;
  customerId?: string;
  productId?: string;
  variantId?: string;
  /** The product view came from a recommendation link. */
  rec?: boolean;
  /** Checkout token (checkout_started / checkout_completed). */
  checkout?: string;
  /** checkout_completed: the products bought. */
  products?: string[];
}

export interface WireBatch {
  v: 1;
  shop: string;
  /** Public per-shop token from the pixel's settings (see docs/decisions/0007-browsing-pixel.md). */
  token: string;
  clientId: string;
  events: WireEvent[];
}

export interface ParsedEvent {
  id: string;
  name: PixelEventName;
  at: Date;
  customerId: bigint | null;
  productId: bigint | null;
  variantId: bigint | null;
  rec: boolean;
  checkout: string | null;
  products: bigint[];
}

export interface ParsedBatch {
  shop: string;
  token: string;
  clientId: string;
  events: ParsedEvent[];
}

export type ParseResult = { ok: true; batch: ParsedBatch } | { ok: false; status: 400 | 413; error: string };

const EVENT_NAMES: ReadonlySet<string> = new Set(PIXEL_EVENT_NAMES);
const EVENT_FIELDS: ReadonlySet<string> = new Set(["id", "name", "at", "customerId", "productId", "variantId", "rec", "checkout", "products"]);
const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const bad = (error: string): ParseResult => ({ ok: false, status: 400, error });

function numericId(v: unknown): bigint | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || !NUMERIC_ID.test(v)) return undefined;
  const n = BigInt(v);
  return n <= 9223372036854775807n ? n : undefined;
}

/** Checks a raw request body: size, JSON, shape and bounds. Any fault refuses the whole batch. */
export function parseBatch(body: string): ParseResult {
  if (Buffer.byteLength(body, "utf8") > MAX_BATCH_BYTES) return { ok: false, status: 413, error: `The batch is larger than ${MAX_BATCH_BYTES} bytes.` };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return bad("The body is not JSON.");
  }
  if (!isObject(raw)) return bad("The body must be a JSON object.");
  if (raw.v !== 1) return bad("Unsupported version (v must be 1).");
  if (typeof raw.shop !== "string" || !SHOP_DOMAIN.test(raw.shop)) return bad("shop must be a *.myshopify.com domain.");
  if (typeof raw.token !== "string" || raw.token.length > 100) return bad("token is missing.");
  if (typeof raw.clientId !== "string" || !ID.test(raw.clientId)) return bad("clientId is missing or malformed.");
  if (!Array.isArray(raw.events) || raw.events.length === 0) return bad("events must be a non-empty list.");
  if (raw.events.length > MAX_BATCH_EVENTS) return { ok: false, status: 413, error: `At most ${MAX_BATCH_EVENTS} events per batch.` };
  const events: ParsedEvent[] = [];
  for (const [i, e] of raw.events.entries()) {
    const at = `events[${i}]`;
    if (!isObject(e)) return bad(`${at} must be an object.`);
    if (typeof e.id !== "string" || !ID.test(e.id)) return bad(`${at}.id is missing or malformed.`);
    if (typeof e.name !== "string" || !EVENT_NAMES.has(e.name)) return bad(`${at}.name is not a supported event.`);
    if (typeof e.at !== "number" || !Number.isInteger(e.at) || e.at <= 0 || e.at > 8.64e15) return bad(`${at}.at must be epoch milliseconds.`);
    const customerId = numericId(e.customerId);
    const productId = numericId(e.productId);
    const variantId = numericId(e.variantId);
    if (customerId === undefined || productId === undefined || variantId === undefined) return bad(`${at}: ids must be numeric strings.`);
    if (e.rec !== undefined && typeof e.rec !== "boolean") return bad(`${at}.rec must be a boolean.`);
    if (e.checkout !== undefined && (typeof e.checkout !== "string" || !ID.test(e.checkout))) return bad(`${at}.checkout is malformed.`);
    const products: bigint[] = [];
    if (e.products !== undefined) {
      if (!Array.isArray(e.products) || e.products.length > MAX_PRODUCTS) return bad(`${at}.products must be a list of at most ${MAX_PRODUCTS} ids.`);
      for (const p of e.products) {
        const id = numericId(p);
        if (id === undefined || id === null) return bad(`${at}.products: ids must be numeric strings.`);
        products.push(id);
      }
    }
    for (const key of Object.keys(e)) {
      if (!EVENT_FIELDS.has(key)) return bad(`${at}.${key} is not accepted.`);
    }
    events.push({
      id: e.id,
      name: e.name as PixelEventName,
      at: new Date(e.at),
      customerId,
      productId,
      variantId,
      rec: e.rec === true,
      checkout: (e.checkout as string | undefined) ?? null,
      products,
    });
  }
  return { ok: true, batch: { shop: raw.shop, token: raw.token, clientId: raw.clientId, events } };
}
