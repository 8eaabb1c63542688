// The segment catalogue of SEGMENTS.md: each segment's settings (with defaults and bounds) and its
// rule as a tree over the feature allow-list. Day semantics (docs/decisions/0003-segment-engine.md):
// "days since" = shop-local calendar days between the order's local date and the evaluation's local
// date; "within N days" = 0..N days ago; "older than N days" = more than N days ago.
import type { CatalogueRule } from "./rules";
import { BROWSING_CATALOGUE, cartAbandonerRule } from "./browsing";

export interface SettingDef {
  default: number;
  min: number;
  max: number;
  integer?: boolean;
  label: string;
}

export interface CatalogueEntry {
  key: string;
  name: string;
  group: "core" | "behaviour" | "rfm";
  enabledByDefault: boolean;
  settings: Record<string, SettingDef>;
  rule: (s: Record<string, number>) => CatalogueRule;
}

const days = (label: string, d: number): SettingDef => ({ default: d, min: 0, max: 3650, integer: true, label });
const count = (label: string, d: number): SettingDef => ({ default: d, min: 1, max: 10_000, integer: true, label });
const fraction = (label: string, d: number): SettingDef => ({ default: d, min: 0, max: 1, label });

const lostRule = (s: Record<string, number>): CatalogueRule[] => [
  { op: "cmp", feature: "orders_count", cmp: ">=", value: 1 },
  { op: "cmp", feature: "days_since_last_order", cmp: ">", value: s.lostOlderThanDays },
];

export const CATALOGUE: CatalogueEntry[] = [
  {
    key: "vip",
    name: "VIP",
    group: "core",
    enabledByDefault: true,
    settings: { minOrders365d: count("Orders in the last 365 days at least", 3), topSpendShare: fraction("Top share of 365-day spend", 0.1) },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "orders_365d", cmp: ">=", value: s.minOrders365d },
        { op: "stat", feature: "spend_365d", cmp: ">", stat: "vip_spend_cut" },
      ],
    }),
  },
  {
    key: "one-time",
    name: "One-time buyers",
    group: "core",
    enabledByDefault: true,
    settings: { olderThanDays: days("The order is older than (days)", 30) },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "orders_count", cmp: "=", value: 1 },
        { op: "cmp", feature: "days_since_last_order", cmp: ">", value: s.olderThanDays },
      ],
    }),
  },
  {
    key: "lost",
    name: "Lost customers",
    group: "core",
    enabledByDefault: true,
    settings: { olderThanDays: days("Last order older than (days)", 180) },
    rule: (s) => ({ op: "and", rules: lostRule({ lostOlderThanDays: s.olderThanDays }) }),
  },
  {
    key: "big-spender",
    name: "Big spenders",
    group: "core",
    enabledByDefault: true,
    settings: { aovFactor: { default: 1, min: 0, max: 100, label: "Average order value at least (x shop average)" } },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "orders_count", cmp: ">=", value: 1 },
        { op: "stat", feature: "aov", cmp: ">=", stat: "shop_aov", factor: s.aovFactor },
      ],
    }),
  },
  {
    key: "frequent-30d",
    name: "Frequent in the last 30 days",
    group: "behaviour",
    enabledByDefault: true,
    settings: { minOrders: count("Orders in the last 30 days at least", 2) },
    rule: (s) => ({ op: "cmp", feature: "orders_30d", cmp: ">=", value: s.minOrders }),
  },
  {
    key: "frequent-6m",
    name: "Frequent buyers",
    group: "behaviour",
    enabledByDefault: true,
    settings: { minOrders: count("Orders in the last 182 days at least", 5) },
    rule: (s) => ({ op: "cmp", feature: "orders_182d", cmp: ">=", value: s.minOrders }),
  },
  {
    key: "lapsed-3-6m",
    name: "Lapsed 3-6 months",
    group: "behaviour",
    enabledByDefault: true,
    settings: { fromDays: days("Last order at least (days ago)", 91), toDays: days("Last order at most (days ago)", 182) },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "days_since_last_order", cmp: ">=", value: s.fromDays },
        { op: "cmp", feature: "days_since_last_order", cmp: "<=", value: s.toDays },
      ],
    }),
  },
  {
    key: "discount-only",
    name: "Discount-only buyers",
    group: "behaviour",
    enabledByDefault: true,
    settings: { minOrders: count("Lifetime orders at least", 2) },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "orders_count", cmp: ">=", value: s.minOrders },
        { op: "cmp", feature: "discount_share", cmp: ">=", value: 1 },
      ],
    }),
  },
  {
    key: "category-loyal",
    name: "Category or brand loyal",
    group: "behaviour",
    enabledByDefault: true,
    settings: { minItems: count("Items from the category at least", 3), minShare: fraction("Share of their items at least", 0.6) },
    rule: (s) => ({
      op: "or",
      rules: [
        {
          op: "and",
          rules: [
            { op: "cmp", feature: "top_product_type_items", cmp: ">=", value: s.minItems },
            { op: "cmp", feature: "top_product_type_share", cmp: ">=", value: s.minShare },
          ],
        },
        {
          op: "and",
          rules: [
            { op: "cmp", feature: "top_vendor_items", cmp: ">=", value: s.minItems },
            { op: "cmp", feature: "top_vendor_share", cmp: ">=", value: s.minShare },
          ],
        },
      ],
    }),
  },
  {
    key: "new-high-potential",
    name: "New with high potential",
    group: "behaviour",
    enabledByDefault: true,
    settings: {
      newWithinDays: days("First order within (days)", 90),
      minOrders: count("Or orders at least", 2),
      topSpendShare: fraction("Or spend in the top share of new customers", 0.25),
    },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "days_since_first_order", cmp: "<=", value: s.newWithinDays },
        {
          op: "or",
          rules: [
            { op: "cmp", feature: "orders_count", cmp: ">=", value: s.minOrders },
            { op: "stat", feature: "spend_lifetime", cmp: ">", stat: "new_spend_cut" },
          ],
        },
      ],
    }),
  },
  {
    key: "new-occasional",
    name: "New, bought once",
    group: "behaviour",
    enabledByDefault: true,
    settings: { fromDays: days("First order at least (days ago)", 30), toDays: days("First order at most (days ago)", 90) },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "days_since_first_order", cmp: ">=", value: s.fromDays },
        { op: "cmp", feature: "days_since_first_order", cmp: "<=", value: s.toDays },
        { op: "cmp", feature: "orders_count", cmp: "=", value: 1 },
      ],
    }),
  },
  {
    key: "frequent-returner",
    name: "Frequent returners",
    group: "behaviour",
    enabledByDefault: true,
    settings: {
      activeWithinDays: days("An order within (days)", 365),
      minRefundShare: fraction("Refunded orders share at least", 0.2),
      minRefunded: count("Refunded orders at least", 2),
    },
    rule: (s) => ({
      op: "and",
      rules: [
        { op: "cmp", feature: "days_since_last_order", cmp: "<=", value: s.activeWithinDays },
        { op: "cmp", feature: "refund_share", cmp: ">=", value: s.minRefundShare },
        { op: "cmp", feature: "refunded_orders", cmp: ">=", value: s.minRefunded },
      ],
    }),
  },
  {
    key: "big-first-order",
    name: "Big first order",
    group: "behaviour",
    enabledByDefault: true,
    settings: { percentile: fraction("First-order item count at least this percentile", 0.75) },
    rule: () => ({ op: "stat", feature: "first_order_items", cmp: ">=", stat: "first_order_items_cut" }),
  },
  {
    key: "churn-quick",
    name: "Churned after the first purchase",
    group: "behaviour",
    enabledByDefault: true,
    // "member of lost": lost's own rule with lost's settings (so it holds even when lost is disabled)
    settings: {},
    rule: (s) => ({ op: "and", rules: [...lostRule(s), { op: "cmp", feature: "orders_count", cmp: "=", value: 1 }] }),
  },
  {
    key: "churn-late",
    name: "Churned after a long relationship",
    group: "behaviour",
    enabledByDefault: true,
    settings: { minOrders: count("Lifetime orders at least", 3) },
    rule: (s) => ({ op: "and", rules: [...lostRule(s), { op: "cmp", feature: "orders_count", cmp: ">=", value: s.minOrders }] }),
  },
  {
    key: "cart-abandoner",
    name: "Cart abandoners",
    group: "behaviour",
    enabledByDefault: false,
    settings: { withinDays: days("Checkout within (days)", 7) },
    // Checkouts come from the web pixel (app/browsing/, browsing.ts); the browsing lookback is 30 days.
    rule: cartAbandonerRule,
  },
  ...BROWSING_CATALOGUE,
];

// ---------------------------------------------------------------------------------------------
// RFM: scores 1-5 by quintile; the named group comes from R and FM = round((F + M) / 2).

export const RFM_GROUPS = [
  { key: "champions", name: "Champions", shopify: "CHAMPIONS" },
  { key: "loyal", name: "Loyal", shopify: "LOYAL" },
  { key: "potential-loyalist", name: "Potential loyalist", shopify: "ACTIVE" },
  { key: "new", name: "New", shopify: "NEW" },
  { key: "promising", name: "Promising", shopify: "PROMISING" },
  { key: "need-attention", name: "Need attention", shopify: "NEEDS_ATTENTION" },
  { key: "about-to-sleep", name: "About to sleep", shopify: "ALMOST_LOST" },
  { key: "at-risk", name: "At risk", shopify: "AT_RISK" },
  { key: "cant-lose-them", name: "Can't lose them", shopify: "PREVIOUSLY_LOYAL" },
  { key: "hibernating", name: "Hibernating", shopify: "DORMANT" },
  { key: "lost", name: "Lost", shopify: "DORMANT" },
] as const;
// Shopify's PROSPECTS (no orders yet) has no group here: customers without orders get no RFM scores.

/** RFM_GRID[r - 1][fm - 1] */
export const RFM_GRID: string[][] = [
  ["lost", "hibernating", "at-risk", "cant-lose-them", "cant-lose-them"],
  ["hibernating", "hibernating", "at-risk", "at-risk", "cant-lose-them"],
  ["about-to-sleep", "about-to-sleep", "need-attention", "loyal", "loyal"],
  ["promising", "potential-loyalist", "potential-loyalist", "loyal", "champions"],
  ["new", "potential-loyalist", "potential-loyalist", "champions", "champions"],
];

export function rfmGroupOf(r: number, f: number, m: number): string {
  return RFM_GRID[r - 1][Math.floor((f + m + 1) / 2) - 1];
}

export const rfmSegmentKey = (group: string) => `rfm-${group}`;
export const RFM_SEGMENT_KEYS = RFM_GROUPS.map((g) => rfmSegmentKey(g.key));
export const CATALOGUE_KEYS = CATALOGUE.map((c) => c.key);

export function catalogueEntry(key: string): CatalogueEntry | undefined {
  return CATALOGUE.find((c) => c.key === key);
}

export function defaultSettings(entry: CatalogueEntry): Record<string, number> {
  return Object.fromEntries(Object.entries(entry.settings).map(([k, d]) => [k, d.default]));
}
