// Push-back test wiring: customers in the twin and in our database, and change-log entries as the
// segment engine writes them (the one input push-back consumes).
import pg from "pg";
import type { TwinShop } from "../../twin/index.ts";
import { syncPool } from "../../app/sync/pg.server";

/** Seeds customers into the twin (no webhooks) and into our customers table. */
export async function seedPushCustomers(shop: TwinShop, shopId: number, customers: { id: bigint; tags?: string[]; optedOut?: boolean }[]) {
  const now = new Date();
  await shop.seed({
    domain: "",
    currency: "USD",
    timezone: "UTC",
    customers: () => customers.map((c) => ({ id: c.id, createdAt: now, updatedAt: now, state: "enabled" as const, tags: c.tags ?? [] })),
    orders: () => [],
  });
  await syncPool().query(
    `insert into customers (shop_id, id, created_at, updated_at, opted_out)
     select $1, u.id, now(), now(), u.o from unnest($2::bigint[], $3::bool[]) u(id, o)
     on conflict (shop_id, id) do update set opted_out = excluded.opted_out`,
    [shopId, customers.map((c) => String(c.id)), customers.map((c) => c.optedOut ?? false)],
  );
}

/** Appends membership changes in this order (ids ascending, as the engine logs them). */
export async function logChanges(shopId: number, changes: [customerId: bigint, segmentKey: string, change: "entered" | "left"][], db?: pg.ClientBase) {
  await (db ?? syncPool()).query(
    `insert into membership_changes (shop_id, customer_id, segment_key, change, why)
     select $1, u.c, u.k, u.ch, '{"source":"test"}'::jsonb from unnest($2::bigint[], $3::text[], $4::text[]) with ordinality u(c, k, ch, n) order by n`,
    [shopId, changes.map((c) => String(c[0])), changes.map((c) => c[1]), changes.map((c) => c[2])],
  );
}

export async function setOptedOut(shopId: number, customerId: bigint, optedOut: boolean) {
  await syncPool().query("update customers set opted_out = $3 where shop_id = $1 and id = $2", [shopId, String(customerId), optedOut]);
}
