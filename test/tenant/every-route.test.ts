// Tenant isolation, route by route: every loader and action under app/routes/ is called as Remix
// calls it, with shop A's real session token (signed as App Bridge signs it), reaching for shop B's
// ids in params, query and forms (also with B's domain put in the URL next to A's token). Each
// answers 404/403, a not-found error or A's own data, and every row of B (every table with a
// shop_id, B's shop row, sessions and webhook events) is byte-for-byte what it was. The first test
// fails when a route module exports a loader or action this file has no case for.
import { readdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "../../app/db.server";
import { adminGet, adminPost, callRoute, routeData } from "../helpers/admin-request";
import { seedShop, type SeededShop } from "../helpers/admin-seed";
import { webhookRequest } from "../helpers/webhooks";
import { sampleBody } from "../helpers/shopify-samples";
import { TEST_APP_URL } from "../helpers/app-env";
import { createCustomer, createOrder, createSession, createShop } from "../factories";
import { stopBoss } from "../../app/jobs/queue.server";
import { closeSyncPool, syncPool } from "../../app/sync/pg.server";
import { processEvents } from "../../app/sync/events.server";
import { closeEnginePool } from "../../app/segments/index.server";
import { forgetShops, pixelToken, resetRateLimits } from "../../app/browsing/ingest.server";
import { closeBrowsingPool } from "../../app/browsing/pool.server";
import * as indexRoute from "../../app/routes/_index";
import * as layoutRoute from "../../app/routes/app";
import * as overviewRoute from "../../app/routes/app._index";
import * as offerRoute from "../../app/routes/app.offers.$id";
import * as offersRoute from "../../app/routes/app.offers._index";
import * as exportRoute from "../../app/routes/app.privacy.export.$id";
import * as privacyRoute from "../../app/routes/app.privacy";
import * as segmentRoute from "../../app/routes/app.segments.$key";
import * as builderRoute from "../../app/routes/app.segments.new";
import * as settingsRoute from "../../app/routes/app.settings";
import * as syncRoute from "../../app/routes/app.sync";
import * as authRoute from "../../app/routes/auth.$";
import * as pixelRoute from "../../app/routes/pixel.events";

const ROUTES_DIR = path.resolve(import.meta.dirname, "../../app/routes");
const A = "tenant-a.myshopify.com";
const B = "tenant-b.myshopify.com";
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await closeEnginePool();
  await closeBrowsingPool();
  await db.end();
});
beforeEach(() => {
  forgetShops();
  resetRateLimits();
});

// ---------------------------------------------------------------------------------------------
// Shop B's rows, all of them

/** A digest of every row shop B owns: each table with a shop_id, B's shop row, sessions and webhook events. */
async function rowsOf(shop: { id: number; domain: string }): Promise<Record<string, string>> {
  const tables = (
    await db.query<{ t: string }>("select distinct table_name as t from information_schema.columns where table_schema = 'public' and column_name = 'shop_id' order by 1")
  ).rows.map((r) => r.t);
  const digest: Record<string, string> = {};
  const sql = (from: string, where: string) => `select count(*)::int || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d from ${from} x where ${where}`;
  for (const t of tables) digest[t] = (await db.query<{ d: string }>(sql(`"${t}"`, "x.shop_id = $1"), [shop.id])).rows[0].d;
  digest.shops = (await db.query<{ d: string }>(sql("shops", "x.id = $1"), [shop.id])).rows[0].d;
  digest.sessions = (await db.query<{ d: string }>(sql(`"Session"`, "x.shop = $1"), [shop.domain])).rows[0].d;
  digest.webhook_events = (await db.query<{ d: string }>(sql("webhook_events", "x.shop = $1"), [shop.domain])).rows[0].d;
  return digest;
}

// ---------------------------------------------------------------------------------------------
// Two installed shops: A, and B with something of every kind for A to reach for

interface World {
  a: SeededShop;
  b: SeededShop;
  /** A customer id only shop B has. */
  bOnlyCustomer: string;
  bOffer: string;
  bSegment: string;
  bParked: string;
  bExport: string;
  bRequest: string;
}

async function world(): Promise<World> {
  const a = await seedShop(A, [{ ages: [5, 20, 40] }, { ages: [200] }, { ages: [40] }]);
  const b = await seedShop(B, [{ ages: [400] }, { ages: [30, 60] }, { ages: [200] }, { ages: [10] }], 1000n);
  const bOnlyCustomer = String(b.customerIds[3]);
  await prisma.shop.update({ where: { id: b.id }, data: { settings: { language: "es", tagPrefix: "bseg:", optOutTag: "b-no-tags" } } });
  // B's custom segment and offer, made through B's own admin
  const saved = await callRoute(builderRoute.action, await adminPost(B, "/app/segments/new", { intent: "save", key: "b-only", name: "B only", rule: JSON.stringify({ op: "cmp", feature: "orders_count", cmp: ">=", value: 1 }) }));
  expect((saved as Response).status).toBe(302);
  const offer = await callRoute(offerRoute.action, await adminPost(B, "/app/offers/new", offerForm({ id: "", name: "B's offer", segmentKey: "lost" })), { id: "new" });
  expect((offer as Response).status).toBe(302);
  const bOffer = String((await prisma.offer.findFirstOrThrow({ where: { shopId: b.id } })).id);
  const parked = await prisma.webhookEvent.create({ data: { shop: B, webhookId: "b-parked", topic: "orders/create", status: "parked", attempts: 5, lastError: "boom" } });
  const request = await prisma.complianceRequest.create({ data: { shopId: b.id, shopDomain: B, topic: "customers/data_request", subjectCustomerId: BigInt(bOnlyCustomer), status: "completed", completedAt: new Date() } });
  const exp = await prisma.dataExport.create({ data: { shopId: b.id, complianceRequestId: request.id, subjectCustomerId: BigInt(bOnlyCustomer), data: { orders: ["b"] } } });
  return { a, b, bOnlyCustomer, bOffer, bSegment: "b-only", bParked: String(parked.id), bExport: String(exp.id), bRequest: String(request.id) };
}

function offerForm(fields: Record<string, string>): Record<string, string> {
  return {
    name: "Offer",
    "content.en.headline": "Hello",
    "content.en.body": "Body",
    "content.en.cta": "Go",
    ctaUrl: "/collections/all",
    discountCode: "CODE10",
    priority: "1",
    enabled: "on",
    ...fields,
  };
}

/** A's session token, with B's domain put in the query next to it (a tampered embedded URL). */
async function tamperedGet(pathAndQuery: string): Promise<Request> {
  const request = await adminGet(A, pathAndQuery);
  const url = new URL(request.url);
  url.searchParams.set("shop", B);
  return new Request(url, request);
}

async function tamperedPost(pathAndQuery: string, form: Record<string, string>): Promise<Request> {
  const request = await adminPost(A, pathAndQuery, form);
  const url = new URL(request.url);
  url.searchParams.set("shop", B);
  return new Request(url, { method: "POST", headers: request.headers, body: new URLSearchParams(form) });
}

const statusOf = (r: unknown) => (r instanceof Response ? r.status : 200);

/** A tampered request either fails authentication or is served as A's. */
function deniedOrA(r: unknown, isA: (data: never) => boolean) {
  if (r instanceof Response) expect(r.status, `status ${r.status} ${r.headers.get("location") ?? ""}`).not.toBe(200);
  else expect(isA(r as never)).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Each route module's cross-shop cases

type Case = (w: World) => Promise<void>;
type Loaded<T extends (...args: never[]) => unknown> = Exclude<Awaited<ReturnType<T>>, Response>;

const ADMIN_CASES: Record<string, { loader?: Case; action?: Case }> = {
  "_index.tsx": {
    loader: async () => {
      // B's domain in the query of the public index: only a redirect into the app (which authenticates), no data
      const r = await callRoute(indexRoute.loader, new Request(`${TEST_APP_URL}/?shop=${B}&host=eA`));
      expect(statusOf(r)).toBe(302);
      expect((r as Response).headers.get("location")).toMatch(/^\/app\?/);
    },
  },
  "app.tsx": {
    loader: async () => {
      // B's language (es) is never A's; the tampered URL is denied or still A's
      const r = await routeData<Loaded<typeof layoutRoute.loader>>(layoutRoute.loader, await adminGet(A, "/app"));
      expect(r.locale).toBe("en");
      deniedOrA(await callRoute(layoutRoute.loader, await tamperedGet("/app")), (d: Loaded<typeof layoutRoute.loader>) => d.locale === "en");
    },
  },
  "app._index.tsx": {
    loader: async (w) => {
      const r = await routeData<Loaded<typeof overviewRoute.loader>>(overviewRoute.loader, await adminGet(A, "/app"));
      expect(r.shop).toBe(A);
      // B's custom segment and B's customers are not in A's overview
      expect(JSON.stringify(r.overview)).not.toContain(w.bSegment);
      expect(JSON.stringify(r.overview)).not.toContain(w.bOnlyCustomer);
      deniedOrA(await callRoute(overviewRoute.loader, await tamperedGet("/app")), (d: Loaded<typeof overviewRoute.loader>) => d.shop === A);
    },
  },
  "app.segments.$key.tsx": {
    loader: async (w) => {
      // B's custom segment: 404; why about a customer only B has: none
      expect(statusOf(await callRoute(segmentRoute.loader, await adminGet(A, `/app/segments/${w.bSegment}`), { key: w.bSegment }))).toBe(404);
      const lost = await routeData<Loaded<typeof segmentRoute.loader>>(segmentRoute.loader, await adminGet(A, `/app/segments/lost?why=${w.bOnlyCustomer}`), { key: "lost" });
      expect(lost.why).toBe(null);
      expect(lost.members.total).toBe(await prisma.membership.count({ where: { shopId: w.a.id, segmentKey: "lost" } }));
      expect(statusOf(await callRoute(segmentRoute.loader, await tamperedGet(`/app/segments/${w.bSegment}`), { key: w.bSegment }))).not.toBe(200);
    },
  },
  "app.segments.new.tsx": {
    loader: async (w) => {
      expect(statusOf(await callRoute(builderRoute.loader, await adminGet(A, `/app/segments/new?key=${w.bSegment}`)))).toBe(404);
      expect(statusOf(await callRoute(builderRoute.loader, await tamperedGet(`/app/segments/new?key=${w.bSegment}`)))).not.toBe(200);
    },
    action: async (w) => {
      // A previews B's rule: A's count; A saves under B's key: A's own segment, B's untouched
      const rule = JSON.stringify({ op: "cmp", feature: "orders_count", cmp: ">=", value: 1 });
      const preview = await routeData<{ ok: true; count: number }>(builderRoute.action, await adminPost(A, "/app/segments/new", { intent: "preview", rule }));
      expect(preview.count).toBe(3);
      const saved = await callRoute(builderRoute.action, await adminPost(A, "/app/segments/new", { intent: "save", key: w.bSegment, name: "Mine", rule }));
      expect(statusOf(saved)).toBe(302);
      expect(await prisma.segment.findUniqueOrThrow({ where: { shopId_key: { shopId: w.a.id, key: w.bSegment } } })).toMatchObject({ name: "Mine" });
      expect(await prisma.segment.findUniqueOrThrow({ where: { shopId_key: { shopId: w.b.id, key: w.bSegment } } })).toMatchObject({ name: "B only" });
      const tampered = await callRoute(builderRoute.action, await tamperedPost("/app/segments/new", { intent: "save", key: "tampered", name: "T", rule }));
      if (statusOf(tampered) === 302) expect(await prisma.segment.count({ where: { key: "tampered", shopId: w.a.id } })).toBe(1);
    },
  },
  "app.offers._index.tsx": {
    loader: async (w) => {
      const r = await routeData<Loaded<typeof offersRoute.loader>>(offersRoute.loader, await adminGet(A, "/app/offers"));
      expect(r.offers.map((o) => String(o.id))).not.toContain(w.bOffer);
      expect(r.names).not.toHaveProperty(w.bSegment);
      deniedOrA(await callRoute(offersRoute.loader, await tamperedGet("/app/offers")), (d: Loaded<typeof offersRoute.loader>) => d.offers.length === 0);
    },
    action: async (w) => {
      expect(await routeData(offersRoute.action, await adminPost(A, "/app/offers", { intent: "delete", id: w.bOffer }))).toEqual({ deleted: false });
      for (const id of ["abc", "-1", "2147483648", "99999999999999999999"]) {
        expect(await routeData(offersRoute.action, await adminPost(A, "/app/offers", { intent: "delete", id })), `id ${id}`).toEqual({ deleted: false });
      }
      const tampered = await callRoute(offersRoute.action, await tamperedPost("/app/offers", { intent: "delete", id: w.bOffer }));
      if (!(tampered instanceof Response)) expect(tampered).toEqual({ deleted: false });
    },
  },
  "app.offers.$id.tsx": {
    loader: async (w) => {
      expect(statusOf(await callRoute(offerRoute.loader, await adminGet(A, `/app/offers/${w.bOffer}`), { id: w.bOffer }))).toBe(404);
      expect(statusOf(await callRoute(offerRoute.loader, await tamperedGet(`/app/offers/${w.bOffer}`), { id: w.bOffer }))).not.toBe(200);
      for (const id of ["abc", "-1", "2147483648", "99999999999999999999"]) {
        expect(statusOf(await callRoute(offerRoute.loader, await adminGet(A, `/app/offers/${id}`), { id })), `id ${id}`).toBe(404);
      }
      // a new offer's form offers A's segments only
      const blank = await routeData<Loaded<typeof offerRoute.loader>>(offerRoute.loader, await adminGet(A, "/app/offers/new"), { id: "new" });
      expect(blank.segments.map((s) => s.key)).not.toContain(w.bSegment);
    },
    action: async (w) => {
      // editing B's offer by id: not found; an offer for B's custom segment: refused or A's own
      const edit = await routeData(offerRoute.action, await adminPost(A, `/app/offers/${w.bOffer}`, offerForm({ id: w.bOffer, name: "Mine now", segmentKey: "lost" })), { id: w.bOffer });
      expect(edit).toEqual({ ok: false, errors: { id: "offers.error.notFound" } });
      const forB = await callRoute(offerRoute.action, await adminPost(A, "/app/offers/new", offerForm({ id: "", name: "Aimed at B", segmentKey: w.bSegment })), { id: "new" });
      if (statusOf(forB) === 302) expect(await prisma.offer.count({ where: { name: "Aimed at B", shopId: w.a.id } })).toBe(1);
      for (const id of ["abc", "-1", "1e3", "2147483648", "99999999999999999999"]) {
        const odd = await callRoute(offerRoute.action, await adminPost(A, `/app/offers/${id}`, offerForm({ id, segmentKey: "lost" })), { id });
        expect(odd, `id ${id}`).toEqual({ ok: false, errors: { id: "offers.error.notFound" } });
      }
      const tampered = await callRoute(offerRoute.action, await tamperedPost(`/app/offers/${w.bOffer}`, offerForm({ id: w.bOffer, segmentKey: "lost" })), { id: w.bOffer });
      if (!(tampered instanceof Response)) expect(tampered).toEqual({ ok: false, errors: { id: "offers.error.notFound" } });
    },
  },
  "app.settings.tsx": {
    loader: async () => {
      const r = await routeData<Loaded<typeof settingsRoute.loader>>(settingsRoute.loader, await adminGet(A, "/app/settings"));
      expect(r.general.tagPrefix).not.toBe("bseg:");
      expect(r.segments.map((s) => s.key)).not.toContain("b-only");
      deniedOrA(await callRoute(settingsRoute.loader, await tamperedGet("/app/settings")), (d: Loaded<typeof settingsRoute.loader>) => d.general.tagPrefix !== "bseg:");
    },
    action: async (w) => {
      // A saves its settings (B's segment keys in the form too): A changes, B does not
      const form = { tagPrefix: "aseg:", optOutTag: "a-no-tags", language: "auto", "enabled.b-only": "off", "enabled.lost": "off", "settings.lost.days": "90" };
      const r = await routeData<{ saved: boolean }>(settingsRoute.action, await adminPost(A, "/app/settings", form));
      expect(r.saved).toBe(true);
      expect((await prisma.shop.findUniqueOrThrow({ where: { id: w.a.id } })).settings).toMatchObject({ tagPrefix: "aseg:" });
      await callRoute(settingsRoute.action, await tamperedPost("/app/settings", { ...form, tagPrefix: "tampered:" }));
    },
  },
  "app.sync.tsx": {
    loader: async (w) => {
      const r = await routeData<Loaded<typeof syncRoute.loader>>(syncRoute.loader, await adminGet(A, "/app/sync"));
      expect(r.parked.map((p) => p.id)).not.toContain(w.bParked);
      deniedOrA(await callRoute(syncRoute.loader, await tamperedGet("/app/sync")), (d: Loaded<typeof syncRoute.loader>) => d.parked.length === 0);
    },
    action: async (w) => {
      expect(await routeData(syncRoute.action, await adminPost(A, "/app/sync", { intent: "retry", id: w.bParked }))).toEqual({ ok: false, intent: "retry", error: "sync.error.notFound" });
      for (const id of ["abc", "-1", "99999999999999999999", "9223372036854775808"]) {
        expect(await routeData(syncRoute.action, await adminPost(A, "/app/sync", { intent: "retry", id })), `id ${id}`).toEqual({ ok: false, intent: "retry", error: "sync.error.notFound" });
      }
      expect(await routeData(syncRoute.action, await adminPost(A, "/app/sync", { intent: "reconcile" }))).toMatchObject({ ok: true });
      expect(await prisma.syncRun.count({ where: { shopId: w.a.id } })).toBe(1);
      await callRoute(syncRoute.action, await tamperedPost("/app/sync", { intent: "retry", id: w.bParked }));
    },
  },
  "app.privacy.tsx": {
    loader: async (w) => {
      const r = await routeData<Loaded<typeof privacyRoute.loader>>(privacyRoute.loader, await adminGet(A, "/app/privacy"));
      expect(JSON.stringify(r.requests)).not.toContain(w.bOnlyCustomer);
      expect(r.requests).toEqual([]);
      deniedOrA(await callRoute(privacyRoute.loader, await tamperedGet("/app/privacy")), (d: Loaded<typeof privacyRoute.loader>) => d.requests.length === 0);
    },
  },
  "app.privacy.export.$id.tsx": {
    loader: async (w) => {
      expect(statusOf(await callRoute(exportRoute.loader, await adminGet(A, `/app/privacy/export/${w.bExport}`), { id: w.bExport }))).toBe(404);
      expect(statusOf(await callRoute(exportRoute.loader, await tamperedGet(`/app/privacy/export/${w.bExport}`), { id: w.bExport }))).not.toBe(200);
      for (const id of ["abc", "-1", "99999999999999999999", "9223372036854775808", w.bRequest]) {
        expect(statusOf(await callRoute(exportRoute.loader, await adminGet(A, `/app/privacy/export/${id}`), { id })), `id ${id}`).toBe(404);
      }
    },
  },
  "auth.$.tsx": {
    loader: async () => {
      // A's token on the auth route: A's session; with B's domain in the URL it never becomes B's
      const r = await callRoute(authRoute.loader, await adminGet(A, "/auth/session-token"));
      expect(r instanceof Response ? r.status : null).not.toBe(500);
      await callRoute(authRoute.loader, await tamperedGet("/auth/session-token"));
      await callRoute(authRoute.loader, await tamperedGet("/auth/login"));
    },
  },
  "pixel.events.tsx": {
    loader: async () => {
      expect(statusOf(await pixelRoute.loader())).toBe(405);
    },
    action: async () => {
      // A's public pixel token on a batch for B: 401, nothing stored
      const body = JSON.stringify({ v: 1, shop: B, token: pixelToken(A), clientId: "c-1", events: [{ id: "e-1", name: "page_viewed", at: Date.now() }] });
      const r = await pixelRoute.action({ request: new Request(`${TEST_APP_URL}/pixel/events`, { method: "POST", body }), params: {}, context: {} });
      expect(r.status).toBe(401);
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Webhooks: a delivery for an uninstalled shop U does nothing to U's synced data (compliance
// topics still erase U's data, as Shopify requires after uninstall), and nothing to B.

const U = "tenant-gone.myshopify.com";
const tagsBody = JSON.stringify({ customerId: "gid://shopify/Customer/706405506930370084", tags: ["seg:opt-out"], occurredAt: "2026-01-02T00:00:00Z" });
const WEBHOOKS: Record<string, { topic: string; body: () => string; compliance?: boolean; immediate?: boolean }> = {
  "webhooks.app.scopes_update.tsx": { topic: "app/scopes_update", body: () => JSON.stringify({ previous: ["read_orders"], current: ["read_orders", "write_pixels"] }), immediate: true },
  "webhooks.app.uninstalled.tsx": { topic: "app/uninstalled", body: () => sampleBody("app-uninstalled.json"), immediate: true },
  "webhooks.bulk_operations.finish.tsx": { topic: "bulk_operations/finish", body: () => sampleBody("bulk-operations-finish.json") },
  "webhooks.customer.tags_added.tsx": { topic: "customer.tags_added", body: () => tagsBody },
  "webhooks.customer.tags_removed.tsx": { topic: "customer.tags_removed", body: () => tagsBody },
  "webhooks.customers.create.tsx": { topic: "customers/create", body: () => sampleBody("customers-create.json") },
  "webhooks.customers.update.tsx": { topic: "customers/update", body: () => sampleBody("customers-update.json") },
  "webhooks.customers.delete.tsx": { topic: "customers/delete", body: () => sampleBody("customers-delete.json") },
  "webhooks.orders.create.tsx": { topic: "orders/create", body: () => sampleBody("orders-create.json") },
  "webhooks.orders.updated.tsx": { topic: "orders/updated", body: () => sampleBody("orders-updated.json") },
  "webhooks.orders.paid.tsx": { topic: "orders/paid", body: () => sampleBody("orders-paid.json") },
  "webhooks.orders.cancelled.tsx": { topic: "orders/cancelled", body: () => sampleBody("orders-cancelled.json") },
  "webhooks.refunds.create.tsx": { topic: "refunds/create", body: () => sampleBody("refunds-create.json") },
  "webhooks.customers.data_request.tsx": { topic: "customers/data_request", body: () => sampleBody("customers-data-request.json"), compliance: true },
  "webhooks.customers.redact.tsx": { topic: "customers/redact", body: () => sampleBody("customers-redact.json"), compliance: true },
  "webhooks.shop.redact.tsx": { topic: "shop/redact", body: () => sampleBody("shop-redact.json"), compliance: true },
};

type Action = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<Response>;

async function deliver(file: string, shop: string, hmac?: string): Promise<number> {
  const { action } = (await import(/* @vite-ignore */ path.join(ROUTES_DIR, file))) as { action: Action };
  const w = WEBHOOKS[file];
  try {
    return (await action({ request: webhookRequest({ topic: w.topic, shop, body: w.body(), hmac }), params: {}, context: {} })).status;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

async function applyAll() {
  for (;;) {
    const { rows } = await syncPool().query<{ id: string }>("select id from webhook_events where status in ('received', 'stored') order by id limit 200");
    if (rows.length === 0) return;
    await processEvents(rows.map((r) => ({ eventId: BigInt(r.id), finalAttempt: true })));
  }
}

// ---------------------------------------------------------------------------------------------

describe("tenant isolation: every loader and action", () => {
  it("has a cross-shop case for every loader and action under app/routes/ (and there is no app proxy route)", async () => {
    const files = readdirSync(ROUTES_DIR).filter((f) => f.endsWith(".tsx"));
    const missing: string[] = [];
    for (const file of files) {
      const mod = (await import(/* @vite-ignore */ path.join(ROUTES_DIR, file))) as Record<string, unknown>;
      for (const kind of ["loader", "action"] as const) {
        if (typeof mod[kind] !== "function") continue;
        const covered = WEBHOOKS[file] ? kind === "action" : Boolean(ADMIN_CASES[file]?.[kind]);
        if (!covered) missing.push(`${file} ${kind}`);
      }
    }
    expect(missing).toEqual([]);
    // An app proxy route (signed storefront requests) would need a bad-signature case here.
    expect(files.filter((f) => /proxy/i.test(f))).toEqual([]);
  });

  for (const [file, cases] of Object.entries(ADMIN_CASES)) {
    for (const kind of ["loader", "action"] as const) {
      const run = cases[kind];
      if (!run) continue;
      it(`${file} ${kind}: shop A's token never reads or changes shop B`, async () => {
        // GIVEN shops A and B, B with a custom segment, an offer, a parked event, an export and settings
        const w = await world();
        const before = await rowsOf(w.b);
        // WHEN A's session reaches for B's ids THEN the case's answers hold (404 / not found / A's data)
        await run(w);
        // AND every row of B is as it was
        expect(await rowsOf(w.b)).toEqual(before);
      });
    }
  }

  for (const [file, hook] of Object.entries(WEBHOOKS)) {
    it(`${file}: a delivery for an uninstalled shop ${hook.compliance ? "erases only that shop's data" : "does nothing"}, and a bad signature is refused`, async () => {
      // GIVEN an uninstalled shop U holding synced data (ids the samples carry) and an installed shop B with the same ids
      const u = await createShop({ domain: U });
      await prisma.shop.update({ where: { id: u.id }, data: { installState: "uninstalled", uninstalledAt: new Date() } });
      const b = await createShop({ domain: B });
      await createSession(B);
      for (const shopId of [u.id, b.id]) {
        await createCustomer(shopId, { id: 706405506930370084n });
        await createCustomer(shopId, { id: 191167n });
        await createOrder(shopId, 191167n, { id: 299938n, total: "10.00" });
      }
      const beforeU = await rowsOf(u);
      const beforeB = await rowsOf(b);

      // WHEN a delivery with a bad signature arrives for B THEN 401 and nothing changes
      expect(await deliver(file, B, "bad-signature")).toBe(401);
      expect(await rowsOf(b)).toEqual(beforeB);

      // WHEN a signed delivery arrives for U and the worker runs
      expect(await deliver(file, U)).toBe(200);
      await applyAll();

      // THEN B is untouched
      expect(await rowsOf(b)).toEqual(beforeB);
      const afterU = await rowsOf(u);
      const events = await prisma.webhookEvent.findMany({ where: { shop: U } });
      if (hook.immediate) {
        // app/uninstalled, app/scopes_update: U stays uninstalled; its synced data is untouched
        expect((await prisma.shop.findUniqueOrThrow({ where: { id: u.id } })).installState).toBe("uninstalled");
        for (const t of ["customers", "orders", "line_items", "memberships"]) expect(afterU[t], t).toBe(beforeU[t]);
      } else if (file === "webhooks.shop.redact.tsx") {
        // shop/redact: carried out for U (Shopify sends it 48 hours after uninstall): U's rows, events included, are gone
        expect(await prisma.shop.count({ where: { id: u.id } })).toBe(0);
        expect(events).toEqual([]);
        expect(afterU.customers).toBe("0:");
        expect(await prisma.complianceRequest.count({ where: { shopDomain: U, topic: "shop/redact", status: "completed" } })).toBe(1);
      } else if (hook.compliance) {
        // customers/redact, customers/data_request: recorded and carried out for U (Shopify sends them after uninstall)
        expect(events.map((e) => e.status)).toEqual(["applied"]);
        if (file === "webhooks.customers.redact.tsx") {
          expect(await prisma.customer.count({ where: { shopId: u.id, id: 191167n } })).toBe(0);
          expect(await prisma.order.count({ where: { shopId: u.id, id: 299938n } })).toBe(0);
        } else {
          expect(await prisma.dataExport.count({ where: { shopId: u.id, subjectCustomerId: 191167n } })).toBe(1);
        }
      } else {
        // sync topics: recorded as ignored with the reason, U's data unchanged
        expect(events.map((e) => [e.status, e.lastError])).toEqual([["ignored", `shop ${U} is uninstalled`]]);
        expect(afterU).toEqual({ ...beforeU, webhook_events: afterU.webhook_events });
      }
    });
  }
});
