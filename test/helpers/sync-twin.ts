// Wiring between the Shopify twin and the app's sync for tests and benchmarks: install the app on
// a twin shop the way token exchange would leave it (shop row + offline session), and compare
// what the database holds with what the twin holds.
import pg from "pg";
import prisma from "../../app/db.server";
import type { Twin, TwinShop } from "../../twin/index.ts";

/** The shop row and offline session the app has after installing on the twin. */
export async function installOnTwin(twin: Twin, domain: string, options: { scope?: string } = {}) {
  const grant = twin.installApp(domain);
  const scope = options.scope ?? grant.scope;
  const shop = await prisma.shop.upsert({
    where: { domain },
    create: { domain, scopes: scope, installState: "installed", installedAt: new Date() },
    update: { scopes: scope, installState: "installed" },
  });
  await prisma.session.upsert({
    where: { id: `offline_${domain}` },
    create: {
      id: `offline_${domain}`,
      shop: domain,
      state: "",
      isOnline: false,
      scope,
      accessToken: grant.accessToken,
      expires: grant.expiresIn ? new Date(Date.now() + grant.expiresIn * 1000) : null,
      refreshToken: grant.refreshToken ?? null,
      refreshTokenExpires: grant.refreshToken ? new Date(Date.now() + 30 * 86_400_000) : null,
    },
    update: { accessToken: grant.accessToken, scope },
  });
  return shop;
}

const cents = (v: string | number) => Math.round(Number(v) * 100);

export interface StoreFigures {
  customers: string[];
  optedOut: string[];
  orders: Record<string, string>;
}

/** One line per order: total, refunded, cancelled, item count, line-item value, customer. */
function orderLine(o: { total: number; refunded: number; cancelled: boolean; items: number; value: number; customer: string }) {
  return `total=${o.total} refunded=${o.refunded} cancelled=${o.cancelled} items=${o.items} value=${o.value} customer=${o.customer}`;
}

export function twinFigures(shop: TwinShop, optOutTag = "seg:opt-out"): StoreFigures {
  const orders: Record<string, string> = {};
  for (const o of shop.orders) {
    orders[String(o.id)] = orderLine({
      total: cents(o.totalPrice),
      refunded: o.refunds.reduce((n, r) => n + cents(r.amount), 0),
      cancelled: o.cancelledAt !== null,
      items: o.lineItems.reduce((n, li) => n + li.quantity, 0),
      value: o.lineItems.reduce((n, li) => n + li.quantity * cents(li.price), 0),
      customer: String(o.customerId ?? "-"),
    });
  }
  return {
    customers: shop.customers.map((c) => String(c.id)).sort(),
    optedOut: shop.customers.filter((c) => c.tags.some((t) => t.toLowerCase() === optOutTag)).map((c) => String(c.id)).sort(),
    orders,
  };
}

export async function dbFigures(shopId: number): Promise<StoreFigures> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const customers = await client.query(
      "select id::text, opted_out from customers where shop_id = $1 and deleted_at is null and updated_at is not null order by 1",
      [shopId],
    );
    const orders = await client.query(
      `select o.id::text, round(o.total_price * 100)::int as total, round(o.refunded_amount * 100)::int as refunded,
              o.cancelled_at is not null as cancelled, o.item_count as items, coalesce(o.customer_id::text, '-') as customer,
              coalesce((select round(sum(l.quantity * l.price) * 100)::int from line_items l where l.shop_id = o.shop_id and l.order_id = o.id), 0) as value
         from orders o where o.shop_id = $1 and o.deleted_at is null`,
      [shopId],
    );
    const out: Record<string, string> = {};
    for (const r of orders.rows) out[r.id] = orderLine(r);
    return {
      customers: customers.rows.map((r) => r.id).sort(),
      optedOut: customers.rows.filter((r) => r.opted_out).map((r) => r.id).sort(),
      orders: out,
    };
  } finally {
    await client.end();
  }
}

/**
 * Counts the app's offline-token refreshes at the twin (grant_type=refresh_token), including the
 * refused ones (a refresh token another process already used).
 */
export function countTokenRefreshes(twin: Twin) {
  const counts = { ok: 0, refused: 0 };
  const tokens = twin.tokens;
  const original = tokens.useRefresh.bind(tokens);
  tokens.useRefresh = (refreshToken: string, shop: string) => {
    const grant = original(refreshToken, shop);
    if (grant) counts.ok++;
    else counts.refused++;
    return grant;
  };
  return counts;
}

/**
 * The offline token expires: the twin stops accepting it and the stored session says it has
 * expired (an hour has passed), so the app's next Admin call must refresh it.
 */
export async function expireOfflineToken(twin: Twin, domain: string) {
  twin.tokens.expireAll(domain);
  await prisma.session.updateMany({ where: { shop: domain, isOnline: false }, data: { expires: new Date(Date.now() - 1000) } });
}
