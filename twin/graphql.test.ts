import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTwinStore, startTwin, type Twin } from "./index.ts";

const DOMAIN = "graphql-twin.myshopify.com";
let twin: Twin;
let admin: ReturnType<Twin["adminClient"]>;

beforeAll(async () => {
  twin = await startTwin({ subscriptions: [], bucketSize: 100_000, restoreRate: 100_000 });
  await twin.seed(DOMAIN, generateTwinStore({ customers: 40, orders: 120 }));
  admin = twin.adminClient(DOMAIN);
});
afterAll(async () => {
  await twin.stop();
});

const firstCustomer = () => `gid://shopify/Customer/${twin.shop(DOMAIN).customers[0].id}`;

describe("Admin GraphQL on the real schema", () => {
  it("applies a valid tagsAdd without touching other tags", async () => {
    // GIVEN a customer with a tag
    const shop = twin.shop(DOMAIN);
    const customer = shop.customers[0];
    shop.addTags(customer.id, ["merchant-tag"]);
    // WHEN the app adds two tags
    const result = await admin.graphql(
      `#graphql
      mutation AddTags($id: ID!, $tags: [String!]!) {
        tagsAdd(id: $id, tags: $tags) { node { id ... on Customer { tags } } userErrors { field message } }
      }`,
      { id: firstCustomer(), tags: ["seg:vip", "seg:big-spender"] },
    );
    // THEN it succeeds and the merchant's tag stays
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      tagsAdd: { node: { id: firstCustomer(), tags: ["merchant-tag", "seg:vip", "seg:big-spender"] }, userErrors: [] },
    });
    expect(shop.tags(customer.id)).toEqual(["merchant-tag", "seg:vip", "seg:big-spender"]);
    expect(result.extensions?.cost?.requestedQueryCost).toBe(10);
  });

  it("rejects an unknown field with Shopify's message and code", async () => {
    // WHEN a document asks for a field Customer does not have
    const result = await admin.graphql(`{ customer(id: "${firstCustomer()}") { id totalSpentV9 } }`);
    // THEN Shopify's validation error comes back, nothing is executed
    expect(result.status).toBe(200);
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      {
        message: "Field 'totalSpentV9' doesn't exist on type 'Customer'",
        locations: [{ line: 1, column: expect.any(Number) }],
        extensions: { code: "undefinedField", typeName: "Customer", fieldName: "totalSpentV9" },
      },
    ]);
  });

  it("rejects an unknown argument and a missing required one", async () => {
    const unknown = await admin.graphql(`{ customers(first: 1, segment: "vip") { nodes { id } } }`);
    expect(unknown.errors?.[0]).toMatchObject({
      message: "Field 'customers' doesn't accept argument 'segment'",
      extensions: { code: "argumentNotAccepted", name: "customers", typeName: "Field", argumentName: "segment" },
    });
    const missing = await admin.graphql(`{ customer { id } }`);
    expect(missing.errors?.[0]).toMatchObject({
      message: "Field 'customer' is missing required arguments: id",
      extensions: { code: "missingRequiredArguments", name: "customer", arguments: "id" },
    });
  });

  it("answers 401 without a valid access token for that shop", async () => {
    // GIVEN a token of another shop
    twin.createShop("other-twin.myshopify.com");
    const otherToken = twin.installApp("other-twin.myshopify.com").accessToken;
    // WHEN it is used for this shop
    const response = await fetch(`${twin.url}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": otherToken, "X-Shopify-Shop-Domain": DOMAIN },
      body: JSON.stringify({ query: "{ shop { name } }" }),
    });
    // THEN Shopify's 401
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
  });

  it("paginates customers with cursors and enforces first <= 250", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof admin.graphql<{ customers: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> =
        await admin.graphql(`query Page($after: String) { customers(first: 15, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`, { after });
      seen.push(...page.data!.customers.nodes.map((n) => n.id));
      if (!page.data!.customers.pageInfo.hasNextPage) break;
      after = page.data!.customers.pageInfo.endCursor;
    }
    const expected = twin.shop(DOMAIN).customers.map((c) => `gid://shopify/Customer/${c.id}`);
    expect(seen).toEqual(expected);

    const tooMany = await admin.graphql(`{ customers(first: 251) { nodes { id } } }`);
    expect(tooMany.data).toBeNull();
    expect(tooMany.errors?.[0].message).toMatch(/first.*250/);
  });

  it("filters orders by updated_at and id as the app's reconciliation does", async () => {
    const shop = twin.shop(DOMAIN);
    const cutoff = shop.orders[60].updatedAt;
    const result = await admin.graphql<{ orders: { nodes: { id: string; updatedAt: string }[] } }>(
      `query Changed($q: String) { orders(first: 250, query: $q, sortKey: UPDATED_AT) { nodes { id updatedAt } } }`,
      { q: `updated_at:>'${new Date(cutoff).toISOString()}'` },
    );
    const expected = shop.orders.filter((o) => o.updatedAt > cutoff);
    expect(result.data!.orders.nodes).toHaveLength(expected.length);
    expect(result.data!.orders.nodes.every((n) => new Date(n.updatedAt).getTime() > cutoff)).toBe(true);

    const idFilter = await admin.graphql<{ orders: { nodes: { id: string }[] } }>(`{ orders(first: 250, sortKey: ID, query: "id:>${shop.orders[100].id}") { nodes { id } } }`);
    expect(idFilter.data!.orders.nodes.map((n) => n.id)).toEqual(shop.orders.slice(101).map((o) => `gid://shopify/Order/${o.id}`));
  });

  it("returns orders with Shopify's money, line item and refund shapes", async () => {
    const shop = twin.shop(DOMAIN);
    const customer = shop.customers[1];
    const order = shop.placeOrder({ customerId: customer.id, lineItems: [{ price: "30.00", quantity: 2, productType: "Shoes", vendor: "Acme" }], discountCodes: ["SAVE5"], totalDiscounts: "5.00" });
    shop.refundOrder(order.id, { amount: "10.00" });
    const result = await admin.graphql<{ order: Record<string, unknown> }>(
      `query($id: ID!) { order(id: $id) {
          id name processedAt cancelledAt test discountCodes displayFinancialStatus
          totalPriceSet { shopMoney { amount currencyCode } }
          currentTotalPriceSet { shopMoney { amount } }
          totalRefundedSet { shopMoney { amount } }
          customer { id }
          lineItems(first: 10) { nodes { quantity product { id productType vendor } variant { id } originalUnitPriceSet { shopMoney { amount } } } }
          refunds { id createdAt totalRefundedSet { shopMoney { amount } } }
      } }`,
      { id: `gid://shopify/Order/${order.id}` },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.order).toMatchObject({
      id: `gid://shopify/Order/${order.id}`,
      cancelledAt: null,
      test: false,
      discountCodes: ["SAVE5"],
      displayFinancialStatus: "PARTIALLY_REFUNDED",
      totalPriceSet: { shopMoney: { amount: "55.00", currencyCode: "USD" } },
      currentTotalPriceSet: { shopMoney: { amount: "45.00" } },
      totalRefundedSet: { shopMoney: { amount: "10.00" } },
      customer: { id: `gid://shopify/Customer/${customer.id}` },
      lineItems: { nodes: [{ quantity: 2, product: { productType: "Shoes", vendor: "Acme" }, variant: null, originalUnitPriceSet: { shopMoney: { amount: "30.00" } } }] },
      refunds: [{ totalRefundedSet: { shopMoney: { amount: "10.00" } } }],
    });
  });

  it("counts like Shopify: capped at the limit with AT_LEAST precision", async () => {
    const result = await admin.graphql(`{ all: customersCount(limit: null) { count precision } capped: customersCount(limit: 10) { count precision } orders: ordersCount { count precision } }`);
    expect(result.data).toEqual({
      all: { count: twin.shop(DOMAIN).customers.length, precision: "EXACT" },
      capped: { count: 10, precision: "AT_LEAST" },
      orders: { count: twin.shop(DOMAIN).orders.length, precision: "EXACT" },
    });
  });

  it("resolves unimplemented fields to null instead of failing", async () => {
    const result = await admin.graphql(`{ shop { name billingAddress { city } } customer(id: "${firstCustomer()}") { id note image { url } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ shop: { name: "graphql-twin" }, customer: { id: firstCustomer(), note: null } });
  });

  it("overwrites every tag on customerUpdate(tags:) as Shopify does", async () => {
    const shop = twin.shop(DOMAIN);
    const customer = shop.customers[2];
    shop.addTags(customer.id, ["flow-tag", "other-app"]);
    await admin.graphql(`mutation($input: CustomerInput!) { customerUpdate(input: $input) { customer { tags } userErrors { message } } }`, {
      input: { id: `gid://shopify/Customer/${customer.id}`, tags: ["only-this"] },
    });
    expect(shop.tags(customer.id)).toEqual(["only-this"]);
  });

  it("sets metafields atomically, at most 25 per call, with compareDigest", async () => {
    const shop = twin.shop(DOMAIN);
    const owner = firstCustomer();
    const SET = `mutation Set($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { metafields { key namespace value compareDigest } userErrors { field message code elementIndex } } }`;
    const ok = await admin.graphql<{ metafieldsSet: { metafields: { key: string; namespace: string; compareDigest: string }[]; userErrors: unknown[] } }>(SET, {
      m: [{ ownerId: owner, namespace: "$app", key: "segments", type: "json", value: '{"vip":true}' }],
    });
    expect(ok.data!.metafieldsSet.userErrors).toEqual([]);
    expect(ok.data!.metafieldsSet.metafields[0].namespace).toMatch(/^app--\d+$/);
    const digest = ok.data!.metafieldsSet.metafields[0].compareDigest;

    // an invalid second entry writes nothing
    const atomic = await admin.graphql<{ metafieldsSet: { userErrors: { code: string; elementIndex: number }[] } }>(SET, {
      m: [
        { ownerId: owner, namespace: "$app", key: "segments", type: "json", value: '{"vip":false}' },
        { ownerId: owner, namespace: "$app", key: "broken", type: "json", value: "{not json" },
      ],
    });
    expect(atomic.data!.metafieldsSet.userErrors).toMatchObject([{ code: "INVALID_VALUE", elementIndex: 1 }]);
    expect(shop.metafield("CUSTOMER", shop.customers[0].id, "$app", "segments")!.value).toBe('{"vip":true}');

    const stale = await admin.graphql<{ metafieldsSet: { userErrors: { code: string }[] } }>(SET, {
      m: [{ ownerId: owner, namespace: "$app", key: "segments", value: "{}", compareDigest: "stale" }],
    });
    expect(stale.data!.metafieldsSet.userErrors[0].code).toBe("STALE_OBJECT");
    const fresh = await admin.graphql<{ metafieldsSet: { userErrors: unknown[] } }>(SET, {
      m: [{ ownerId: owner, namespace: "$app", key: "segments", value: '{"vip":2}', compareDigest: digest }],
    });
    expect(fresh.data!.metafieldsSet.userErrors).toEqual([]);

    const tooMany = await admin.graphql<{ metafieldsSet: { userErrors: { code: string }[] } }>(SET, {
      m: Array.from({ length: 26 }, (_, i) => ({ ownerId: owner, namespace: "$app", key: `k${i}x`, type: "single_line_text_field", value: "v" })),
    });
    expect(tooMany.data!.metafieldsSet.userErrors[0].code).toBe("LESS_THAN_OR_EQUAL_TO");

    const read = await admin.graphql<{ customer: { metafield: { value: string } } }>(`{ customer(id: "${owner}") { metafield(namespace: "$app", key: "segments") { value } } }`);
    expect(read.data!.customer.metafield.value).toBe('{"vip":2}');
  });

  it("records flowTriggerReceive calls and creates metafield definitions once", async () => {
    const shop = twin.shop(DOMAIN);
    const flow = await admin.graphql(`mutation { flowTriggerReceive(handle: "segment-entered", payload: {customer_id: 1, segment: "vip"}) { userErrors { message } } }`);
    expect(flow.errors).toBeUndefined();
    expect(shop.flowTriggers.at(-1)).toMatchObject({ handle: "segment-entered", payload: { customer_id: 1, segment: "vip" } });
    const DEF = `mutation { metafieldDefinitionCreate(definition: {name: "Segments", namespace: "$app", key: "segments", type: "json", ownerType: CUSTOMER}) { createdDefinition { id key } userErrors { code } } }`;
    const first = await admin.graphql<{ metafieldDefinitionCreate: { userErrors: unknown[] } }>(DEF);
    expect(first.data!.metafieldDefinitionCreate.userErrors).toEqual([]);
    const again = await admin.graphql<{ metafieldDefinitionCreate: { userErrors: { code: string }[] } }>(DEF);
    expect(again.data!.metafieldDefinitionCreate.userErrors[0].code).toBe("TAKEN");
  });
});
