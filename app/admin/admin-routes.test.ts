// The admin's loaders and actions, called as Remix calls them, with real session tokens. Every
// page is also asked for with another shop's token: shop A's token never reads or changes shop B.
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { adminGet, adminPost, callRoute, routeData } from "../../test/helpers/admin-request";
import { recordPastSize, seedShop } from "../../test/helpers/admin-seed";
import * as overviewRoute from "../routes/app._index";
import * as segmentRoute from "../routes/app.segments.$key";
import * as builderRoute from "../routes/app.segments.new";
import * as settingsRoute from "../routes/app.settings";
import * as offersRoute from "../routes/app.offers._index";
import * as offerRoute from "../routes/app.offers.$id";
import * as syncRoute from "../routes/app.sync";
import * as privacyRoute from "../routes/app.privacy";
import * as exportRoute from "../routes/app.privacy.export.$id";
import * as layoutRoute from "../routes/app";

const A = "shop-a.myshopify.com";
const B = "shop-b.myshopify.com";

type Loaded<T extends (...args: never[]) => unknown> = Exclude<Awaited<ReturnType<T>>, Response>;

// Customer i of shop A: [ages of orders in days]. 0-3 buy often and recently (vip candidates),
// 4-5 last bought 200 days ago (lost), 6 bought once 40 days ago (one-time), 7 never bought.
const SHOP_A = [
  { ages: [5, 20, 40, 60], spend: "400.00" },
  { ages: [3, 30, 90], spend: "300.00" },
  { ages: [10, 100, 200], spend: "20.00" },
  { ages: [2], spend: "30.00" },
  { ages: [200, 300], spend: "40.00" },
  { ages: [200], spend: "45.00" },
  { ages: [40], spend: "25.00" },
  { ages: [] },
];
// Shop B: the same customer ids, other histories: everyone lost.
const SHOP_B = [{ ages: [400] }, { ages: [500] }, { ages: [600] }];

async function twoShops() {
  const a = await seedShop(A, SHOP_A);
  const b = await seedShop(B, SHOP_B);
  return { a, b };
}

describe("admin pages, each bounded by the session's shop", () => {
  it("refuses a request without a session token", async () => {
    // GIVEN an installed shop
    await seedShop(A, SHOP_A);
    // WHEN the overview is asked for without the embedded session
    const result = await callRoute(overviewRoute.loader, new Request(`https://segment-sync.test/app?shop=${A}`));
    // THEN no data: the app answers with a redirect or an auth error
    expect(result).toBeInstanceOf(Response);
    expect([302, 401, 410]).toContain((result as Response).status);
  });

  it("overview: sizes, change, revenue share and RFM grid come from the token's shop only", async () => {
    // GIVEN two shops whose customers share ids, and a week-old recorded size of shop A's lost segment
    const { a, b } = await twoShops();
    await recordPastSize(a.id, "lost", 7, 5);

    // WHEN each shop's admin opens the overview
    const ovA = (await routeData<Loaded<typeof overviewRoute.loader>>(overviewRoute.loader, await adminGet(A, "/app"))).overview;
    const ovB = (await routeData<Loaded<typeof overviewRoute.loader>>(overviewRoute.loader, await adminGet(B, "/app"))).overview;

    // THEN A sees its 8 customers and 2 lost; B its 3 customers, all lost
    const size = (ov: typeof ovA, key: string) => ov.segments.find((s) => s.key === key)?.size;
    expect(ovA.customers).toBe(8);
    expect(size(ovA, "lost")).toBe(2);
    expect(ovB.customers).toBe(3);
    expect(size(ovB, "lost")).toBe(3);
    // the change over 7 days compares with the recorded size (2 now, 5 then); B has no history
    expect(ovA.segments.find((s) => s.key === "lost")?.change7d).toBe(-3);
    expect(ovB.segments.find((s) => s.key === "lost")?.change7d).toBe(null);
    // revenue shares are fractions of the shop's own revenue
    const lostShareA = ovA.segments.find((s) => s.key === "lost")?.revenueShare ?? 0;
    expect(lostShareA).toBeGreaterThan(0);
    expect(lostShareA).toBeLessThan(1);
    expect(ovB.segments.find((s) => s.key === "lost")?.revenueShare).toBe(1);
    // the RFM grid covers every customer with orders (7 in A, 3 in B)
    expect(ovA.scored).toBe(7);
    expect(ovB.scored).toBe(3);
    expect(ovA.rfmGrid.reduce((n, c) => n + c.customers, 0)).toBe(7);
    expect(b.customerIds).toEqual(a.customerIds.slice(0, 3));
  });

  it("layout: the shop's language setting overrides the admin's locale", async () => {
    // GIVEN shop A set to Portuguese and shop B on automatic
    await twoShops();
    await prisma.shop.update({ where: { domain: A }, data: { settings: { language: "pt-BR" } } });
    // WHEN both open the app with an English admin
    const reqA = await adminGet(A, "/app?locale=en");
    const reqB = await adminGet(B, "/app?locale=es-MX");
    // THEN A gets Portuguese, B its admin's Spanish
    expect((await routeData<Loaded<typeof layoutRoute.loader>>(layoutRoute.loader, reqA)).locale).toBe("pt-BR");
    expect((await routeData<Loaded<typeof layoutRoute.loader>>(layoutRoute.loader, reqB)).locale).toBe("es");
  });

  it("segment page: members in keyset pages sorted by a feature, and each member's why", async () => {
    // GIVEN shop A
    const { a } = await twoShops();

    // WHEN A opens lost sorted by spend, ascending
    const url = "/app/segments/lost?sort=spend&dir=asc";
    const first = await routeData<Loaded<typeof segmentRoute.loader>>(segmentRoute.loader, await adminGet(A, url), { key: "lost" });

    // THEN the page holds lost's 2 members, cheapest first, with their spend
    expect(first.members.total).toBe(2);
    expect(first.members.rows.map((r) => r.customerId)).toEqual([String(a.customerIds[5]), String(a.customerIds[4])]);
    expect(first.members.rows.map((r) => Number(r.spendLifetime))).toEqual([45, 80]);
    expect(first.members.next).toBe(null);
    expect(first.members.previous).toBe(null);

    // WHEN A asks why customer 1004 is lost
    const why = await routeData<Loaded<typeof segmentRoute.loader>>(
      segmentRoute.loader,
      await adminGet(A, `/app/segments/lost?why=${a.customerIds[4]}`),
      { key: "lost" },
    );
    // THEN the engine's reasons: member, every condition met, days since the last order > 180
    expect(why.why?.member).toBe(true);
    const days = why.why?.items.find((i) => i.feature === "days_since_last_order");
    expect(days).toMatchObject({ pass: true, cmp: ">", threshold: "180" });
    expect(Number(days?.value)).toBeGreaterThan(180);
  });

  it("segment page: pages forward and back with cursors, never repeating or skipping a member", async () => {
    // GIVEN shop A's 2 lost customers, WHEN paged one at a time through the view model
    const { a } = await twoShops();
    const { listMembers } = await import("./members.server");
    const seen: string[] = [];
    let page = await listMembers(a.id, "lost", { sort: "customer", direction: "desc", limit: 1 });
    seen.push(...page.rows.map((r) => r.customerId));
    while (page.next) {
      page = await listMembers(a.id, "lost", { sort: "customer", direction: "desc", limit: 1, after: page.next });
      seen.push(...page.rows.map((r) => r.customerId));
    }
    // THEN every member once, in order; and "previous" from the last page returns the first
    expect(seen).toEqual([String(a.customerIds[5]), String(a.customerIds[4])]);
    const back = await listMembers(a.id, "lost", { sort: "customer", direction: "desc", limit: 1, before: page.previous });
    expect(back.rows.map((r) => r.customerId)).toEqual([String(a.customerIds[5])]);
    expect(back.previous).toBe(null);
  });

  it("segment page: another shop's token sees its own members and no why for shop A's customer", async () => {
    // GIVEN both shops, and a customer id only shop A has
    const { a } = await twoShops();
    const onlyInA = String(a.customerIds[6]);
    // WHEN shop B opens lost and asks why about A's customer
    const pageB = await routeData<Loaded<typeof segmentRoute.loader>>(segmentRoute.loader, await adminGet(B, `/app/segments/lost?why=${onlyInA}`), { key: "lost" });
    // THEN B's 3 members, and no explanation (B holds no such customer)
    expect(pageB.members.total).toBe(3);
    expect(pageB.why).toBe(null);
    // AND an unknown segment is a 404
    const missing = await callRoute(segmentRoute.loader, await adminGet(B, "/app/segments/nope"), { key: "nope" });
    expect((missing as Response).status).toBe(404);
  });

  it("settings: changing lost's threshold re-evaluates that shop only", async () => {
    // GIVEN both shops, lost at the default 180 days
    const { a, b } = await twoShops();
    const lostCount = (shopId: number) => prisma.membership.count({ where: { shopId, segmentKey: "lost" } });
    expect(await lostCount(a.id)).toBe(2);
    const form = await settingsForm(A);

    // WHEN shop A sets lost to 30 days
    const result = await routeData<Loaded<typeof settingsRoute.action>>(settingsRoute.action, await adminPost(A, "/app/settings", { ...form, "settings.lost.olderThanDays": "30" }));

    // THEN it is saved and re-evaluated: customers whose last order is 40 days old are now lost too
    expect(result.errors).toEqual({});
    expect(result.reevaluated).toBe(true);
    expect(await lostCount(a.id)).toBe(3);
    // AND shop B keeps its default
    expect(await lostCount(b.id)).toBe(3);
    const settingsB = await routeData<Loaded<typeof settingsRoute.loader>>(settingsRoute.loader, await adminGet(B, "/app/settings"));
    expect(settingsB.segments.find((s) => s.key === "lost")?.settings.olderThanDays).toBe(180);
  });

  it("settings: invalid values are reported per field and nothing is saved", async () => {
    await twoShops();
    const form = await settingsForm(A);
    const result = await routeData<Loaded<typeof settingsRoute.action>>(
      settingsRoute.action,
      await adminPost(A, "/app/settings", { ...form, "settings.lost.olderThanDays": "-4", tagPrefix: "a,b" }),
    );
    expect(result.errors).toEqual({ "settings.lost.olderThanDays": "settings.error.range|0|3650", tagPrefix: "settings.error.tag" });
    const shopA = await prisma.shop.findUniqueOrThrow({ where: { domain: A } });
    expect(shopA.settings).toEqual({});
  });

  it("custom segment builder: validation messages, live preview count, save; per shop", async () => {
    const { a, b } = await twoShops();
    const rule = JSON.stringify({ op: "and", rules: [{ op: "cmp", feature: "orders_count", cmp: ">=", value: 3 }] });

    // WHEN A previews "3 or more orders"
    const preview = await routeData<Extract<Loaded<typeof builderRoute.action>, { ok: boolean }>>(builderRoute.action, await adminPost(A, "/app/segments/new", { intent: "preview", rule }));
    // THEN 3 of A's customers match (B's would be 0)
    expect(preview).toEqual({ ok: true, intent: "preview", count: 3 });
    const previewB = await routeData<Extract<Loaded<typeof builderRoute.action>, { ok: boolean }>>(builderRoute.action, await adminPost(B, "/app/segments/new", { intent: "preview", rule }));
    expect(previewB).toEqual({ ok: true, intent: "preview", count: 0 });

    // WHEN a value is not a number THEN a message names that field
    const bad = JSON.stringify({ op: "and", rules: [{ op: "cmp", feature: "orders_count", cmp: ">=", value: "lots" }] });
    const invalid = await routeData<Extract<Loaded<typeof builderRoute.action>, { ok: boolean }>>(builderRoute.action, await adminPost(A, "/app/segments/new", { intent: "preview", rule: bad }));
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.errors.map((e) => e.path)).toEqual(["rules[0].value"]);

    // WHEN A saves it THEN it redirects to the new segment, which has A's 3 members; B has no such segment
    const saved = await callRoute(builderRoute.action, await adminPost(A, "/app/segments/new", { intent: "save", key: "regulars", name: "Regulars", rule }));
    expect((saved as Response).headers.get("location")).toBe("/app/segments/regulars");
    expect(await prisma.membership.count({ where: { shopId: a.id, segmentKey: "regulars" } })).toBe(3);
    expect(await prisma.segment.count({ where: { shopId: b.id, key: "regulars" } })).toBe(0);
    const editB = await callRoute(builderRoute.loader, await adminGet(B, "/app/segments/new?key=regulars"));
    expect((editB as Response).status).toBe(404);
  });

  it("offers: create, list with results, and another shop can neither open nor change it", async () => {
    const { b } = await twoShops();
    // WHEN A creates an offer for its lost customers
    const created = await callRoute(
      offerRoute.action,
      await adminPost(A, "/app/offers/new", {
        id: "",
        name: "VIP thanks",
        segmentKey: "lost",
        "content.en.headline": "We miss you",
        "content.en.body": "Come back for 10% off",
        "content.en.cta": "Shop now",
        "content.es.headline": "Te echamos de menos",
        ctaUrl: "/collections/all",
        discountCode: "COMEBACK10",
        priority: "5",
        enabled: "on",
      }),
      { id: "new" },
    );
    expect(created).toBeInstanceOf(Response);
    expect((created as Response).headers.get("location")).toBe("/app/offers");
    const listA = await routeData<Loaded<typeof offersRoute.loader>>(offersRoute.loader, await adminGet(A, "/app/offers"));
    expect(listA.offers).toHaveLength(1);
    expect(listA.offers[0]).toMatchObject({ name: "VIP thanks", segmentKey: "lost", membersTargeted: 2, redemptions: 0, discountCode: "COMEBACK10" });
    const id = String(listA.offers[0].id);

    // WHEN B lists, opens, edits or deletes A's offer
    const listB = await routeData<Loaded<typeof offersRoute.loader>>(offersRoute.loader, await adminGet(B, "/app/offers"));
    const openB = await callRoute(offerRoute.loader, await adminGet(B, `/app/offers/${id}`), { id });
    const editB = await routeData<Loaded<typeof offerRoute.action>>(offerRoute.action, await adminPost(B, `/app/offers/${id}`, { id, segmentKey: "lost", "content.en.headline": "Mine now" }), { id });
    const deleteB = await routeData<Loaded<typeof offersRoute.action>>(offersRoute.action, await adminPost(B, "/app/offers", { intent: "delete", id }));

    // THEN B sees none, gets 404, a not-found error, and nothing is deleted
    expect(listB.offers).toEqual([]);
    expect((openB as Response).status).toBe(404);
    expect(editB).toEqual({ ok: false, errors: { id: "offers.error.notFound" } });
    expect(deleteB).toEqual({ deleted: false });
    expect(await prisma.offer.count({ where: { name: "VIP thanks" } })).toBe(1);
    expect(await prisma.offer.count({ where: { shopId: b.id } })).toBe(0);
  });

  it("offers: validation errors come back per field", async () => {
    await twoShops();
    const result = await routeData<Loaded<typeof offerRoute.action>>(
      offerRoute.action,
      await adminPost(A, "/app/offers/new", { id: "", segmentKey: "lost", "content.en.headline": "", ctaUrl: "javascript:alert(1)" }),
      { id: "new" },
    );
    expect(result).toMatchObject({ ok: false, errors: { "content.en.headline": "offers.error.required", ctaUrl: "offers.error.invalid_url" } });
  });

  it("sync: progress, parked events and retry belong to the token's shop", async () => {
    const { a, b } = await twoShops();
    // GIVEN a finished backfill for A and a parked webhook for A
    await prisma.syncRun.create({ data: { shopId: a.id, kind: "backfill", status: "completed", customersLines: 8n, ordersLines: 12n, customersObjects: 8n, ordersObjects: 12n, customersUrl: "x", ordersUrl: "y", finishedAt: new Date() } });
    const parked = await prisma.webhookEvent.create({ data: { shop: A, webhookId: "wh-1", topic: "orders/create", status: "parked", attempts: 5, lastError: "boom" } });
    // AND push-back state for A: a customer waiting, one refused for good, a 250-tag notice
    await prisma.pushShop.create({ data: { shopId: a.id, lastPushAt: new Date(), notices: [{ code: "tag_limit", customerId: String(a.customerIds[0]), suppressed: ["seg:vip", "seg:lost"], at: new Date().toISOString() }] } });
    await prisma.pushCustomer.create({ data: { shopId: a.id, customerId: a.customerIds[0], dirty: true } });
    await prisma.pushCustomer.create({ data: { shopId: a.id, customerId: a.customerIds[1], dirty: true, attempts: 99, lastError: "ACCESS_DENIED" } });

    // WHEN each shop opens sync
    const syncA = await routeData<Loaded<typeof syncRoute.loader>>(syncRoute.loader, await adminGet(A, "/app/sync"));
    const syncB = await routeData<Loaded<typeof syncRoute.loader>>(syncRoute.loader, await adminGet(B, "/app/sync"));
    // THEN A sees 100 % and its parked event; B sees no run and nothing parked
    expect(syncA.progress).toMatchObject({ status: "completed", percent: 100, rows: 20 });
    expect(syncA.running).toBe(false);
    expect(syncA.parked.map((p) => p.id)).toEqual([String(parked.id)]);
    expect(syncB.progress).toBe(null);
    expect(syncB.parked).toEqual([]);
    // AND A sees its push-back: one waiting, one refused, the customer left out by the tag limit; B sees none of it
    expect(syncA.push).toMatchObject({ waiting: 1, failed: 1, tagLimit: [{ customerId: String(a.customerIds[0]), suppressed: 2 }] });
    expect(syncB.push).toMatchObject({ waiting: 0, failed: 0, flowWaiting: 0, lastPushAt: null, tagLimit: [] });

    // WHEN B retries A's parked event THEN not found and it stays parked
    const retryB = await routeData<Loaded<typeof syncRoute.action>>(syncRoute.action, await adminPost(B, "/app/sync", { intent: "retry", id: String(parked.id) }));
    expect(retryB).toEqual({ ok: false, intent: "retry", error: "sync.error.notFound" });
    expect((await prisma.webhookEvent.findUniqueOrThrow({ where: { id: parked.id } })).status).toBe("parked");

    // WHEN B starts a reconciliation THEN a run exists for B only
    const started = await routeData<Loaded<typeof syncRoute.action>>(syncRoute.action, await adminPost(B, "/app/sync", { intent: "reconcile" }));
    expect(started).toMatchObject({ ok: true, intent: "reconcile", created: true });
    expect(await prisma.syncRun.count({ where: { shopId: b.id } })).toBe(1);
    expect(await prisma.syncRun.count({ where: { shopId: a.id } })).toBe(1);
  });

  it("privacy: compliance requests and exports of the token's shop only", async () => {
    const { a, b } = await twoShops();
    const req = await prisma.complianceRequest.create({
      data: { shopId: a.id, shopDomain: A, topic: "customers/data_request", subjectCustomerId: a.customerIds[0], status: "completed", completedAt: new Date() },
    });
    const exp = await prisma.dataExport.create({ data: { shopId: a.id, complianceRequestId: req.id, subjectCustomerId: a.customerIds[0], data: { orders: [] } } });
    await prisma.complianceRequest.create({ data: { shopId: b.id, shopDomain: B, topic: "customers/redact", subjectCustomerId: 1n, status: "completed" } });

    const privA = await routeData<Loaded<typeof privacyRoute.loader>>(privacyRoute.loader, await adminGet(A, "/app/privacy"));
    expect(privA.requests).toHaveLength(1);
    expect(privA.requests[0]).toMatchObject({ topic: "customers/data_request", exportId: String(exp.id), customerId: String(a.customerIds[0]) });

    const downloadA = await callRoute(exportRoute.loader, await adminGet(A, `/app/privacy/export/${exp.id}`), { id: String(exp.id) });
    expect((downloadA as Response).status).toBe(200);
    expect(await (downloadA as Response).json()).toEqual({ orders: [] });
    const downloadB = await callRoute(exportRoute.loader, await adminGet(B, `/app/privacy/export/${exp.id}`), { id: String(exp.id) });
    expect((downloadB as Response).status).toBe(404);
  });
});

/** The settings form as the page posts it: every field with its current value. */
async function settingsForm(shop: string): Promise<Record<string, string>> {
  const view = await routeData<Loaded<typeof settingsRoute.loader>>(settingsRoute.loader, await adminGet(shop, "/app/settings"));
  const form: Record<string, string> = { tagPrefix: view.general.tagPrefix, optOutTag: view.general.optOutTag, language: view.general.language };
  for (const s of view.segments) {
    form[`enabled.${s.key}`] = s.enabled ? "on" : "off";
    for (const [name, value] of Object.entries(s.settings)) form[`settings.${s.key}.${name}`] = String(value);
  }
  return form;
}
