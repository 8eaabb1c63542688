// Browsing features and segments (issue 11): the storefront behaviour the web pixel collects,
// kept per customer in browsing_features by app/browsing/features.server.ts. Registered into the
// feature allow-list (features.ts) and the catalogue (catalogue.ts), so custom rules and every
// push-back path treat them like the order features. See docs/decisions/0007-browsing-pixel.md.
import type { CatalogueEntry, SettingDef } from "./catalogue";

/** A browsing_features column for the customer row `f` (0 when the customer never browsed). */
const column = (name: string) =>
  `coalesce((select b.${name} from browsing_features b where b.shop_id = f.shop_id and b.customer_id = f.customer_id), 0)`;

export const BROWSING_FEATURES = {
  page_views_7d: { type: "number", sql: column("page_views_7d"), label: "Pages viewed in the last 7 days" },
  page_views_30d: { type: "number", sql: column("page_views_30d"), label: "Pages viewed in the last 30 days" },
  sessions_7d: { type: "number", sql: column("sessions_7d"), label: "Store visits in the last 7 days" },
  sessions_30d: { type: "number", sql: column("sessions_30d"), label: "Store visits in the last 30 days" },
  product_views_30d: { type: "number", sql: column("product_views_30d"), label: "Product pages viewed in the last 30 days" },
  product_dwell_minutes_30d: {
    type: "number",
    sql: `round(${column("product_dwell_seconds_30d")} / 60.0, 2)`,
    label: "Minutes on product pages in the last 30 days",
  },
  cart_adds_without_order_30d: {
    type: "number",
    sql: column("cart_adds_without_order_30d"),
    label: "Cart adds in the last 30 days not followed by an order",
  },
  rec_clicks_30d: { type: "number", sql: column("rec_clicks_30d"), label: "Recommended products clicked in the last 30 days" },
  rec_products_not_bought_30d: {
    type: "number",
    sql: column("rec_products_not_bought_30d"),
    label: "Recommended products clicked in the last 30 days and never bought",
  },
  abandoned_checkouts_7d: { type: "number", sql: column("abandoned_checkouts_7d"), label: "Checkouts started in the last 7 days without an order" },
  // Re-checked against the order features: an order synced after the browsing refresh closes the checkout.
  days_since_abandoned_checkout: {
    type: "number",
    sql: `(select $4::date - b.last_abandoned_checkout_day from browsing_features b
            where b.shop_id = f.shop_id and b.customer_id = f.customer_id
              and b.last_abandoned_checkout_at > coalesce(f.last_order_at, '-infinity'::timestamptz))`,
    label: "Days since a checkout that did not become an order",
  },
} as const;

const count = (label: string, d: number): SettingDef => ({ default: d, min: 1, max: 100_000, integer: true, label });

/** The cart-abandoner rule (SEGMENTS.md): a checkout within the window that did not become an order. */
export const cartAbandonerRule: CatalogueEntry["rule"] = (s) => ({
  op: "cmp",
  feature: "days_since_abandoned_checkout",
  cmp: "<=",
  value: s.withinDays,
});

export const BROWSING_CATALOGUE: CatalogueEntry[] = [
  {
    key: "browse-no-buy",
    name: "Browse, no buy",
    group: "behaviour",
    enabledByDefault: false,
    settings: { minProducts: count("Recommended products clicked and never bought, at least", 2) },
    rule: (s) => ({ op: "cmp", feature: "rec_products_not_bought_30d", cmp: ">=", value: s.minProducts }),
  },
  {
    key: "deep-browser",
    name: "Deep browsers",
    group: "behaviour",
    enabledByDefault: false,
    settings: { minPages: count("Pages viewed in the last 30 days, at least", 50) },
    rule: (s) => ({ op: "cmp", feature: "page_views_30d", cmp: ">=", value: s.minPages }),
  },
  {
    key: "long-dweller",
    name: "Long dwellers",
    group: "behaviour",
    enabledByDefault: false,
    settings: { minMinutes: count("Minutes on product pages in the last 30 days, at least", 10) },
    rule: (s) => ({ op: "cmp", feature: "product_dwell_minutes_30d", cmp: ">=", value: s.minMinutes }),
  },
];
