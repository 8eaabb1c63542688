import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTwinStore, startTwin, type Twin } from "./index.ts";

const DOMAIN = "bulk-twin.myshopify.com";
let twin: Twin;
let admin: ReturnType<Twin["adminClient"]>;
let receiver: Server;
const received: string[] = [];

beforeAll(async () => {
  // A stand-in app endpoint that records webhook bodies.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  twin = await startTwin({ subscriptions: [{ topics: ["bulk_operations/finish"], uri: "/webhooks/bulk_operations/finish" }], appUrl });
  await twin.seed(DOMAIN, generateTwinStore({ customers: 10_000, orders: 30_000, lineItemsPerOrder: 2 }));
  admin = twin.adminClient(DOMAIN);
});
afterAll(async () => {
  await twin.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

type Op = { id: string; status: string; errorCode: string | null; objectCount: string; rootObjectCount: string; fileSize: string | null; url: string | null };
const OP_FIELDS = "id status errorCode objectCount rootObjectCount fileSize url";

async function waitFor(id: string): Promise<Op> {
  const statuses = new Set<string>();
  for (;;) {
    const r = await admin.graphql<{ bulkOperation: Op }>(`query($id: ID!) { bulkOperation(id: $id) { ${OP_FIELDS} } }`, { id });
    const op = r.data!.bulkOperation;
    statuses.add(op.status);
    if (!["CREATED", "RUNNING", "CANCELING"].includes(op.status)) return op;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("bulk operations", () => {
  it("exports 10,000 customers with their orders and line items as JSONL that reassembles to the store", async () => {
    // WHEN the app runs a bulk query with nested connections, grouped (each child after its parent)
    const run = await admin.graphql<{ bulkOperationRunQuery: { bulkOperation: Op; userErrors: unknown[] } }>(`#graphql
      mutation { bulkOperationRunQuery(query: """
        { customers { edges { node { id updatedAt tags
            orders { edges { node { id processedAt totalPriceSet { shopMoney { amount currencyCode } }
              refunds { id totalRefundedSet { shopMoney { amount } } }
              lineItems { edges { node { id quantity product { id productType } } } } } } } } } } }
      """, groupObjects: true) { bulkOperation { ${OP_FIELDS} } userErrors { field message code } } }`);
    expect(run.data!.bulkOperationRunQuery.userErrors).toEqual([]);
    expect(run.data!.bulkOperationRunQuery.bulkOperation.status).toBe("CREATED");
    const op = await waitFor(run.data!.bulkOperationRunQuery.bulkOperation.id);
    // THEN it completes with a downloadable file
    expect(op.status).toBe("COMPLETED");
    const text = await (await fetch(op.url!)).text();
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Number(op.objectCount)).toBe(lines.length);
    expect(Number(op.rootObjectCount)).toBe(10_000);
    expect(Number(op.fileSize)).toBe(Buffer.byteLength(text));

    // AND the lines reassemble, through __parentId, into exactly the store's data
    const shop = twin.shop(DOMAIN);
    const customers = new Map<string, { orders: Map<string, { lineItems: string[]; total: string }> }>();
    const orders = new Map<string, { lineItems: string[]; total: string }>();
    for (const line of lines) {
      const id = line.id as string;
      if (id.includes("/Customer/")) {
        expect(line.__parentId).toBeUndefined();
        customers.set(id, { orders: new Map() });
      } else if (id.includes("/Order/")) {
        const order = { lineItems: [] as string[], total: (line.totalPriceSet as { shopMoney: { amount: string } }).shopMoney.amount };
        customers.get(line.__parentId as string)!.orders.set(id, order);
        orders.set(id, order);
      } else if (id.includes("/LineItem/")) {
        orders.get(line.__parentId as string)!.lineItems.push(id);
      }
    }
    const expected = shop.customers.map((c) => [
      `gid://shopify/Customer/${c.id}`,
      c.orders.map((o) => [`gid://shopify/Order/${o.id}`, o.totalPrice, o.lineItems.map((li) => `gid://shopify/LineItem/${li.id}`)]),
    ]);
    const actual = [...customers].map(([id, c]) => [id, [...c.orders].map(([oid, o]) => [oid, o.total, o.lineItems])]);
    expect(actual).toEqual(expected);
    expect(orders.size).toBe(30_000);
    await twin.webhooks.idle();
    expect(received.some((body) => JSON.parse(body).admin_graphql_api_id === op.id)).toBe(true);
  });

  it("without groupObjects (the default) writes no promised order: children may come before their parents", async () => {
    // WHEN a bulk query with a nested connection does not ask for grouping
    const run = await admin.graphql<{ bulkOperationRunQuery: { bulkOperation: Op; userErrors: unknown[] } }>(`#graphql
      mutation { bulkOperationRunQuery(query: """
        { orders { edges { node { id lineItems { edges { node { id } } } } } } }
      """) { bulkOperation { ${OP_FIELDS} } userErrors { field message code } } }`);
    expect(run.data!.bulkOperationRunQuery.userErrors).toEqual([]);
    const op = await waitFor(run.data!.bulkOperationRunQuery.bulkOperation.id);
    expect(op.status).toBe("COMPLETED");
    const lines = (await (await fetch(op.url!)).text()).trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; __parentId?: string });
    // THEN some line item comes before its order
    const position = new Map(lines.map((l, i) => [l.id, i]));
    expect(lines.some((l, i) => l.__parentId !== undefined && position.get(l.__parentId)! > i)).toBe(true);
    // AND the file still holds every order with exactly its line items (joined by __parentId)
    const items = new Map<string, string[]>();
    for (const l of lines) if (l.__parentId) items.set(l.__parentId, [...(items.get(l.__parentId) ?? []), l.id]);
    const shop = twin.shop(DOMAIN);
    const actual = lines.filter((l) => !l.__parentId).map((l): [string, string[]] => [l.id, items.get(l.id) ?? []]);
    const expected = shop.customers
      .flatMap((c) => c.orders)
      .map((o): [string, string[]] => [`gid://shopify/Order/${o.id}`, o.lineItems.map((li) => `gid://shopify/LineItem/${li.id}`)]);
    expect(new Map(actual)).toEqual(new Map(expected));
  });

  it("applies a bulk mutation of 1,000 tagsAdd lines", async () => {
    const shop = twin.shop(DOMAIN);
    const targets = shop.customers.slice(0, 1000);
    // GIVEN a staged upload of 1,000 lines of variables
    const staged = await admin.graphql<{ stagedUploadsCreate: { stagedTargets: { url: string; parameters: { name: string; value: string }[] }[] } }>(`#graphql
      mutation { stagedUploadsCreate(input: [{ resource: BULK_MUTATION_VARIABLES, filename: "bulk_op_vars", mimeType: "text/jsonl", httpMethod: POST }]) {
        stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }`);
    const target = staged.data!.stagedUploadsCreate.stagedTargets[0];
    const form = new FormData();
    for (const p of target.parameters) form.append(p.name, p.value);
    const jsonl = targets.map((c) => JSON.stringify({ id: `gid://shopify/Customer/${c.id}`, tags: ["seg:bulk"] })).join("\n");
    form.append("file", new Blob([jsonl], { type: "text/jsonl" }), "bulk_op_vars");
    const upload = await fetch(target.url, { method: "POST", body: form });
    expect(upload.status).toBe(201);
    const key = target.parameters.find((p) => p.name === "key")!.value;

    // WHEN the bulk mutation runs
    const run = await admin.graphql<{ bulkOperationRunMutation: { bulkOperation: Op; userErrors: unknown[] } }>(
      `mutation($path: String!) { bulkOperationRunMutation(
          mutation: "mutation call($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { message field } } }",
          stagedUploadPath: $path) { bulkOperation { ${OP_FIELDS} } userErrors { message code } } }`,
      { path: key },
    );
    expect(run.data!.bulkOperationRunMutation.userErrors).toEqual([]);
    const op = await waitFor(run.data!.bulkOperationRunMutation.bulkOperation.id);

    // THEN every line applied, each result carrying its __lineNumber
    expect(op.status).toBe("COMPLETED");
    const results = (await (await fetch(op.url!)).text()).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(results).toHaveLength(1000);
    expect(results.map((r) => r.__lineNumber)).toEqual(targets.map((_, i) => i));
    expect(results.every((r) => r.data.tagsAdd.userErrors.length === 0)).toBe(true);
    expect(targets.every((c) => shop.tags(c.id).includes("seg:bulk"))).toBe(true);
  });

  it("refuses a sixth concurrent bulk query and a missing staged file", async () => {
    const ids: string[] = [];
    let refused: { code: string } | undefined;
    for (let i = 0; i < 6; i++) {
      const r = await admin.graphql<{ bulkOperationRunQuery: { bulkOperation: Op | null; userErrors: { code: string }[] } }>(
        `mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id } } } }") { bulkOperation { id } userErrors { code message } } }`,
      );
      const p = r.data!.bulkOperationRunQuery;
      if (p.bulkOperation) ids.push(p.bulkOperation.id);
      else refused = p.userErrors[0];
    }
    expect(ids).toHaveLength(5);
    expect(refused?.code).toBe("LIMIT_REACHED");
    await Promise.all(ids.map(waitFor));
    const missing = await admin.graphql<{ bulkOperationRunMutation: { userErrors: { code: string }[] } }>(
      `mutation { bulkOperationRunMutation(mutation: "mutation m($id: ID!) { tagsAdd(id: $id, tags: [\\"x\\"]) { userErrors { message } } }", stagedUploadPath: "tmp/nope") { userErrors { code message } } }`,
    );
    expect(missing.data!.bulkOperationRunMutation.userErrors[0].code).toBe("NO_SUCH_FILE");
  });

  it("rejects an invalid bulk query with Shopify's validation message", async () => {
    const r = await admin.graphql<{ bulkOperationRunQuery: { userErrors: { message: string; code: string }[] } }>(
      `mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id lifetimeValue } } } }") { userErrors { field message code } } }`,
    );
    expect(r.data!.bulkOperationRunQuery.userErrors[0]).toMatchObject({ code: "INVALID", message: expect.stringContaining("Field 'lifetimeValue' doesn't exist on type 'Customer'") });
  });
});
