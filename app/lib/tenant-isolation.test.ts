import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createCustomer, createOrder, createSession, createShop } from "../../test/factories";
import { summarizeShop } from "./store-summary.server";
import { recordScopes, recordUninstall } from "./shops.server";

describe("the data layer keeps shops apart", () => {
  it("reads and writes only the shop it is given", async () => {
    // GIVEN two shops whose customers share Shopify ids (ids are only unique within a shop)
    const a = await createShop({ domain: "a.myshopify.com" });
    const b = await createShop({ domain: "b.myshopify.com" });
    await createSession(a.domain);
    await createSession(b.domain);
    await createCustomer(a.id, { id: 42n });
    await createCustomer(b.id, { id: 42n });
    await createCustomer(b.id, { id: 43n });
    await createOrder(a.id, 42n, { id: 7n, total: "100.00" });
    await createOrder(b.id, 42n, { id: 7n, total: "5.00" });
    await createOrder(b.id, 43n, { id: 8n, total: "6.00" });

    // WHEN each shop is summarized THEN each sees only its own rows
    expect(await summarizeShop(a.id)).toEqual({ customers: 1, orders: 1, revenue: "100.00" });
    expect(await summarizeShop(b.id)).toEqual({ customers: 2, orders: 2, revenue: "11.00" });

    // WHEN shop A changes scopes and uninstalls THEN shop B is untouched
    await recordScopes(a.domain, ["read_orders"]);
    await recordUninstall(a.domain);
    const sessionB = await prisma.session.findFirstOrThrow({ where: { shop: b.domain } });
    expect(sessionB.scope).toBe("read_customers,write_customers,read_orders");
    expect((await prisma.shop.findUniqueOrThrow({ where: { id: b.id } })).installState).toBe("installed");
    expect(await summarizeShop(b.id)).toEqual({ customers: 2, orders: 2, revenue: "11.00" });
  });
});
