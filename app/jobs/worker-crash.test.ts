import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createShop } from "../../test/factories";
import { sampleBody } from "../../test/helpers/shopify-samples";
import { webhookRequest } from "../../test/helpers/webhooks";
import { receiveWebhook } from "../sync/receive-webhook.server";
import { stopBoss } from "./queue.server";
import { closeSyncPool } from "../sync/pg.server";

const SHOP = "crash.myshopify.com";
const ORDERS = 300;
const root = path.resolve(import.meta.dirname, "../..");
let child: ChildProcess | null = null;

afterAll(async () => {
  child?.kill("SIGKILL");
  await stopBoss({ graceful: false });
  await closeSyncPool();
});

/** `npm run worker`, as its own process on the test database. */
function startWorkerProcess(): ChildProcess {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "app/jobs/worker-main.server.ts")], {
    cwd: root,
    env: { ...process.env, SYNC_POLL_SECONDS: "0.5" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  proc.stderr?.on("data", () => {});
  return proc;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 150_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition not reached in time");
}

const applied = () => prisma.webhookEvent.count({ where: { status: "applied" } });

/** Shopify's order sample as order number i (edited copy: its own ids, total and updated_at). */
function order(i: number) {
  const o = JSON.parse(sampleBody("orders-create.json"));
  o.admin_graphql_api_id = `gid://shopify/Order/${9_000_000 + i}`;
  o.customer.admin_graphql_api_id = `gid://shopify/Customer/${8_000_000 + (i % 50)}`;
  o.line_items = o.line_items.slice(0, 2).map((li: Record<string, unknown>, k: number) => ({
    ...li,
    admin_graphql_api_id: `gid://shopify/LineItem/${7_000_000 + i * 10 + k}`,
  }));
  o.total_price = `${100 + i}.00`;
  o.cancelled_at = null;
  return JSON.stringify(o);
}

/** Shopify's refund sample, edited: its own id, for order i, one successful 5.00 transaction. */
function refund(i: number) {
  const r = JSON.parse(sampleBody("refunds-create.json"));
  r.admin_graphql_api_id = `gid://shopify/Refund/${6_000_000 + i}`;
  r.order_id = 9_000_000 + i;
  r.transactions = [{ ...r.transactions[0], amount: "5.00" }];
  return JSON.stringify(r);
}

describe("worker crash", () => {
  it("applies every event exactly once after a worker is killed mid-batch and restarted", async () => {
    // GIVEN 300 orders and 150 refunds recorded and queued
    await createShop({ domain: SHOP });
    for (let i = 0; i < ORDERS; i++) await receiveWebhook(webhookRequest({ topic: "orders/create", shop: SHOP, body: order(i) }));
    for (let i = 0; i < ORDERS; i += 2) await receiveWebhook(webhookRequest({ topic: "refunds/create", shop: SHOP, body: refund(i) }));
    const total = await prisma.webhookEvent.count();
    expect(total).toBe(ORDERS * 1.5);

    // WHEN a worker process starts, and is killed (SIGKILL) while it is working through the queue
    child = startWorkerProcess();
    await waitFor(async () => (await applied()) >= 40);
    child.kill("SIGKILL");
    await new Promise((r) => child?.once("exit", r));
    const atKill = await applied();

    // AND a new worker process starts
    child = startWorkerProcess();
    await waitFor(async () => (await applied()) === total);
    child.kill("SIGTERM");
    await new Promise((r) => child?.once("exit", r));
    child = null;

    // THEN the kill happened mid-way, and every event was applied exactly once
    expect(atKill).toBeLessThan(total);
    const events = await prisma.webhookEvent.findMany({ select: { status: true, attempts: true } });
    expect(events.every((e) => e.status === "applied")).toBe(true);
    // one committed apply per event: the attempt counter moves with the apply's commit
    expect(events.filter((e) => e.attempts !== 1)).toEqual([]);
    expect(await prisma.order.count()).toBe(ORDERS);
    expect(await prisma.lineItem.count()).toBe(ORDERS * 2);
    expect(await prisma.refund.count()).toBe(ORDERS / 2);
    const refunded = await prisma.order.aggregate({ _sum: { refundedAmount: true } });
    expect(refunded._sum.refundedAmount?.toString()).toBe(String((ORDERS / 2) * 5));
  }, 240_000);
});
