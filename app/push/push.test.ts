import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwin, type Twin } from "../../twin/index.ts";
import { installOnTwin } from "../../test/helpers/sync-twin";
import { logChanges, seedPushCustomers, setOptedOut } from "../../test/helpers/push-twin";
import { routeShopifyTrafficTo } from "../shopify-fetch.server";
import { adminFor } from "../shopify/admin-client.server";
import { closeSyncPool, syncPool } from "../sync/pg.server";
import { closeEnginePool } from "../segments/index.server";
import prisma from "../db.server";
import { pushShop, pushStatus } from "./push.server";
import { checkDrift } from "./drift.server";
import { webhookRequest } from "../../test/helpers/webhooks";
import { receiveWebhook } from "../sync/receive-webhook.server";
import { drainEvents } from "../jobs/drain.server";
import { stopBoss } from "../jobs/queue.server";

let twin: Twin;
beforeAll(async () => {
  // No webhook subscriptions: our own tag writes would otherwise be delivered to nobody.
  twin = await startTwin({ subscriptions: [], bulkStepDelayMs: 1 });
  void adminFor;
  routeShopifyTrafficTo(twin.url);
});
afterAll(async () => {
  await twin?.stop();
  await stopBoss({ graceful: false });
  await closeSyncPool();
  await closeEnginePool();
});

let n = 0;
async function newShop() {
  const domain = `push-${++n}-${Date.now()}.myshopify.com`;
  const shop = twin.createShop(domain);
  const row = await installOnTwin(twin, domain);
  return { domain, shop, shopId: row.id };
}

const calls = (domain: string, name: string) => twin.graphqlCalls.filter((c) => c.shop === domain && c.query.includes(name)).length;
const metafieldOf = (shop: ReturnType<Twin["shop"]>, id: bigint) => {
  const m = shop.metafield("CUSTOMER", id, "$app", "segments");
  return m ? JSON.parse(m.value) : null;
};

describe("push-back to the twin", () => {
  it("gives a customer entering vip seg:vip and keeps every other tag; leaving removes only ours", async () => {
    // GIVEN a customer with the merchant's own tags (one looks like ours but has no prefix)
    const { domain, shop, shopId } = await newShop();
    const id = 7_100_000_000_001n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter", "vip", "Wholesale"] }]);

    // WHEN the engine logs "entered vip" and push-back runs
    await logChanges(shopId, [[id, "vip", "entered"]]);
    const first = await pushShop(shopId);

    // THEN the customer has seg:vip and every tag they had, the metafield lists vip, and Flow fired once
    expect(first.path).toBe("single");
    expect(shop.tags(id).sort()).toEqual(["Wholesale", "newsletter", "seg:vip", "vip"].sort());
    expect(metafieldOf(shop, id)).toEqual({ segments: ["vip"], offer: null, opted_out: false });
    expect(shop.flowTriggers.map((t) => [t.handle, t.payload])).toEqual([
      ["segment-entered", { customer_id: Number(id), "Segment key": "vip", "Segment name": "VIP" }],
    ]);

    // WHEN the engine logs "left vip" and push-back runs again
    await logChanges(shopId, [[id, "vip", "left"]]);
    await pushShop(shopId);

    // THEN only our tag is gone; tags were never overwritten (no customerUpdate)
    expect(shop.tags(id).sort()).toEqual(["Wholesale", "newsletter", "vip"].sort());
    expect(metafieldOf(shop, id)).toEqual({ segments: [], offer: null, opted_out: false });
    expect(shop.flowTriggers.map((t) => t.handle)).toEqual(["segment-entered", "segment-left"]);
    expect(calls(domain, "customerUpdate")).toBe(0);
    expect(calls(domain, "tagsAdd")).toBe(1);
    expect(calls(domain, "tagsRemove")).toBe(1);
  });

  it("coalesces enter-then-leave within one push window to no tag call, and still fires each change's Flow trigger", async () => {
    const { domain, shop, shopId } = await newShop();
    const id = 7_100_000_000_002n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter"] }]);

    // GIVEN entered then left before any push
    await logChanges(shopId, [
      [id, "lost", "entered"],
      [id, "lost", "left"],
    ]);
    const report = await pushShop(shopId);

    // THEN no tag call was made; each change fired its trigger once
    expect(report.folded).toEqual({ changes: 2, customers: 1 });
    expect(calls(domain, "tagsAdd") + calls(domain, "tagsRemove")).toBe(0);
    expect(shop.tags(id)).toEqual(["newsletter"]);
    expect(shop.flowTriggers.map((t) => t.handle)).toEqual(["segment-entered", "segment-left"]);

    // AND a second push (a retry) sends nothing more
    const again = await pushShop(shopId);
    expect(again.folded.changes).toBe(0);
    expect(shop.flowTriggers).toHaveLength(2);
  });

  it("removes every tag of ours from an opted-out customer, including ones we never recorded, and keeps the opt-out tag", async () => {
    // GIVEN a customer in vip and one-time (pushed), with a stray seg:lost from an earlier install
    const { shop, shopId } = await newShop();
    const id = 7_100_000_000_003n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter", "seg:lost"] }]);
    await logChanges(shopId, [
      [id, "vip", "entered"],
      [id, "one-time", "entered"],
    ]);
    await pushShop(shopId);
    expect(shop.tags(id).sort()).toEqual(["newsletter", "seg:lost", "seg:one-time", "seg:vip"]);

    // WHEN the merchant adds the opt-out tag: sync marks the customer and the engine logs them out
    shop.addTags(id, ["seg:opt-out"]);
    await setOptedOut(shopId, id, true);
    await logChanges(shopId, [
      [id, "one-time", "left"],
      [id, "vip", "left"],
    ]);
    await pushShop(shopId);

    // THEN none of our tags remain; the opt-out tag and the merchant's tags stay; the metafield says opted out
    expect(shop.tags(id).sort()).toEqual(["newsletter", "seg:opt-out"]);
    expect(metafieldOf(shop, id)).toEqual({ segments: [], offer: null, opted_out: true });
    // AND no Flow trigger fires for the opted-out customer's exits
    expect(shop.flowTriggers.map((t) => t.handle)).toEqual(["segment-entered", "segment-entered"]);
  });

  it("ends, after a crash between the Shopify call and the state commit, with exactly the desired tags and one Flow trigger per change", async () => {
    const { shop, shopId } = await newShop();
    const a = 7_100_000_000_004n;
    const b = 7_100_000_000_005n;
    await seedPushCustomers(shop, shopId, [
      { id: a, tags: ["keep-me"] },
      { id: b, tags: ["seg:vip"] },
    ]);
    // b held seg:vip pushed by us earlier
    await logChanges(shopId, [[b, "vip", "entered"]]);
    await pushShop(shopId, { flowLimit: 0 });
    await prisma.pushFlowTrigger.updateMany({ where: { shopId }, data: { status: "sent" } });

    await logChanges(shopId, [
      [a, "vip", "entered"],
      [a, "big-spender", "entered"],
      [b, "vip", "left"],
      [b, "lost", "entered"],
    ]);
    // WHEN the push crashes after each kind of Shopify call answered, before recording it
    for (const stage of ["tags", "metafields", "flow"] as const) {
      let crashed = false;
      await expect(
        pushShop(shopId, {
          afterCall: (s) => {
            if (s === stage && !crashed) {
              crashed = true;
              throw new Error(`injected crash after a ${s} call`);
            }
          },
        }),
      ).rejects.toThrow(/injected crash/);
    }
    // AND a clean restart runs
    const last = await pushShop(shopId);

    // THEN the store holds exactly the desired tags, the state is clean, and each change fired once
    expect(shop.tags(a).sort()).toEqual(["keep-me", "seg:big-spender", "seg:vip"]);
    expect(shop.tags(b).sort()).toEqual(["seg:lost"]);
    expect(metafieldOf(shop, a)).toEqual({ segments: ["big-spender", "vip"], offer: null, opted_out: false });
    expect(metafieldOf(shop, b)).toEqual({ segments: ["lost"], offer: null, opted_out: false });
    expect(last.remaining).toBe(0);
    const fired = shop.flowTriggers.map((t) => `${t.handle}:${(t.payload as Record<string, unknown>)["Segment key"]}:${(t.payload as Record<string, unknown>).customer_id}`);
    expect(fired.sort()).toEqual(
      [`segment-entered:vip:${a}`, `segment-entered:big-spender:${a}`, `segment-left:vip:${b}`, `segment-entered:lost:${b}`].sort(),
    );
    const status = await pushStatus(shopId);
    expect(status).toMatchObject({ behind: 0, dirty: 0, failed: 0, flowPending: 0 });
  });

  it("never takes a customer over 250 tags: keeps core segments, suppresses the rest and tells the merchant", async () => {
    // GIVEN a customer with 248 tags of their own
    const { shop, shopId } = await newShop();
    const id = 7_100_000_000_006n;
    await seedPushCustomers(shop, shopId, [{ id, tags: Array.from({ length: 248 }, (_, i) => `t${i}`) }]);

    // WHEN they enter four segments (core vip and lost, behaviour frequent-6m, RFM champions)
    await logChanges(shopId, [
      [id, "rfm-champions", "entered"],
      [id, "frequent-6m", "entered"],
      [id, "vip", "entered"],
      [id, "lost", "entered"],
    ]);
    const report = await pushShop(shopId);

    // THEN the two core tags fit, the others are suppressed, and a notice names them
    expect(shop.tags(id)).toHaveLength(250);
    expect(shop.tags(id).filter((t) => t.startsWith("seg:")).sort()).toEqual(["seg:lost", "seg:vip"]);
    expect(report.remaining).toBe(0);
    const status = await pushStatus(shopId);
    expect(status.notices[0]).toMatchObject({ code: "tag_limit", customerId: String(id), categories: ["behaviour", "rfm"] });
    expect((status.notices[0].suppressed as string[]).sort()).toEqual(["seg:frequent-6m", "seg:rfm-champions"]);

    // WHEN the customer leaves lost (room for one more), a later change makes the row dirty again
    await logChanges(shopId, [[id, "lost", "left"]]);
    await pushShop(shopId);
    // THEN the freed place goes to the next category in line, still at 250
    expect(shop.tags(id)).toHaveLength(250);
    expect(shop.tags(id).filter((t) => t.startsWith("seg:")).sort()).toEqual(["seg:frequent-6m", "seg:vip"]);
  });

  it("puts the live offer in the metafield and follows a tag prefix change on the next push", async () => {
    // GIVEN a live VIP offer and a customer entering vip
    const { shop, shopId } = await newShop();
    const id = 7_100_000_000_009n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter"] }]);
    const offer = await prisma.offer.create({ data: { shopId, segmentKey: "vip", name: "VIP", content: { en: { headline: "h", body: "b", cta: "c" } }, priority: 5 } });
    await logChanges(shopId, [[id, "vip", "entered"]]);
    await pushShop(shopId);
    expect(metafieldOf(shop, id)).toEqual({ segments: ["vip"], offer: String(offer.id), opted_out: false });

    // WHEN the merchant changes the tag prefix in the settings, and the offer ends
    await prisma.shop.update({ where: { id: shopId }, data: { settings: { tagPrefix: "segment/" } } });
    await prisma.offer.update({ where: { id: offer.id }, data: { enabled: false } });
    await pushShop(shopId);

    // THEN the old-prefix tag is replaced by the new one, and the metafield has no offer
    expect(shop.tags(id).sort()).toEqual(["newsletter", "segment/vip"]);
    expect(metafieldOf(shop, id)).toEqual({ segments: ["vip"], offer: null, opted_out: false });
  });

  it("recognises the customer.tags_added echo of our own push and recomputes nothing", async () => {
    // GIVEN a customer we just tagged seg:vip
    const { domain, shop, shopId } = await newShop();
    const id = 7_100_000_000_010n;
    await seedPushCustomers(shop, shopId, [{ id, tags: ["newsletter"] }]);
    await logChanges(shopId, [[id, "vip", "entered"]]);
    await pushShop(shopId);
    const changes = await prisma.membershipChange.count({ where: { shopId } });

    // WHEN Shopify delivers the echo of our tagsAdd (the twin's body for customer.tags_added)
    const response = await receiveWebhook(
      webhookRequest({ topic: "customer.tags_added", shop: domain, body: { customerId: `gid://shopify/Customer/${id}`, tags: ["seg:vip"], occurredAt: new Date().toISOString() } }),
    );
    await drainEvents();

    // THEN sync records it as our echo: no recompute, no new change, nothing to push
    expect(response.status).toBe(200);
    const event = await prisma.webhookEvent.findFirstOrThrow({ where: { shop: domain, topic: "customer.tags_added" } });
    expect(event).toMatchObject({ status: "applied", lastError: "our own tag echo" });
    expect(await prisma.membershipChange.count({ where: { shopId } })).toBe(changes);
    expect((await pushShop(shopId)).folded.changes).toBe(0);
  });

  it("finishes a bulk mutation a crash left running instead of starting it again", async () => {
    // GIVEN 12 customers entering vip, pushed with a bulk threshold of 5
    const { domain, shop, shopId } = await newShop();
    const ids = Array.from({ length: 12 }, (_, i) => 7_100_000_001_000n + BigInt(i));
    await seedPushCustomers(shop, shopId, ids.map((id) => ({ id, tags: ["newsletter"] })));
    await logChanges(shopId, ids.map((id) => [id, "vip", "entered"] as [bigint, string, "entered"]));

    // WHEN the push dies right after starting its bulk mutations, and a new push runs
    await expect(
      pushShop(shopId, {
        bulkThreshold: 5,
        afterCall: (stage) => {
          if (stage === "bulk") throw new Error("injected crash after bulkOperationRunMutation");
        },
      }),
    ).rejects.toThrow(/injected crash/);
    const restart = await pushShop(shopId, { bulkThreshold: 5, pollMs: 10 });

    // THEN the restart finished the two recorded runs (tags, metafields) and started none
    expect(restart.bulkRuns.map((r) => [r.kind, r.status, r.succeeded])).toEqual([
      ["tags_add", "completed", 12],
      ["metafields", "completed", 12],
    ]);
    expect(twin.bulk(domain).list()).toHaveLength(2);
    expect(ids.every((id) => shop.tags(id).sort().join() === "newsletter,seg:vip")).toBe(true);
    expect(restart.remaining).toBe(0);
  });

  it("retries a bulk line Shopify refused through a single call that fits the customer under 250 tags", async () => {
    // GIVEN 8 customers entering vip and rfm-champions, one of them already holding 249 tags
    const { shop, shopId } = await newShop();
    const ids = Array.from({ length: 8 }, (_, i) => 7_100_000_002_000n + BigInt(i));
    const full = ids[3];
    await seedPushCustomers(shop, shopId, ids.map((id) => ({ id, tags: id === full ? Array.from({ length: 249 }, (_, i) => `t${i}`) : ["newsletter"] })));
    await logChanges(shopId, ids.flatMap((id) => [[id, "vip", "entered"], [id, "rfm-champions", "entered"]] as [bigint, string, "entered"][]));

    // WHEN pushed as a large diff (threshold 5)
    const report = await pushShop(shopId, { bulkThreshold: 5, pollMs: 10 });

    // THEN the bulk tagsAdd refused that customer's line, and the single path added what fits
    expect(report.path).toBe("bulk");
    expect(report.bulkRuns.find((r) => r.kind === "tags_add")).toMatchObject({ status: "completed", succeeded: 7, failed: 1 });
    expect(shop.tags(full)).toHaveLength(250);
    expect(shop.tags(full)).toContain("seg:vip");
    expect(ids.filter((id) => id !== full).every((id) => shop.tags(id).sort().join() === "newsletter,seg:rfm-champions,seg:vip")).toBe(true);
    expect(report.remaining).toBe(0);
    expect((await pushStatus(shopId)).notices[0]).toMatchObject({ code: "tag_limit", suppressed: ["seg:rfm-champions"] });
  });

  it("repairs drift: a tag of ours removed in the admin comes back, a stray one goes", async () => {
    const { shop, shopId } = await newShop();
    const a = 7_100_000_000_007n;
    const b = 7_100_000_000_008n;
    await seedPushCustomers(shop, shopId, [{ id: a }, { id: b, tags: ["seg:old-segment", "x"] }]);
    await logChanges(shopId, [[a, "vip", "entered"]]);
    await pushShop(shopId);
    // GIVEN the merchant removed seg:vip by hand
    shop.removeTags(a, ["seg:vip"]);

    // WHEN the drift check runs, then a push
    const drift = await checkDrift(shopId, { pollMs: 20 });
    await pushShop(shopId);

    // THEN both customers are back to the desired tags
    expect(drift).toEqual({ customers: 2, repaired: 2 });
    expect(shop.tags(a)).toEqual(["seg:vip"]);
    expect(shop.tags(b)).toEqual(["x"]);
    await syncPool().query("select 1");
  });
});
