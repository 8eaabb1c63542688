// The fixed allow-list of per-customer features a rule may name. Rule input only ever selects an
// entry of this table by its name; the SQL text comes from here, never from the input.
import { BROWSING_FEATURES } from "./browsing";

export type FeatureType = "number" | "text";

export interface FeatureDef {
  type: FeatureType;
  /** SQL over the customer_features row aliased `f`; `$4` is always the evaluation's shop-local day. */
  sql: string;
  label: string;
  /** The SQL is an integer (compared with a bigint parameter when the rule's value is whole: no numeric per row). */
  integer?: boolean;
}

const share = (part: string) =>
  `(case when f.orders_count > 0 then f.${part}::numeric / f.orders_count end)`;
const itemShare = (part: string) =>
  `(case when f.total_items > 0 then f.${part}::numeric / f.total_items end)`;

export const FEATURES = {
  orders_count: { type: "number", sql: "f.orders_count", label: "Lifetime orders", integer: true },
  orders_30d: { type: "number", sql: "f.orders_30d", label: "Orders in the last 30 days", integer: true },
  orders_90d: { type: "number", sql: "f.orders_90d", label: "Orders in the last 90 days", integer: true },
  orders_182d: { type: "number", sql: "f.orders_182d", label: "Orders in the last 182 days", integer: true },
  orders_365d: { type: "number", sql: "f.orders_365d", label: "Orders in the last 365 days", integer: true },
  spend_lifetime: { type: "number", sql: "f.spend_lifetime", label: "Lifetime spend (net of refunds)" },
  spend_365d: { type: "number", sql: "f.spend_365d", label: "Spend in the last 365 days (net of refunds)" },
  aov: { type: "number", sql: "f.aov", label: "Average order value" },
  days_since_first_order: { type: "number", sql: "($4::date - f.first_order_day)", label: "Days since the first order", integer: true },
  days_since_last_order: { type: "number", sql: "($4::date - f.last_order_day)", label: "Days since the last order", integer: true },
  first_order_items: { type: "number", sql: "f.first_order_items", label: "Items in the first order", integer: true },
  discounted_orders: { type: "number", sql: "f.discounted_orders", label: "Orders with a discount", integer: true },
  discount_share: { type: "number", sql: share("discounted_orders"), label: "Share of orders with a discount" },
  refunded_orders: { type: "number", sql: "f.refunded_orders", label: "Orders with a refund", integer: true },
  refund_share: { type: "number", sql: share("refunded_orders"), label: "Share of orders with a refund" },
  total_items: { type: "number", sql: "f.total_items", label: "Items bought", integer: true },
  top_product_type: { type: "text", sql: "f.top_product_type", label: "Most bought product type" },
  top_product_type_items: { type: "number", sql: "f.top_product_type_items", label: "Items of the top product type", integer: true },
  top_product_type_share: { type: "number", sql: itemShare("top_product_type_items"), label: "Share of items in the top product type" },
  top_vendor: { type: "text", sql: "f.top_vendor", label: "Most bought vendor" },
  top_vendor_items: { type: "number", sql: "f.top_vendor_items", label: "Items of the top vendor", integer: true },
  top_vendor_share: { type: "number", sql: itemShare("top_vendor_items"), label: "Share of items from the top vendor" },
  r_score: { type: "number", sql: "f.r_score", label: "RFM recency score (1-5)", integer: true },
  f_score: { type: "number", sql: "f.f_score", label: "RFM frequency score (1-5)", integer: true },
  m_score: { type: "number", sql: "f.m_score", label: "RFM monetary score (1-5)", integer: true },
  rfm_group: { type: "text", sql: "f.rfm_group", label: "RFM group" },
  ...BROWSING_FEATURES,
} as const satisfies Record<string, FeatureDef>;

export type FeatureName = keyof typeof FEATURES;

export function isFeatureName(name: unknown): name is FeatureName {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(FEATURES, name);
}

/** Shop statistics a catalogue rule may compare against (columns of segment_shop_stats `s`). */
export const STATS = {
  shop_aov: "s.shop_aov",
  vip_spend_cut: "s.vip_spend_cut",
  new_spend_cut: "s.new_spend_cut",
  first_order_items_cut: "s.first_order_items_cut",
} as const;

export type StatName = keyof typeof STATS;
