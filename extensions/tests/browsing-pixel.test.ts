// The web pixel's register callback, run with a stand-in of the sandbox API (analytics bus,
// customer privacy bus, browser storage, fetch), and its extension definition.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { SUBSCRIBED_EVENTS, STORAGE_KEY, createCollector, type PixelApi, type PixelEvent } from "../browsing-pixel/src/collector";
import { parseBatch } from "../../app/browsing/wire";

type Callback = (event: PixelEvent) => void;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function standIn(options: { analytics: boolean; customerId?: string; stored?: string }) {
  const subscribers = new Map<string, Callback>();
  const privacy: Array<(p: { customerPrivacy?: { analyticsProcessingAllowed?: boolean } }) => void> = [];
  const storage = new Map<string, string>(options.stored ? [[STORAGE_KEY, options.stored]] : []);
  const sent: Array<{ url: string; body: string; keepalive: boolean; contentType: string }> = [];
  const timers: Array<() => void> = [];
  const api: PixelApi = {
    analytics: { subscribe: (name, cb) => subscribers.set(name, cb) },
    browser: {
      sessionStorage: {
        getItem: async (k) => storage.get(k) ?? null,
        setItem: async (k, v) => void storage.set(k, v),
        removeItem: async (k) => void storage.delete(k),
      },
    },
    init: {
      data: { customer: options.customerId ? { id: options.customerId } : null, shop: { myshopifyDomain: "pixel-shop.myshopify.com" } },
      customerPrivacy: { analyticsProcessingAllowed: options.analytics },
    },
    settings: { ingestUrl: "https://segment-sync.test/pixel/events", token: "tok" },
    customerPrivacy: { subscribe: (_name, cb) => privacy.push(cb) },
  };
  const collector = createCollector(api, {
    fetch: async (url, init) => {
      sent.push({ url, body: init.body, keepalive: init.keepalive, contentType: init.headers["Content-Type"] });
    },
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
    maxBatch: 10,
  });
  let n = 0;
  const emit = (name: string, extra: Partial<PixelEvent> = {}) =>
    subscribers.get(name)!({ id: `sh-${++n}`, name, clientId: "client-1", timestamp: new Date(Date.UTC(2026, 10, 23, 12, 0, n)).toISOString(), ...extra });
  const consent = (allowed: boolean) => privacy.forEach((cb) => cb({ customerPrivacy: { analyticsProcessingAllowed: allowed } }));
  const batches = () => sent.map((s) => JSON.parse(s.body) as { shop: string; clientId: string; events: Array<Record<string, unknown>> });
  return { collector, emit, consent, sent, batches, timers, storage, subscribers };
}

const productView = (href: string, product = "gid://shopify/Product/111", variant = "gid://shopify/ProductVariant/222"): Partial<PixelEvent> => ({
  context: { document: { location: { href } } },
  data: { productVariant: { id: variant, product: { id: product } } },
});

describe("browsing pixel register callback", () => {
  it("subscribes to the six standard events", () => {
    // GIVEN a visitor who allowed analytics WHEN the pixel registers THEN it listens to exactly these
    const { subscribers } = standIn({ analytics: true });
    expect([...subscribers.keys()].sort()).toEqual([...SUBSCRIBED_EVENTS].sort());
  });

  it("with consent, sends batches of ids and timestamps the ingest accepts", async () => {
    // GIVEN a logged-in visitor who allowed analytics
    const pixel = standIn({ analytics: true, customerId: "gid://shopify/Customer/987" });
    // WHEN they browse 12 pages and add to cart
    for (let i = 0; i < 11; i++) pixel.emit("page_viewed", { context: { document: { location: { href: "https://shop.example/?email=a@b.c" } } } });
    pixel.emit("product_added_to_cart", { data: { cartLine: { merchandise: { id: "gid://shopify/ProductVariant/5", product: { id: "gid://shopify/Product/4" } } } } });
    // THEN the 10th event sent a batch at once; the rest go when the 5 s timer fires
    await settle();
    expect(pixel.sent).toHaveLength(1);
    pixel.timers.at(-1)!();
    await pixel.collector.flush();
    expect(pixel.sent).toHaveLength(2);
    const [first, second] = pixel.batches();
    expect(first.events).toHaveLength(10);
    expect(second.events.map((e) => e.name)).toEqual(["page_viewed", "product_added_to_cart"]);
    expect(second.events[1]).toMatchObject({ productId: "4", variantId: "5", customerId: "987" });
    // AND each request is a keepalive text/plain POST to the app, with nothing personal in it
    expect(pixel.sent[0]).toMatchObject({ url: "https://segment-sync.test/pixel/events", keepalive: true, contentType: "text/plain" });
    expect(pixel.sent.map((s) => s.body).join("")).not.toMatch(/email|@|href|shop\.example/);
    // AND the ingest's parser accepts every batch as is
    for (const s of pixel.sent) expect(parseBatch(s.body).ok).toBe(true);
  });

  it("without consent sends nothing and stores nothing, and stops when consent is withdrawn", async () => {
    // GIVEN a visitor who did not allow analytics
    const pixel = standIn({ analytics: false });
    // WHEN they browse
    for (let i = 0; i < 25; i++) pixel.emit("page_viewed");
    pixel.timers.forEach((t) => t());
    await pixel.collector.flush();
    // THEN nothing was sent or kept
    expect(pixel.sent).toEqual([]);
    expect(pixel.storage.size).toBe(0);
    expect(pixel.collector.pending()).toBe(0);

    // GIVEN consent given, then withdrawn before the batch went out
    pixel.consent(true);
    pixel.emit("page_viewed");
    expect(pixel.collector.pending()).toBe(1);
    pixel.consent(false);
    pixel.timers.forEach((t) => t());
    await pixel.collector.flush();
    // THEN the queued event is dropped, not sent
    expect(pixel.sent).toEqual([]);
    expect(pixel.storage.size).toBe(0);
  });

  it("marks a product view that came from a recommendation link", async () => {
    // GIVEN a visitor with consent
    const pixel = standIn({ analytics: true });
    // WHEN they open one product from a recommendation and one directly
    pixel.emit("product_viewed", productView("https://shop.example/products/a?pr_prod_strat=e5_desc&pr_rec_id=abc&pr_rec_pid=1&pr_ref_pid=2&pr_seq=uniform"));
    pixel.emit("product_viewed", productView("https://shop.example/products/b", "gid://shopify/Product/333"));
    pixel.emit("product_viewed", productView("https://shop.example/products/c?pr_prod_strat=collection_fallback", "gid://shopify/Product/444"));
    await pixel.collector.flush();
    // THEN only the recommended views carry rec
    const events = pixel.batches()[0].events;
    expect(events.map((e) => [e.productId, e.rec ?? false])).toEqual([
      ["111", true],
      ["333", false],
      ["444", true],
    ]);
    expect(events[0]).toMatchObject({ variantId: "222" });
  });

  it("links the order's customer and the products bought on checkout_completed, sent at once", async () => {
    const pixel = standIn({ analytics: true });
    pixel.emit("checkout_started", { data: { checkout: { token: "ck-1" } } });
    pixel.emit("checkout_completed", {
      data: {
        checkout: {
          token: "ck-1",
          order: { id: "gid://shopify/Order/1", customer: { id: "gid://shopify/Customer/55" } },
          lineItems: [{ variant: { product: { id: "gid://shopify/Product/9" } } }, { variant: { product: { id: "gid://shopify/Product/9" } } }],
        },
      },
    });
    await settle();
    expect(pixel.sent).toHaveLength(1);
    expect(pixel.batches()[0].events[1]).toMatchObject({ name: "checkout_completed", checkout: "ck-1", customerId: "55", products: ["9"] });
  });

  it("sends what the previous page queued but could not send", async () => {
    // GIVEN a queue the last page left in session storage
    const stored = JSON.stringify({ clientId: "client-1", events: [{ id: "sh-old", name: "page_viewed", at: Date.UTC(2026, 10, 23) }] });
    const pixel = standIn({ analytics: true, stored });
    // WHEN the pixel starts on the next page THEN it is sent and removed
    await pixel.collector.restored;
    expect(pixel.batches()[0].events.map((e) => e.id)).toEqual(["sh-old"]);
    expect(pixel.storage.size).toBe(0);
  });
});

describe("browsing pixel extension definition", () => {
  it("is a strict-sandbox web pixel that requires analytics consent only", () => {
    const toml = parseToml(readFileSync(path.resolve(import.meta.dirname, "../browsing-pixel/shopify.extension.toml"), "utf8")) as Record<string, unknown>;
    expect(toml).toMatchObject({
      type: "web_pixel_extension",
      runtime_context: "strict",
      customer_privacy: { analytics: true, marketing: false, preferences: false, sale_of_data: "disabled" },
    });
  });
});
