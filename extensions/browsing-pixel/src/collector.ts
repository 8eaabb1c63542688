// The pixel's logic, kept free of the sandbox so tests run it with a stand-in API. It subscribes to
// six standard events, keeps only ids and timestamps (no names, emails, addresses, prices or
// URLs), and sends batches to the app while the visitor allows analytics.
//
// The strict sandbox is a web worker that dies with the page, and offers no page-hide event: the
// queue is mirrored into the sandbox's sessionStorage, so what a navigation cut off is sent by the
// next page. A batch goes out at `maxBatch` events, `flushMs` after its first event, and at once on
// checkout_completed (the last page of a visit).

export const SUBSCRIBED_EVENTS = [
  "page_viewed",
  "product_viewed",
  "collection_viewed",
  "product_added_to_cart",
  "checkout_started",
  "checkout_completed",
] as const;

type EventName = (typeof SUBSCRIBED_EVENTS)[number];

/** What the collector sends per event (the ingest's wire format, app/browsing/wire.ts). */
export interface OutEvent {
  id: string;
  name: EventName;
  at: number;
  customerId?: string;
  productId?: string;
  variantId?: string;
  rec?: boolean;
  checkout?: string;
  products?: string[];
}

interface Privacy {
  analyticsProcessingAllowed?: boolean;
}

interface IdRef {
  id?: string | null;
}

/** The parts of a Shopify standard event the collector reads. */
export interface PixelEvent {
  id: string;
  name: string;
  clientId: string;
  timestamp: string;
  context?: { document?: { location?: { href?: string } } };
  data?: {
    productVariant?: IdRef & { product?: IdRef | null } | null;
    cartLine?: { merchandise?: IdRef & { product?: IdRef | null } | null } | null;
    checkout?: {
      token?: string | null;
      order?: { id?: string | null; customer?: IdRef | null } | null;
      lineItems?: Array<{ variant?: { product?: IdRef | null } | null } | null> | null;
    } | null;
  };
}

interface SessionStorageLike {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** The subset of the web pixel extension API (register's argument) the collector uses. */
export interface PixelApi {
  analytics: { subscribe(name: string, callback: (event: PixelEvent) => void): unknown };
  browser: { sendBeacon?: (url: string, body?: string) => Promise<boolean>; sessionStorage?: SessionStorageLike };
  init: {
    data?: { customer?: IdRef | null; shop?: { myshopifyDomain?: string } | null } | null;
    customerPrivacy?: Privacy | null;
  };
  settings: { ingestUrl?: string; token?: string };
  customerPrivacy?: { subscribe(name: string, callback: (payload: { customerPrivacy?: Privacy }) => void): unknown };
}

export interface CollectorOptions {
  fetch?: (url: string, init: { method: string; body: string; keepalive: boolean; headers: Record<string, string> }) => Promise<unknown>;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  maxBatch?: number;
  flushMs?: number;
}

export const STORAGE_KEY = "segsync:pixel:queue";
const MAX_EVENTS_PER_REQUEST = 100;
const RECOMMENDATION_PARAMS = ["pr_rec_id", "pr_prod_strat"];

/** "gid://shopify/Product/123" or "123" -> "123"; anything else -> undefined. */
export function numericId(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const m = /(?:^|\/)(\d{1,19})$/.exec(String(value));
  return m ? m[1] : undefined;
}

/** A product page reached from a Shopify recommendation link carries pr_rec_id / pr_prod_strat. */
export function isRecommendationUrl(href: string | undefined): boolean {
  if (!href) return false;
  try {
    const params = new URL(href).searchParams;
    return RECOMMENDATION_PARAMS.some((p) => params.has(p));
  } catch {
    return false;
  }
}

function toOutEvent(event: PixelEvent, customerId: string | undefined): OutEvent | null {
  const at = Date.parse(event.timestamp);
  if (!event.id || !Number.isFinite(at)) return null;
  const out: OutEvent = { id: String(event.id).slice(0, 100), name: event.name as EventName, at };
  const data = event.data ?? {};
  if (event.name === "product_viewed") {
    out.productId = numericId(data.productVariant?.product?.id);
    out.variantId = numericId(data.productVariant?.id);
    if (isRecommendationUrl(event.context?.document?.location?.href)) out.rec = true;
  } else if (event.name === "product_added_to_cart") {
    out.productId = numericId(data.cartLine?.merchandise?.product?.id);
    out.variantId = numericId(data.cartLine?.merchandise?.id);
  } else if (event.name === "checkout_started" || event.name === "checkout_completed") {
    const checkout = data.checkout;
    if (checkout?.token && /^[A-Za-z0-9._:-]{1,100}$/.test(checkout.token)) out.checkout = checkout.token;
    if (event.name === "checkout_completed") {
      customerId = numericId(checkout?.order?.customer?.id) ?? customerId;
      const products = (checkout?.lineItems ?? []).map((l) => numericId(l?.variant?.product?.id)).filter((p): p is string => !!p);
      if (products.length) out.products = [...new Set(products)].slice(0, 100);
    }
  }
  if (customerId) out.customerId = customerId;
  for (const k of ["productId", "variantId"] as const) if (out[k] === undefined) delete out[k];
  return out;
}

export function createCollector(api: PixelApi, options: CollectorOptions = {}) {
  const maxBatch = options.maxBatch ?? 10;
  const flushMs = options.flushMs ?? 5000;
  const doFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const setTimer = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const shop = api.init.data?.shop?.myshopifyDomain;
  const customerId = numericId(api.init.data?.customer?.id);
  const { ingestUrl, token } = api.settings;
  const storage = api.browser.sessionStorage;

  let allowed = api.init.customerPrivacy?.analyticsProcessingAllowed === true;
  let clientId: string | null = null;
  let queue: OutEvent[] = [];
  let timer: unknown = null;
  let sending: Promise<void> = Promise.resolve();

  const persist = () => {
    if (!storage) return;
    const write = queue.length && clientId ? storage.setItem(STORAGE_KEY, JSON.stringify({ clientId, events: queue })) : storage.removeItem(STORAGE_KEY);
    write.catch(() => {});
  };

  const send = async (batchClient: string, events: OutEvent[]) => {
    if (!ingestUrl || !token || !shop) return;
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_REQUEST) {
      const body = JSON.stringify({ v: 1, shop, token, clientId: batchClient, events: events.slice(i, i + MAX_EVENTS_PER_REQUEST) });
      try {
        // text/plain keeps it a CORS simple request (no preflight); keepalive lets it outlive the page.
        await doFetch(ingestUrl, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain" } });
      } catch {
        await api.browser.sendBeacon?.(ingestUrl, body).catch(() => false);
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== null) {
      clearTimer(timer);
      timer = null;
    }
    if (!allowed || queue.length === 0 || !clientId) return sending;
    const batch = queue;
    const batchClient = clientId;
    queue = [];
    persist();
    sending = sending.then(() => send(batchClient, batch));
    return sending;
  };

  const enqueue = (event: OutEvent, eventClient: string) => {
    if (clientId && clientId !== eventClient) void flush();
    clientId = eventClient;
    queue.push(event);
    persist();
    if (queue.length >= maxBatch || event.name === "checkout_completed") void flush();
    else if (timer === null) timer = setTimer(() => void flush(), flushMs);
  };

  const drop = () => {
    queue = [];
    if (timer !== null) clearTimer(timer);
    timer = null;
    storage?.removeItem(STORAGE_KEY).catch(() => {});
  };

  // What the previous page queued and could not send (only while consent holds).
  const restored: Promise<void> = (async () => {
    if (!storage || !allowed) return;
    try {
      const raw = await storage.getItem(STORAGE_KEY);
      const saved = raw ? (JSON.parse(raw) as { clientId?: string; events?: OutEvent[] }) : null;
      if (saved?.clientId && Array.isArray(saved.events) && saved.events.length) {
        queue = [...saved.events.slice(-maxBatch * 10), ...queue];
        clientId ??= saved.clientId;
        await flush();
      }
    } catch {
      await storage.removeItem(STORAGE_KEY).catch(() => {});
    }
  })();

  api.customerPrivacy?.subscribe("visitorConsentCollected", (payload) => {
    allowed = payload?.customerPrivacy?.analyticsProcessingAllowed === true;
    if (!allowed) drop();
  });

  for (const name of SUBSCRIBED_EVENTS) {
    api.analytics.subscribe(name, (event) => {
      if (!allowed || !event?.clientId) return;
      const out = toOutEvent({ ...event, name }, customerId);
      if (out) enqueue(out, String(event.clientId).slice(0, 100));
    });
  }

  return {
    /** Sends what is queued now (and waits for sends in flight). */
    flush: async () => {
      await restored;
      await flush();
    },
    pending: () => queue.length,
    restored,
  };
}
