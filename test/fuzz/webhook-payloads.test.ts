// Property-based fuzzing of every webhook route: hostile bodies (malformed JSON, wrong types, huge
// and negative ids, floats, unicode, NUL and lone surrogates, SQL and script fragments, missing
// fields, oversized), signed with the app's real secret, and bad signatures. Each delivery gets a
// clear answer (401 bad HMAC, 400 no body, else 200 with the event recorded, as failed with a
// readable error when the body is unusable); the worker step then settles every event and no row
// of orders, line items, refunds or customers comes from an event that did not apply.
import { readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { webhookRequest } from "../helpers/webhooks";
import { sampleBody } from "../helpers/shopify-samples";
import { createShop, createSession } from "../factories";
import { stopBoss } from "../../app/jobs/queue.server";
import { closeSyncPool, syncPool } from "../../app/sync/pg.server";
import { processEvents } from "../../app/sync/events.server";
import { factsFromJson, type Facts } from "../../app/sync/payloads.server";
import { receiveWebhook } from "../../app/sync/receive-webhook.server";
import { hostileText, hostileValue, pathsOf, Raw, rawNumber, setPath, toJsonText } from "./arbitraries";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SHOP = "fuzz-hooks.myshopify.com";
const ROUTES_DIR = path.resolve(import.meta.dirname, "../../app/routes");

const tagsBody = JSON.stringify({ customerId: "gid://shopify/Customer/706405506930370084", tags: ["seg:opt-out", "vip"], occurredAt: "2026-01-02T00:00:00Z" });

/** Every webhook route module, its topic and a valid body to start mutating from. */
const TOPICS: Record<string, { topic: string; sample: () => string }> = {
  "webhooks.app.scopes_update.tsx": { topic: "app/scopes_update", sample: () => JSON.stringify({ id: 1, previous: ["read_orders"], current: ["read_orders", "write_pixels"], updated_at: "2026-01-01T00:00:00Z" }) },
  "webhooks.app.uninstalled.tsx": { topic: "app/uninstalled", sample: () => sampleBody("app-uninstalled.json") },
  "webhooks.bulk_operations.finish.tsx": { topic: "bulk_operations/finish", sample: () => sampleBody("bulk-operations-finish.json") },
  "webhooks.customer.tags_added.tsx": { topic: "customer.tags_added", sample: () => tagsBody },
  "webhooks.customer.tags_removed.tsx": { topic: "customer.tags_removed", sample: () => tagsBody },
  "webhooks.customers.create.tsx": { topic: "customers/create", sample: () => sampleBody("customers-create.json") },
  "webhooks.customers.data_request.tsx": { topic: "customers/data_request", sample: () => sampleBody("customers-data-request.json") },
  "webhooks.customers.delete.tsx": { topic: "customers/delete", sample: () => sampleBody("customers-delete.json") },
  "webhooks.customers.redact.tsx": { topic: "customers/redact", sample: () => sampleBody("customers-redact.json") },
  "webhooks.customers.update.tsx": { topic: "customers/update", sample: () => sampleBody("customers-update.json") },
  "webhooks.orders.cancelled.tsx": { topic: "orders/cancelled", sample: () => sampleBody("orders-cancelled.json") },
  "webhooks.orders.create.tsx": { topic: "orders/create", sample: () => sampleBody("orders-create.json") },
  "webhooks.orders.paid.tsx": { topic: "orders/paid", sample: () => sampleBody("orders-paid.json") },
  "webhooks.orders.updated.tsx": { topic: "orders/updated", sample: () => sampleBody("orders-updated.json") },
  "webhooks.refunds.create.tsx": { topic: "refunds/create", sample: () => sampleBody("refunds-create.json") },
  "webhooks.shop.redact.tsx": { topic: "shop/redact", sample: () => sampleBody("shop-redact.json") },
};
// Routes that act at once (library authentication, no event row): fuzzed against a shop of their own.
const IMMEDIATE = new Set(["webhooks.app.scopes_update.tsx", "webhooks.app.uninstalled.tsx"]);
// Compliance topics erase data; fuzzed against a shop of their own so they cannot hide other failures.
const COMPLIANCE = new Set(["webhooks.customers.redact.tsx", "webhooks.shop.redact.tsx", "webhooks.customers.data_request.tsx"]);

type Action = (args: { request: Request; params: Record<string, string>; context: unknown }) => Promise<Response>;

async function loadRoutes() {
  const files = readdirSync(ROUTES_DIR).filter((f) => /^webhooks\..+\.tsx$/.test(f));
  const routes: { file: string; topic: string; sample: unknown; action: Action }[] = [];
  for (const file of files) {
    const mod = (await import(/* @vite-ignore */ path.join(ROUTES_DIR, file))) as { action?: Action };
    const t = TOPICS[file];
    if (!t || !mod.action) continue;
    routes.push({ file, topic: t.topic, sample: JSON.parse(t.sample(), (_k, v: unknown, ctx?: { source?: string }) => (typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source) ? new Raw(ctx.source) : v)), action: mod.action });
  }
  return { files, routes };
}

type Body =
  | { kind: "mutated"; text: string }
  | { kind: "json"; text: string }
  | { kind: "text"; text: string }
  | { kind: "truncated"; text: string }
  | { kind: "oversized"; text: string };

/** A body for a route: its sample with hostile fields, any JSON, any text, a cut sample, or a huge one. */
function bodyFor(sample: unknown): fc.Arbitrary<Body> {
  const paths = pathsOf(sample, 3);
  const mutation = fc.tuple(fc.constantFrom(...paths), hostileValue);
  const sampleText = toJsonText(sample);
  return fc.oneof(
    { weight: 12, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ({ kind: "mutated" as const, text: toJsonText(ms.reduce((tree, [p, v]) => setPath(tree, p, v), sample)) })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: "json" as const, text: JSON.stringify(v) ?? "null" })) },
    { weight: 2, arbitrary: fc.oneof(hostileText, fc.string({ unit: "binary", maxLength: 200 })).map((text) => ({ kind: "text" as const, text })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: sampleText.length - 1 }).map((n) => ({ kind: "truncated" as const, text: sampleText.slice(0, n) })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 200, max: 3000 }), rawNumber).map(([n, start]) => {
        const tree = structuredClone(sample) as Record<string, unknown>;
        const base = /^\d{1,15}$/.test(start.text) ? Number(start.text) : 5_000_000;
        if (Array.isArray(tree.line_items) && tree.line_items.length) {
          const item = tree.line_items[0] as Record<string, unknown>;
          tree.line_items = Array.from({ length: n }, (_, i) => ({ ...item, id: base + i, admin_graphql_api_id: `gid://shopify/LineItem/${base + i}` }));
        } else {
          tree.padding = "x".repeat(n * 500);
        }
        return { kind: "oversized" as const, text: toJsonText(tree) };
      }),
    },
  );
}

interface Sent {
  file: string;
  webhookId: string;
  status: number;
  signed: boolean;
  body: Body;
}

async function deliver(action: Action | ((request: Request) => Promise<Response>), request: Request): Promise<number> {
  try {
    return (action === receiveWebhook ? await receiveWebhook(request) : await (action as Action)({ request, params: {}, context: {} })).status;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

let seq = 0;

function isJson(text: string) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Sends one hostile delivery per run (signed, or with a bad signature); returns what each got. */
async function fuzzRoutes(routes: Awaited<ReturnType<typeof loadRoutes>>["routes"], shop: string, runs: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  const byFile = new Map(routes.map((r) => [r.file, r]));
  // Only the file name in the counterexample: a failure report names the route, not its module.
  const delivery = fc.oneof(...routes.map((r) => fc.record({ file: fc.constant(r.file), body: bodyFor(r.sample), signature: fc.constantFrom("good", "good", "good", "good", "wrong-secret", "tampered", "garbage") })));
  await fc.assert(
    fc.asyncProperty(delivery, async ({ file, body, signature }) => {
      const route = byFile.get(file)!;
      const webhookId = `fuzz-${++seq}`;
      const good = signature === "good";
      const request = webhookRequest({
        topic: route.topic,
        shop,
        body: body.text,
        webhookId,
        secret: signature === "wrong-secret" ? "not-the-secret" : undefined,
        hmac: signature === "garbage" ? "AAAA" : undefined,
      });
      const sentText = signature === "tampered" ? `${body.text} ` : body.text;
      const sentRequest = signature === "tampered" ? new Request(request, { body: sentText }) : request;
      const status = await deliver(route.action, sentRequest);
      sent.push({ file: route.file, webhookId, status, signed: good, body });
      // THEN a clear answer: 401 for a bad signature, 400 for no body, otherwise 200 (recorded)
      if (sentText.length === 0) expect(status).toBe(400);
      else if (!good) expect(status, `bad signature on ${route.file}`).toBe(401);
      else expect(status, `${route.file}: ${body.text.slice(0, 300)}`).toBe(IMMEDIATE.has(file) && !isJson(body.text) ? 400 : 200);
    }),
    { numRuns: runs },
  );
  return sent;
}

interface EventRow {
  webhook_id: string;
  status: string;
  last_error: string | null;
  payload: unknown;
}

const readable = (s: string | null) => typeof s === "string" && s.trim().length > 0 && s.length <= 2000 && !s.includes("\u0000");

async function events(): Promise<EventRow[]> {
  return (await syncPool().query<EventRow>("select webhook_id, status, last_error, payload from webhook_events order by id")).rows;
}

/** The worker step the queue runs, until nothing is left to apply (last attempt: failures park). */
async function applyAll() {
  for (;;) {
    const { rows } = await syncPool().query<{ id: string }>("select id from webhook_events where status in ('received', 'stored') order by id limit 200");
    if (rows.length === 0) return;
    await processEvents(rows.map((r) => ({ eventId: BigInt(r.id), finalAttempt: true })));
  }
}

/** Ids the applied events carried, per table. */
function appliedIds(rows: EventRow[]) {
  const ids = { orders: new Set<string>(), lineItems: new Set<string>(), refunds: new Set<string>(), customers: new Set<string>() };
  for (const r of rows) {
    if (r.status !== "applied" || !r.payload) continue;
    const f: Facts = factsFromJson(r.payload);
    if (f.kind === "order") {
      ids.orders.add(String(f.order.id));
      if (f.order.customerId !== null) ids.customers.add(String(f.order.customerId));
      for (const li of f.order.lineItems) ids.lineItems.add(String(li.id));
      for (const rf of f.order.refunds) ids.refunds.add(String(rf.id));
    } else if (f.kind === "refund") ids.refunds.add(String(f.refund.id));
    else if (f.kind === "customer") ids.customers.add(String(f.customer.id));
    else if (f.kind === "customer_delete") ids.customers.add(String(f.customerId));
    else if (f.kind === "tags") ids.customers.add(String(f.tags.customerId));
  }
  return ids;
}

async function domainIds() {
  const q = async (sql: string) => new Set((await syncPool().query<{ id: string }>(sql)).rows.map((r) => r.id));
  return {
    orders: await q("select id::text as id from orders"),
    lineItems: await q("select id::text as id from line_items"),
    refunds: await q("select id::text as id from refunds"),
    customers: await q("select id::text as id from customers"),
  };
}

afterAll(async () => {
  await stopBoss({ graceful: false });
  await closeSyncPool();
});

describe("webhook routes under hostile input", () => {
  it("knows the topic and a sample body of every webhook route", async () => {
    const { files, routes } = await loadRoutes();
    expect(files.filter((f) => !TOPICS[f])).toEqual([]);
    expect(routes.map((r) => r.file).sort()).toEqual(files.sort());
  });

  it(`sync topics: ${RUNS} hostile deliveries each get a clear answer, are recorded or refused, and leave no partial rows`, async () => {
    // GIVEN an installed shop
    await createShop({ domain: SHOP });
    const { routes } = await loadRoutes();
    const sync = routes.filter((r) => !IMMEDIATE.has(r.file) && !COMPLIANCE.has(r.file));

    // WHEN hostile deliveries reach every sync topic route (asserting each answer as it comes)
    const sent = await fuzzRoutes(sync, SHOP, RUNS);

    // THEN every signed delivery with a body is recorded once; bad signatures record nothing
    const recorded = await events();
    const byId = new Map(recorded.map((r) => [r.webhook_id, r]));
    const accepted = sent.filter((s) => s.status === 200);
    expect(accepted.filter((s) => !byId.has(s.webhookId))).toEqual([]);
    expect(sent.filter((s) => s.status !== 200 && byId.has(s.webhookId))).toEqual([]);
    expect(recorded.length).toBe(accepted.length);
    // AND every unusable body is already failed with a readable reason (no payload kept)
    const failedAtIntake = recorded.filter((r) => r.status === "failed");
    expect(failedAtIntake.filter((r) => !readable(r.last_error) || r.payload !== null)).toEqual([]);
    expect(failedAtIntake.length).toBeGreaterThan(RUNS / 10);

    // WHEN the worker applies what was recorded
    await applyAll();

    // THEN every event has settled; none parked (every fault is caught at intake, readably)
    const settled = await events();
    expect(settled.filter((r) => !["applied", "failed", "ignored"].includes(r.status)).map((r) => ({ ...r, payload: undefined }))).toEqual([]);
    expect(settled.filter((r) => r.status !== "applied" && !readable(r.last_error))).toEqual([]);
    expect(settled.filter((r) => r.status === "applied").length).toBeGreaterThan(RUNS / 10);
    // AND no order, line item, refund or customer row comes from an event that did not apply
    const applied = appliedIds(settled);
    const stored = await domainIds();
    for (const table of ["orders", "lineItems", "refunds", "customers"] as const) {
      expect([...stored[table]].filter((id) => !applied[table].has(id)), table).toEqual([]);
    }
    expect(stored.orders.size).toBeGreaterThan(0);
  }, 120_000);

  it("known hostile bodies that once crashed intake or parked in the worker are failed at intake, readably", async () => {
    // GIVEN an installed shop and Shopify's order sample with one hostile edit each
    await createShop({ domain: SHOP });
    const order = () => JSON.parse(sampleBody("orders-create.json")) as Record<string, unknown>;
    const edit = (f: (o: Record<string, unknown>) => void) => {
      const o = order();
      f(o);
      return o;
    };
    const items = (o: Record<string, unknown>) => o.line_items as Record<string, unknown>[];
    const cases: [string, string, string][] = [
      ["NUL body (JSON.parse quotes it in its message)", "orders/create", "\u0000"],
      ["order id beyond 2^63", "orders/create", toJsonText(setPath(edit((o) => delete o.admin_graphql_api_id), ["id"], new Raw("9223372036854775808")))],
      ["gid beyond 2^63", "orders/create", JSON.stringify(edit((o) => (o.admin_graphql_api_id = "gid://shopify/Order/99999999999999999999")))],
      ["negative customer id", "orders/create", JSON.stringify(edit((o) => (o.customer = { id: -5 })))],
      ["repeated line item id", "orders/create", JSON.stringify(edit((o) => (o.line_items = [items(o)[0], items(o)[0]])))],
      ["quantity beyond integer", "orders/create", JSON.stringify(edit((o) => (items(o)[0].quantity = 2147483648)))],
      ["total beyond numeric(18,4)", "orders/create", JSON.stringify(edit((o) => (o.total_price = "123456789012345678.00")))],
      ["year 275760", "orders/create", JSON.stringify(edit((o) => (o.updated_at = "+275760-09-13T00:00:00Z")))],
      ["product id beyond 2^63", "orders/create", toJsonText(setPath(order(), ["line_items", 0, "product_id"], new Raw("18446744073709551616")))],
      ["refund order id beyond 2^63", "refunds/create", toJsonText(setPath(JSON.parse(sampleBody("refunds-create.json")), ["order_id"], new Raw("-9223372036854775809")))],
    ];
    // WHEN each is delivered, signed, and the worker runs
    const statuses: number[] = [];
    for (const [i, [, topic, body]] of cases.entries()) {
      statuses.push(await deliver(receiveWebhook, webhookRequest({ topic, shop: SHOP, body, webhookId: `known-${i}` })));
    }
    await applyAll();
    // THEN each got 200 and is failed with a readable reason; nothing was stored
    expect(statuses).toEqual(cases.map(() => 200));
    const rows = await events();
    expect(rows.map((r) => r.status)).toEqual(cases.map(() => "failed"));
    expect(rows.filter((r) => !readable(r.last_error))).toEqual([]);
    expect(await syncPool().query("select (select count(*) from orders) + (select count(*) from line_items) + (select count(*) from refunds) + (select count(*) from customers) as n").then((r) => Number(r.rows[0].n))).toBe(0);
  });

  it("text jsonb cannot hold (NUL, lone surrogates) in a usable order is stored cleaned, not a 500", async () => {
    // GIVEN an installed shop and an order whose vendor, currency and discount code carry NUL and lone surrogates
    await createShop({ domain: SHOP });
    const o = JSON.parse(sampleBody("orders-create.json")) as Record<string, unknown>;
    (o.line_items as Record<string, unknown>[])[0].vendor = "Acme\u0000 \ud800";
    o.discount_codes = [{ code: "SAVE\u0000\udfff10" }];
    // WHEN it is delivered and applied
    const status = await deliver(receiveWebhook, webhookRequest({ topic: "orders/create", shop: SHOP, body: JSON.stringify(o), webhookId: "text-1" }));
    await applyAll();
    // THEN 200, applied, and the text is stored without the characters Postgres refuses
    expect(status).toBe(200);
    expect((await events()).map((r) => r.status)).toEqual(["applied"]);
    const codes = await syncPool().query("select discount_codes from orders");
    expect(codes.rows[0].discount_codes).toEqual(["SAVE\ufffd10"]);
    const vendors = await syncPool().query("select distinct vendor from line_items where vendor like 'Acme%'");
    expect(vendors.rows.map((r) => r.vendor)).toEqual(["Acme \ufffd"]);
  });

  it(`compliance topics: ${RUNS} hostile deliveries are recorded or refused and settle readably`, async () => {
    // GIVEN an installed shop with an offline session
    await createShop({ domain: SHOP });
    await createSession(SHOP);
    const { routes } = await loadRoutes();
    // WHEN hostile compliance deliveries arrive
    const sent = await fuzzRoutes(routes.filter((r) => COMPLIANCE.has(r.file)), SHOP, RUNS);
    // THEN each accepted one is recorded, and after the worker every event settled readably
    const recorded = new Set((await events()).map((r) => r.webhook_id));
    expect(sent.filter((s) => s.status === 200 && !recorded.has(s.webhookId))).toEqual([]);
    await applyAll();
    const settled = await events();
    expect(settled.filter((r) => !["applied", "failed", "ignored"].includes(r.status)).map((r) => ({ ...r, payload: undefined }))).toEqual([]);
    expect(settled.filter((r) => r.status !== "applied" && !readable(r.last_error))).toEqual([]);
  }, 120_000);

  it(`app/uninstalled and app/scopes_update: ${RUNS} hostile deliveries get 401, 400 or 200, never a crash`, async () => {
    // GIVEN an installed shop with an offline session
    await createShop({ domain: SHOP });
    await createSession(SHOP);
    const { routes } = await loadRoutes();
    // WHEN hostile deliveries reach the routes that act at once THEN each answer is asserted as it comes
    const sent = await fuzzRoutes(routes.filter((r) => IMMEDIATE.has(r.file)), SHOP, RUNS);
    expect(sent.some((s) => s.status === 401)).toBe(true);
    // AND no event rows: these topics act at once
    expect(await events()).toEqual([]);
  }, 120_000);
});
